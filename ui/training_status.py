"""This session's training, below the page: live progress and curves while it is
queued, running or paused, then its result. It only reads frozen JobSnapshots of
the process-wide queue, so every Streamlit call stays on the script thread."""

from __future__ import annotations

import streamlit as st

from digitstudio.training.jobs import JobSnapshot, JobState
from ui.charts import curves_frame, curves_row
from ui.resources import run_ref, run_store, set_active, set_class_model, training_manager
from ui.sidebar import DONE_KEY, JOB_KEY

CLASS_FINETUNE = "class fine-tune"  # the label prefix of a fine-tune on the class's digits


def _progress(snapshot: JobSnapshot) -> None:
    manager, job = training_manager(), snapshot.job_id
    if snapshot.state is JobState.QUEUED:
        st.info(f"Waiting for the server: another training is running. You are number "
                f"{snapshot.queue_position} in the queue.", icon=":material/hourglass:")
        st.button("Cancel", on_click=manager.stop, args=(job,), key="cancel_training")
        return
    progress = snapshot.progress
    if snapshot.state in (JobState.RUNNING, JobState.PAUSED):
        text = f"Epoch {progress.epoch}/{progress.epochs} · batch {progress.batch}/{progress.batches}"
        if snapshot.state is JobState.PAUSED:
            text += " · paused"
        elif progress.eta is not None:
            text += f" · about {progress.eta:.0f}s left"
        cols = st.columns([4, 1, 1])
        cols[0].progress(progress.fraction, text=text)
        if snapshot.state is JobState.PAUSED:
            cols[1].button("Resume", on_click=manager.resume, args=(job,), key="resume_training",
                           help="Carry on training from where it holds")
        else:
            cols[1].button("Pause", on_click=manager.pause, args=(job,), key="pause_training",
                           help="Hold training between two batches (it keeps its place)")
        cols[2].button("Stop", on_click=manager.stop, args=(job,), key="stop_training", type="secondary",
                       help="End training at the next batch and keep the model as it is")
    frame = curves_frame(snapshot.history, snapshot.curve)
    if not frame.empty:
        curves_row(frame)
    elif snapshot.state is JobState.RUNNING:
        st.caption("The first curve points appear within a second or two…")


def _result(snapshot: JobSnapshot) -> None:
    if snapshot.state.has_model:
        acc, loss = snapshot.test_accuracy, snapshot.test_loss
        cols = st.columns(4)
        cols[0].metric("Test accuracy", f"{acc:.2%}" if acc is not None else "–")
        cols[1].metric("Test loss", f"{loss:.4f}" if loss is not None else "–")
        cols[2].metric("Training time", f"{snapshot.train_seconds or 0:.1f} s")
        cols[3].metric("Parameters", f"{snapshot.params:,}")
        verb = "finished" if snapshot.state is JobState.COMPLETED else "was stopped early"
        if snapshot.run_id:
            st.success(f"Training {verb}; this model now reads your drawings. The shipped model is one "
                       "click away in Runs.", icon=":material/check_circle:")
        else:
            st.warning(snapshot.message, icon=":material/warning:")
    else:
        st.error(f"{snapshot.message or 'Training did not finish.'} Your previous model is still "
                 "the one reading your drawings.", icon=":material/error:")


def _apply_result(snapshot: JobSnapshot) -> None:
    """Once per job: make a finished run this session's model."""
    st.session_state[DONE_KEY] = snapshot.job_id
    if snapshot.state.has_model and snapshot.run_id:
        ref = run_ref(run_store().get(snapshot.run_id))
        set_active(ref)
        if snapshot.label.startswith(CLASS_FINETUNE):
            set_class_model(ref)  # the teacher taught it the class's digits: everyone draws with it now


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
