"""This session's training, below the page: live progress, the controls (Pause/Resume,
Step, Stop, a new learning rate), the curves with each rate change marked, and the
network's insides as it learns; afterwards the result and an epoch slider replaying
the snapshots. A learning-rate range test (JobKind.LR_RANGE) shows its loss-vs-rate
chart and a button that fills the suggestion into the sidebar's Learning rate.

It only reads frozen JobSnapshots of the process-wide queue, so every Streamlit call
stays on the script thread. Only the session that started a job gets its controls (the
queue checks the owner too); in classroom mode that is only ever the teacher."""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitstudio.modeling.spec import FIELD
from digitstudio.storage.runs import RunStatus
from digitstudio.training.jobs import ControlError, JobKind, JobSnapshot, JobState
from digitstudio.training.verdict import Verdict, judge
from ui.charts import curves_frame
from ui.replay import curves_with_lr, insides_view, replay_slider
from ui.resources import (
    ModelRef,
    active_ref,
    model_record,
    run_ref,
    run_store,
    set_active,
    set_class_model,
    training_manager,
)
from ui.session import DONE_KEY, JOB_KEY, PREVIOUS_KEY, VERDICT_KEY, session_id

LR_MESSAGE_KEY = "_lr_change_message"


def _may_control(snapshot: JobSnapshot) -> bool:
    """The session that started the job; in classroom mode only the teacher starts any."""
    return snapshot.owner == session_id()


def _change_lr(job: str) -> None:
    try:
        training_manager().set_learning_rate(job, st.session_state[f"lr_now_{job}"], owner=session_id())
        st.session_state[LR_MESSAGE_KEY] = ""
    except ControlError as exc:
        st.session_state[LR_MESSAGE_KEY] = str(exc)


def _controls(snapshot: JobSnapshot) -> None:
    manager, job, owner = training_manager(), snapshot.job_id, session_id()
    progress = snapshot.progress
    text = f"Epoch {progress.epoch}/{progress.epochs} · batch {progress.batch}/{progress.batches}"
    if snapshot.phase:  # after the last batch: evaluation, threshold, saving… named, not "0 s left"
        text = f"{snapshot.phase}…"
    elif snapshot.state is JobState.PAUSED:
        text += " · paused"
    elif progress.eta is not None:
        text += f" · about {progress.eta:.0f}s left"
    if not _may_control(snapshot):
        st.progress(progress.fraction, text=text)
        return
    cols = st.columns([4, 1, 1, 1, 1])
    cols[0].progress(progress.fraction, text=text)
    paused = snapshot.state is JobState.PAUSED
    if paused:
        cols[1].button("Resume", on_click=manager.resume, args=(job,), kwargs={"owner": owner},
                       key="resume_training", help="Carry on training from where it holds")
    else:
        cols[1].button("Pause", on_click=manager.pause, args=(job,), kwargs={"owner": owner},
                       key="pause_training",
                       help="Hold training between two batches (it keeps its place; left untouched for 10 minutes "
                            "it resumes by itself, so a forgotten pause cannot hold up the class)")
    cols[2].button("Step", on_click=manager.step, args=(job,), kwargs={"owner": owner}, key="step_training",
                   disabled=not paused, help="While paused: train exactly one batch, then hold and show it")
    to_epoch_end = (progress.batches - progress.batch) or progress.batches
    cols[3].button("Epoch", on_click=manager.step, args=(job, to_epoch_end), kwargs={"owner": owner},
                   key="step_epoch", disabled=not paused or snapshot.kind is not JobKind.TRAIN,
                   help=f"While paused: train the {to_epoch_end} batches to the end of this epoch, then hold")
    cols[4].button("Stop", on_click=manager.stop, args=(job,), kwargs={"owner": owner}, key="stop_training",
                   type="secondary", help="End training at the next batch and keep the model as it is")
    if snapshot.kind is not JobKind.TRAIN:
        return
    if snapshot.spec.lr_schedule != "constant":
        st.caption(f"The {snapshot.spec.lr_schedule} schedule sets the learning rate every batch, so it can't "
                   "be changed by hand in this training.")
        return
    field = FIELD["learning_rate"]
    rate, apply, note = st.columns([2, 1, 4], vertical_alignment="bottom")
    rate.number_input("Learning rate from the next batch", min_value=field.low, max_value=field.high,
                      value=snapshot.learning_rate or snapshot.spec.learning_rate, format="%.5f",
                      step=field.step, key=f"lr_now_{job}", help="Takes effect at the next batch; marked on the "
                      "curves and recorded in the run, so train.py replays it")
    apply.button("Change", on_click=_change_lr, args=(job,), key="change_lr")
    if st.session_state.get(LR_MESSAGE_KEY):
        note.warning(st.session_state[LR_MESSAGE_KEY])
    elif snapshot.lr_changes:
        changes = ", ".join(f"{rate:g} from batch {step + 1}" for step, rate in snapshot.lr_changes)
        note.caption(f"Learning rate {changes} (counted over all epochs)")


def _live_insides(snapshot: JobSnapshot) -> None:
    if not snapshot.insides:
        return
    latest = snapshot.insides[-1]
    probe = snapshot.probe
    st.markdown(f"**Inside the network** · {'end of ' if latest.kind == 'epoch' else 'held at '}"
                f"{'epoch ' + format(latest.epoch, 'g') if latest.kind == 'epoch' else 'batch ' + str(latest.step)}")
    insides_view(latest, probe.digits if probe else None,
                 probe.digit_labels if probe else np.arange(len(latest.probabilities)), key="live_insides")


