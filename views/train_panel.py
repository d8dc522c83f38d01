"""Retrain from the sidebar: a form of controls, then live progress and curves.

Training runs on the process-wide TrainingManager's worker thread; this page only
reads plain-data snapshots of it, so every Streamlit call stays on the script thread.
"""

from __future__ import annotations

import functools
import os
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from digitstudio.data.mnist import load_mnist
from digitstudio.modeling.presets import PRESETS
from digitstudio.modeling.spec import (
    ACTIVATIONS,
    LAYER_TYPES,
    LR_SCHEDULES,
    OPTIMIZERS,
    ModelSpec,
    SpecError,
    layer_plan,
    layers_from_rows,
    layers_to_rows,
    validate,
)
from digitstudio.storage.runs import RunStore
from digitstudio.storage.share import matching_preset, spec_from_query, spec_to_query
from digitstudio.training.fit import command_line
from digitstudio.training.jobs import TrainingManager

from .resources import mnist_problem, run_ref, set_active

JOB_KEY = "training_job"  # session_state: this session's current/last job id
DONE_KEY = "_training_job_done"  # the job whose result was already applied
PRESET_KEY = "preset"
LINK_KEY = "_shared_link"  # session_state: {"spec", "error"} from the link this session opened with
# The element's own height: with only the chart's height, Streamlit's theme squeezes
# the plot to a sliver under the title and legend.
CHART_HEIGHT = 300
OPTIMIZER_LABELS = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam"}


@st.cache_resource
def run_store() -> RunStore:
    return RunStore()


@functools.cache
def _load_mnist_once():
    return load_mnist()


@st.cache_resource
def training_manager() -> TrainingManager:
    """One queue per server: at most DIGIT_STUDIO_MAX_TRAININGS trainings at once."""
    return TrainingManager(run_store(), _load_mnist_once)


# --- the form ---------------------------------------------------------------------------

def _fill_from_preset() -> None:
    """Picking a preset fills every control (called before the widgets are drawn)."""
    _fill_from_spec(PRESETS[st.session_state[PRESET_KEY]].spec)


def _fill_from_spec(spec: ModelSpec) -> None:
    state = st.session_state
    state["layer_rows"] = layers_to_rows(spec.layers)
    state["layer_table_gen"] = state.get("layer_table_gen", 0) + 1
    state["f_optimizer"] = spec.optimizer
    state["f_lr"] = spec.learning_rate
    state["f_schedule"] = spec.lr_schedule
    state["f_momentum"] = spec.momentum
    state["f_epochs"] = spec.epochs
    state["f_batch"] = spec.batch_size
    state["f_split"] = spec.validation_split
    state["f_on_test"] = spec.validate_on_test
    state["f_augment"] = spec.augment
    state["f_seed"] = spec.seed
    # A classroom default: a subset that trains in seconds. 60,000 = the whole set.
    state["f_train_size"] = spec.train_size or 60_000
    state["f_loss"] = spec.loss


def _read_shared_link() -> dict:
    """Once per session, before the controls exist: a link's setup (?preset=… or ?spec=…,
    see digitstudio/share.py) fills them. A link that fails validation changes nothing;
    its reason is kept to show until the user moves on (Check, Train or a preset)."""
    if LINK_KEY not in st.session_state:
        try:
            link = {"spec": spec_from_query(st.query_params.to_dict()), "error": ""}
        except SpecError as exc:
            link = {"spec": None, "error": str(exc)}
        st.session_state[LINK_KEY] = link
        if link["spec"] is not None:
            st.session_state[PRESET_KEY] = matching_preset(link["spec"]) or "seed-mlp"
            _fill_from_spec(link["spec"])
    return st.session_state[LINK_KEY]


def _forget_link_error() -> None:
    st.session_state.get(LINK_KEY, {})["error"] = ""


def _on_preset_change() -> None:
    _forget_link_error()
    _fill_from_preset()


def _spec_from_form(rows: list[dict]) -> ModelSpec:
    s = st.session_state
    train_size = int(s["f_train_size"])
    return validate(ModelSpec(
        layers=layers_from_rows(rows), optimizer=s["f_optimizer"], learning_rate=s["f_lr"],
        lr_schedule=s["f_schedule"], momentum=s["f_momentum"], loss=s["f_loss"],
        epochs=s["f_epochs"], batch_size=s["f_batch"], validation_split=s["f_split"],
        validate_on_test=s["f_on_test"], augment=s["f_augment"], seed=s["f_seed"],
        train_size=None if train_size >= 60_000 else train_size,
    ))


def _layer_editor() -> list[dict]:
    rows = pd.DataFrame(st.session_state["layer_rows"], columns=["layer", "size", "kernel", "activation", "rate"])
    edited = st.data_editor(
        rows, key=f"layer_table_{st.session_state.get('layer_table_gen', 0)}",
        num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "layer": st.column_config.SelectboxColumn("layer", options=list(LAYER_TYPES), required=True,
                                                      help="dense, dropout, batchnorm, conv2d, maxpool, flatten"),
            "size": st.column_config.NumberColumn("size", min_value=1, step=1,
                                                  help="units (dense), filters (conv2d), pool size (maxpool)"),
            "kernel": st.column_config.NumberColumn("kernel", min_value=1, max_value=7, step=1,
                                                    help="conv2d kernel side"),
            "activation": st.column_config.SelectboxColumn("activation", options=list(ACTIVATIONS)),
            "rate": st.column_config.NumberColumn("rate", min_value=0.0, max_value=0.99, step=0.05,
                                                  help="dropout: fraction of units dropped"),
        },
    )
    return edited.to_dict("records")


def training_form(locked: bool = False) -> None:
    """The sidebar: preset, layer table, optimizer, learning rate, epochs, batch size…"""
    link = _read_shared_link()
    if "layer_rows" not in st.session_state:
        st.session_state.setdefault(PRESET_KEY, "seed-mlp")
        _fill_from_preset()
    st.header("Train a model")
    if link["error"]:
        st.error(f"The link's setup was not used: {link['error']}", icon=":material/link_off:")
    if locked:
        st.info("Training is switched off on this server (classroom mode). Drawing and the "
                "inside views still work.")
        if link["spec"] is not None:  # read-only: nothing here can start a training
            st.markdown("**The teacher's setup** (from the link)")
            st.code(command_line(link["spec"]), language="bash", wrap_lines=True)
        return
    elif link["spec"] is not None:
        st.caption("Filled in from the link you opened.")
    data_problem = mnist_problem()
    if data_problem:
        st.warning(data_problem, icon=":material/cloud_off:")
    st.selectbox("Preset", list(PRESETS), key=PRESET_KEY, on_change=_on_preset_change,
                 format_func=lambda name: f"{name} · {PRESETS[name].title}",
                 help="Fills every control below; then change what you like.")
    st.caption(PRESETS[st.session_state[PRESET_KEY]].reported)
    with st.form("train_form", border=False):
        st.markdown("**Layers** (input 28×28 → … → softmax over 10 digits)")
        rows = _layer_editor()
        st.caption("Add rows at the bottom, delete with the row checkbox, reorder by editing rows. "
                   "The 10-way softmax output is added for you.")
        st.selectbox("Optimizer", list(OPTIMIZERS), key="f_optimizer", format_func=OPTIMIZER_LABELS.get)
        c1, c2 = st.columns(2)
        c1.number_input("Learning rate", min_value=1e-6, max_value=10.0, key="f_lr", format="%.4f", step=0.0005)
        c2.selectbox("LR schedule", list(LR_SCHEDULES), key="f_schedule")
        c1.number_input("Epochs", min_value=1, max_value=200, step=1, key="f_epochs")
        c2.number_input("Batch size", min_value=1, max_value=8192, step=16, key="f_batch")
        c1.number_input("Training images", min_value=10, max_value=60_000, step=1000, key="f_train_size",
                        help="Use fewer for a quick class demo: 5,000 images train in seconds.")
        c2.number_input("Validation split", min_value=0.0, max_value=0.5, step=0.05, key="f_split",
                        help="Fraction of the training images held out to check for overfitting")
        with st.expander("More options"):
            st.number_input("Momentum (SGD)", min_value=0.0, max_value=0.99, step=0.1, key="f_momentum")
            st.selectbox("Loss", ["sparse_categorical_crossentropy", "categorical_crossentropy"], key="f_loss")
            st.checkbox("Validate on the test set (as the tutorial did)", key="f_on_test")
            st.checkbox("Augment (zoom, rotate, shift, stroke width)", key="f_augment",
                        help="Helps with hand-drawn digits; costs time per epoch")
            st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="f_seed")
        check, train = st.columns(2)
        # on_click runs before the page is drawn, so a link's old error is already gone
        checked = check.form_submit_button("Check", width="stretch", on_click=_forget_link_error)
        started = train.form_submit_button("Train", type="primary", width="stretch", on_click=_forget_link_error,
                                           disabled=bool(data_problem))  # it could only fail
    if checked or started:
        _check_and_start(rows, start=started)
    _share_box()