def _progress(snapshot: JobSnapshot) -> None:
    manager, job = training_manager(), snapshot.job_id
    if snapshot.state is JobState.QUEUED:
        st.info(f"Waiting for the server: another training is running. You are number "
                f"{snapshot.queue_position} in the queue.", icon=":material/hourglass:")
        if _may_control(snapshot):
            st.button("Cancel", on_click=manager.stop, args=(job,), kwargs={"owner": session_id()},
                      key="cancel_training")
        return
    if snapshot.state.active:
        _controls(snapshot)
    frame = curves_frame(snapshot.history, snapshot.curve)
    if not frame.empty:
        curves_with_lr(frame, snapshot.lr_changes, snapshot.progress.batches)
    elif snapshot.state is JobState.RUNNING:
        st.caption("The first curve points appear within a second or two…")
    if snapshot.state.active:
        _live_insides(snapshot)


def _result(snapshot: JobSnapshot) -> None:
    if snapshot.state.has_model:
        acc, loss = snapshot.test_accuracy, snapshot.test_loss
        cols = st.columns(4)
        cols[0].metric("Test accuracy", f"{acc:.2%}" if acc is not None else "–")
        cols[1].metric("Test loss", f"{loss:.4f}" if loss is not None else "–")
        cols[2].metric("Training time", f"{snapshot.train_seconds or 0:.1f} s")
        cols[3].metric("Parameters", f"{snapshot.params:,}")
        if not snapshot.run_id:
            st.warning(snapshot.message, icon=":material/warning:")
    verdict = st.session_state.get(VERDICT_KEY, {}).get(snapshot.job_id)
    if not snapshot.state.has_model:  # the message says what went wrong, the verdict which model reads now
        st.error(" ".join(part for part in (snapshot.message or "Training did not finish.",
                                            verdict.reason if verdict else "") if part), icon=":material/error:")
    elif verdict is not None:
        _verdict_box(snapshot, verdict)
    if snapshot.insides:
        probe = snapshot.probe
        replay_slider(snapshot.insides, probe.digits if probe else None,
                      probe.digit_labels if probe else np.arange(len(snapshot.insides[-1].probabilities)),
                      key=f"replay_{snapshot.job_id}")


def _switch_to(ref: ModelRef, everyone: bool = False) -> None:
    set_active(ref)
    if everyone:
        set_class_model(ref)


def _verdict_box(snapshot: JobSnapshot, verdict: Verdict) -> None:
    """Which model reads the drawings now and why, with the other choice one click away."""
    everyone = snapshot.kind is JobKind.CLASS_FINETUNE
    if verdict.note:
        st.warning(verdict.note, icon=":material/lightbulb:")
    if verdict.replaces:
        st.success(verdict.reason + (" Everyone in the class now draws with it." if everyone else ""),
                   icon=":material/check_circle:")
        previous = st.session_state.get(PREVIOUS_KEY, {}).get(snapshot.job_id)
        if previous is not None and active_ref() != previous:
            return
        if previous is not None:
            st.button(f"Back to {previous.label}", key=f"back_{snapshot.job_id}", on_click=_switch_to,
                      args=(previous, everyone), icon=":material/undo:")
    elif snapshot.state.has_model and snapshot.run_id:
        st.info(verdict.reason, icon=":material/info:")
        ref = run_ref(run_store().get(snapshot.run_id))
        if active_ref() != ref:
            st.button("Draw with this run anyway" if not everyone else "Make it the class's model anyway",
                      key=f"use_{snapshot.job_id}", on_click=_switch_to, args=(ref, everyone),
                      icon=":material/swap_horiz:")
    else:
        st.info(verdict.reason, icon=":material/info:")


def _apply_result(snapshot: JobSnapshot) -> None:
    """Once per job: judge the finished run against the model that reads this session's
    drawings (training/verdict.py) and switch to it only when the verdict says so."""
    st.session_state[DONE_KEY] = snapshot.job_id
    current = active_ref()
    ended = RunStatus.FAILED.value if snapshot.state is JobState.CANCELLED else snapshot.state.value
    record = run_store().get(snapshot.run_id) if snapshot.run_id else {
        "status": ended, "spec": snapshot.spec.to_dict(), "test_accuracy": snapshot.test_accuracy}
    verdict = judge(record, model_record(current), current.label)
    st.session_state.setdefault(VERDICT_KEY, {})[snapshot.job_id] = verdict
    if verdict.replaces and snapshot.state.has_model and snapshot.run_id:
        st.session_state.setdefault(PREVIOUS_KEY, {})[snapshot.job_id] = current
        _switch_to(run_ref(record), everyone=snapshot.kind is JobKind.CLASS_FINETUNE)


def _panel_body() -> None:
    snapshot = training_manager().snapshot(st.session_state.get(JOB_KEY))
    if snapshot is None:
        return
    st.subheader("Training")
    _progress(snapshot)
    if snapshot.state.final:
        _result(snapshot)
        if st.session_state.get(DONE_KEY) != snapshot.job_id:
            _apply_result(snapshot)
            st.rerun()  # the whole page: the drawing view switches to the new model


@st.fragment(run_every=0.5)
def _live_panel() -> None:
    _panel_body()


def training_panel() -> None:
    """Live while this session's job is queued, running or paused; a static summary afterwards."""
    snapshot = training_manager().snapshot(st.session_state.get(JOB_KEY))
    if snapshot is None:
        return
    with st.container(border=True):
        if snapshot.state.active:
            _live_panel()
        else:
            _panel_body()