def _check_and_start(rows: list[dict], start: bool) -> None:
    try:
        spec = _spec_from_form(rows)
    except SpecError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.session_state["layer_rows"] = layers_to_rows(spec.layers)
    _show_plan(spec)
    if start:
        _start(spec)


def _share_box() -> None:
    """The current setup as a link to paste into a chat or onto the board."""
    with st.expander("Share this setup", icon=":material/share:"):
        try:
            spec = _spec_from_form(st.session_state["layer_rows"])
        except SpecError as exc:
            st.caption(f"Fix the setup first: {exc}")
            return
        query = urlencode(spec_to_query(spec))
        st.code(f"{(st.context.url or '').rstrip('/')}/?{query}", language=None, wrap_lines=True)
        st.caption("Opening this link fills these controls. Press **Check** first to include "
                   "changes you have not checked yet.")


def _show_plan(spec: ModelSpec) -> None:
    plan = layer_plan(spec.layers)
    total = sum(step["params"] for step in plan)
    st.success(f"{total:,} parameters", icon=":material/check:")
    st.dataframe(pd.DataFrame([{
        "layer": step["type"] + (" (added)" if step["implied"] else ""),
        "output": "×".join(str(n) for n in step["output_shape"]),
        "params": step["params"],
    } for step in plan]), hide_index=True, width="stretch")


def _start(spec: ModelSpec) -> None:
    job = st.session_state.get(JOB_KEY)
    manager = training_manager()
    if job and manager.snapshot(job).get("state") in ("queued", "running"):
        st.warning("A training of yours is already running; stop it first.")
        return
    label = st.session_state.get(PRESET_KEY, "custom")
    st.session_state[JOB_KEY] = manager.submit(spec, label=label, owner=_session_id())
    st.session_state.pop(DONE_KEY, None)


def _session_id() -> str:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        return get_script_run_ctx().session_id
    except Exception:
        return os.urandom(4).hex()


# --- live progress ----------------------------------------------------------------------

def curves_frame(snapshot: dict) -> pd.DataFrame:
    """Long-format curves: per-epoch train/validation points plus the running
    (intra-epoch) training values, so charts move several times per epoch."""
    rows = []
    history = snapshot.get("history") or {}
    for metric in ("accuracy", "loss"):
        for epoch, value in enumerate(history.get(metric, []), start=1):
            rows.append({"epoch": epoch, "metric": metric, "series": "train", "value": value})
        for epoch, value in enumerate(history.get(f"val_{metric}", []), start=1):
            rows.append({"epoch": epoch, "metric": metric, "series": "validation", "value": value})
        for point in snapshot.get("curve") or []:
            rows.append({"epoch": point["epoch"], "metric": metric, "series": "train, live",
                         "value": point.get(metric)})
    return pd.DataFrame(rows, columns=["epoch", "metric", "series", "value"]).dropna()


def curves_row(frame: pd.DataFrame, color_field: str = "series") -> None:
    """Accuracy and loss side by side (each only if it has points)."""
    left, right = st.columns(2)
    for column, metric in ((left, "accuracy"), (right, "loss")):
        if (frame["metric"] == metric).any():
            column.altair_chart(curves_chart(frame, metric, color_field), width="stretch", height=CHART_HEIGHT)


def curves_chart(frame: pd.DataFrame, metric: str, color_field: str = "series"):
    data = frame[frame["metric"] == metric]
    title = "accuracy" if metric == "accuracy" else "loss (cross-entropy)"
    return (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=30))
        .encode(
            x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(zero=False)),
            y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False),
                    axis=alt.Axis(format="%" if metric == "accuracy" else ".3")),
            # A legend beside or below the plot squeezes it to a sliver in a half-width column.
            color=alt.Color(f"{color_field}:N", title=None,
                            legend=alt.Legend(orient="top", direction="horizontal", symbolSize=50,
                                              labelLimit=240, columnPadding=8)),
            tooltip=[color_field, alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(height=240, title=title.capitalize())
    )


def _progress(snapshot: dict) -> None:
    state = snapshot.get("state")
    manager = training_manager()
    job = st.session_state[JOB_KEY]
    if state == "queued":
        st.info(f"Waiting for the server: another training is running. You are number "
                f"{snapshot.get('queue_position', '?')} in the queue.", icon=":material/hourglass:")
        st.button("Cancel", on_click=manager.stop, args=(job,), key="cancel_training")
        return
    progress = snapshot.get("progress") or {}
    epochs, batches = progress.get("epochs") or 1, progress.get("batches") or 1
    epoch, batch = progress.get("epoch") or 0, progress.get("batch") or 0
    done = ((max(epoch, 1) - 1) * batches + batch) / (epochs * batches) if epoch else 0.0
    if state == "running":
        eta = progress.get("eta")
        text = f"Epoch {epoch}/{epochs} · batch {batch}/{batches}"
        if eta is not None:
            text += f" · about {eta:.0f}s left"
        cols = st.columns([4, 1])
        cols[0].progress(min(max(done, 0.0), 1.0), text=text)
        cols[1].button("Stop", on_click=manager.stop, args=(job,), key="stop_training", type="secondary",
                       help="End training at the next batch and keep the model as it is")
    frame = curves_frame(snapshot)
    if not frame.empty:
        curves_row(frame)
    elif state == "running":
        st.caption("The first curve points appear within a second or two…")


def _result(snapshot: dict) -> None:
    state = snapshot.get("state")
    if state in ("completed", "stopped"):
        acc, loss = snapshot.get("test_accuracy"), snapshot.get("test_loss")
        cols = st.columns(4)
        cols[0].metric("Test accuracy", f"{acc:.2%}" if acc is not None else "–")
        cols[1].metric("Test loss", f"{loss:.4f}" if loss is not None else "–")
        cols[2].metric("Training time", f"{snapshot.get('train_seconds', 0):.1f} s")
        cols[3].metric("Parameters", f"{snapshot.get('params', 0):,}")
        verb = "finished" if state == "completed" else "was stopped early"
        st.success(f"Training {verb}; this model now reads your drawings. The shipped model is one "
                   "click away in Runs.", icon=":material/check_circle:")
    elif state in ("diverged", "failed", "cancelled"):
        st.error(f"{snapshot.get('message') or 'Training did not finish.'} Your previous model is still "
                 "the one reading your drawings.", icon=":material/error:")


def _apply_result(snapshot: dict) -> None:
    """Once per job: make a finished run this session's model."""
    job = st.session_state[JOB_KEY]
    if st.session_state.get(DONE_KEY) == job:
        return
    st.session_state[DONE_KEY] = job
    run_id = snapshot.get("run_id")
    if snapshot.get("state") in ("completed", "stopped") and run_id:
        set_active(run_ref(run_store().model_path(run_id), run_id, snapshot.get("test_accuracy")))


def _panel_body() -> None:
    job = st.session_state.get(JOB_KEY)
    snapshot = training_manager().snapshot(job)
    st.subheader("Training")
    _progress(snapshot)
    if snapshot.get("state") not in ("queued", "running"):
        _result(snapshot)
        if st.session_state.get(DONE_KEY) != job:
            _apply_result(snapshot)
            st.rerun()  # the whole page: the drawing view switches to the new model


@st.fragment(run_every=0.5)
def _live_panel() -> None:
    _panel_body()


def training_panel() -> None:
    """Live while this session's job is queued or running; a static summary afterwards."""
    job = st.session_state.get(JOB_KEY)
    if not job:
        return
    snapshot = training_manager().snapshot(job)
    if not snapshot:
        return
    with st.container(border=True):
        if snapshot.get("state") in ("queued", "running"):
            _live_panel()
        else:
            _panel_body()
