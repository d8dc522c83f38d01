"""Runs: every run kept on disk, a table, overlaid curves, per-run actions and the
model uploader. Opens at /runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from digitstudio.explain.convention import INPUT_SCALES_SHOWN
from digitstudio.export.keras_script import keras_script
from digitstudio.export.to_onnx import onnx_available, onnx_bytes
from digitstudio.export.to_tflite import tflite_bytes
from digitstudio.modeling.cli import command_line
from digitstudio.modeling.spec import ModelSpec
from digitstudio.storage.model_files import MAX_UPLOAD_BYTES, ModelFileError, load_model
from digitstudio.storage.runs import RunStatus
from digitstudio.storage.uploads import accept_upload, choose_input_scale
from ui.charts import curves_row, runs_frame
from ui.replay import run_replay
from ui.resources import active_ref, classroom_mode, mnist_or_error, run_ref, run_store, set_active, shipped_ref


def _table(runs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "run": run["id"],
        "status": run.get("status"),
        "test accuracy": run.get("test_accuracy"),
        "input": run.get("input_words") or ("expects raw 0–255 pixels" if (run.get("spec") or {}).get(
            "input_scale") == "raw" else "0–1 pixels"),
        "params": run.get("params"),
        "epochs": run.get("epochs_completed"),
        "seconds": run.get("train_seconds"),
        "layers": ModelSpec.from_dict(run["spec"]).layers_compact() if run.get("spec") else "",
        "created": run.get("created", ""),
    } for run in runs])


UPLOAD_KEY = "model_upload"  # session_state: the file uploader's value
UPLOAD_RESULT_KEY = "_model_upload_result"  # (kind, message) of the last upload, shown once


def runs_view(locked: bool = False) -> None:
    store = run_store()
    active = active_ref()
    st.markdown(f"**Model reading your drawings:** {active.label}")
    if active != shipped_ref():
        st.button("Use the shipped model", on_click=set_active, args=(shipped_ref(),),
                  icon=":material/restart_alt:")
    runs = store.list()
    if not locked:
        _upload_box(expanded=not runs)
    if not runs:
        st.info("No runs yet. Train one from the sidebar: every run is kept here.")
        return
    table = _table(runs)
    event = st.dataframe(
        table, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
        key="runs_table",
        column_config={"test accuracy": st.column_config.NumberColumn(format="percent"),
                       "seconds": st.column_config.NumberColumn(format="%.1f")},
    )
    chosen = [runs[i] for i in event.selection.rows] if event and event.selection.rows else runs[:1]
    st.caption("Select rows to compare their curves and act on them.")
    curves_row(runs_frame(chosen), color_field="run")
    for run in chosen:
        _run_actions(run, locked)


def _run_actions(run: dict, locked: bool = False) -> None:
    """Locked (classroom mode): students may use and download runs, not delete them."""
    store = run_store()
    run_id = run["id"]
    with st.container(border=True):
        st.markdown(f"**{run_id}** · {run.get('status')} · "
                    + (f"{run['test_accuracy']:.2%} test accuracy" if run.get("test_accuracy") is not None
                       else "no test accuracy"))
        if run.get("message"):
            st.caption(run["message"])
        if run.get("input_words"):
            st.caption(f"Input: {run['input_words']}.")
        if (run.get("input_convention") or {}).get("scale") == "unknown" and not locked:
            _ask_input_scale(run_id)
        cols = st.columns(3)
        if run.get("has_model"):
            cols[0].button("Use for drawing", key=f"use_{run_id}", on_click=set_active, args=(run_ref(run),),
                           disabled=active_ref().run_id == run_id)  # by id: labels may differ
            cols[1].download_button("Download .keras", data=store.model_path(run_id).read_bytes(),
                                    file_name=f"{run_id}.keras", key=f"dl_{run_id}",
                                    mime="application/octet-stream")
        if not locked and cols[2].button("Delete", key=f"del_{run_id}", type="secondary"):
            if active_ref().run_id == run_id:
                set_active(shipped_ref())
            store.delete(run_id)
            st.rerun()
        if run.get("finetune"):
            st.caption(f"A fine-tune of {run['finetune'].get('parent') or 'a model'} on labelled drawings: train.py "
                       "cannot reproduce it (it starts from that model's weights and uses the drawings in the "
                       "database; download them on Your handwriting and use `train.py --extra-data`).")
        elif run.get("spec"):
            st.code(run.get("command") or command_line(ModelSpec.from_dict(run["spec"])), language="bash")
        if run.get("status") != RunStatus.UPLOADED:
            with st.expander("Replay its training, epoch by epoch", icon=":material/slow_motion_video:"):
                run_replay(run_id, key=f"replay_{run_id}")
        _exports(run)


def _exports(run: dict) -> None:
    """The run in the formats engineers use: plain Keras code, TensorFlow Lite, ONNX."""
    store, run_id = run_store(), run["id"]
    with st.expander("Export: Keras code, TensorFlow Lite, ONNX", icon=":material/code:"):
        if run.get("spec"):
            script = keras_script(ModelSpec.from_dict(run["spec"]), title=run_id)
            st.caption("A standalone script in the style of the keras.io examples that rebuilds and trains "
                       "this exact model with plain Keras (`python train_digits.py --help`).")
            st.download_button("Download the Keras script (.py)", data=script, file_name="train_digits.py",
                               key=f"py_{run_id}", mime="text/x-python", icon=":material/download:")
            st.code(script, language="python")
        if not run.get("has_model"):
            return
        cols = st.columns(2)
        cols[0].download_button("Download .tflite", data=lambda: tflite_bytes(load_model(store.model_path(run_id))),
                                file_name=f"{run_id}.tflite", key=f"tflite_{run_id}",
                                mime="application/octet-stream", icon=":material/phone_android:",
                                help="TensorFlow Lite (LiteRT) for phones and microcontrollers; converted on click")
        if onnx_available():
            cols[1].download_button("Download .onnx", data=lambda: onnx_bytes(load_model(store.model_path(run_id))),
                                    file_name=f"{run_id}.onnx", key=f"onnx_{run_id}",
                                    mime="application/octet-stream", icon=":material/share:",
                                    help="ONNX (tf2onnx), for ONNX Runtime and other frameworks; converted on click")


def _ask_input_scale(run_id: str) -> None:
    """MNIST was not available to detect the uploaded model's pixel convention: ask."""
    choice = st.radio("Which pixels does this model expect?", list(INPUT_SCALES_SHOWN),
                      format_func=INPUT_SCALES_SHOWN.get, key=f"scale_{run_id}", index=None, horizontal=True,
                      help="Models from tutorials that skip the division by 255 expect raw pixels.")
    if choice is not None:
        data, _ = mnist_or_error()
        record = choose_input_scale(run_store(), run_id, choice, data)
        if active_ref().run_id == run_id:
            set_active(run_ref(record))
        st.rerun()


# --- uploading a model -----------------------------------------------------------------

def _upload_box(expanded: bool) -> None:
    with st.expander("Upload a model (.keras or .h5)", expanded=expanded, icon=":material/upload:"):
        st.file_uploader(
            "A Keras model that reads 28×28 digits into 10 classes (Keras 3 .keras, or a tutorial's .h5)",
            type=["keras", "h5"], key=UPLOAD_KEY, on_change=_take_upload, max_upload_size=MAX_UPLOAD_BYTES // 2**20,
            help="Checked before anything is built: size, parameter count, no Python code inside (no Lambda "
                 "layers). Then scored on the MNIST test set, and its pixel convention (0–1 or 0–255) found.",
        )
    # Outside the expander: after an upload the list is no longer empty and the box folds.
    kind, message = st.session_state.pop(UPLOAD_RESULT_KEY, (None, ""))
    if kind == "error":
        st.error(message, icon=":material/block:")
    elif kind == "success":
        st.success(message, icon=":material/check_circle:")


def _take_upload() -> None:
    """Runs before the page is drawn (on_change), so the whole page already uses an
    accepted model. The file is untrusted: accept_upload checks it before Keras builds
    anything, and only then keeps it as a run (under a sanitised id, inside the runs
    folder), scored on MNIST with its pixel convention found."""
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None:
        return
    data, _ = mnist_or_error()
    try:
        run = accept_upload(run_store(), uploaded.name, uploaded.getvalue(), data)
    except ModelFileError as exc:
        st.session_state[UPLOAD_RESULT_KEY] = ("error", f"Not used: {exc}")
        return
    set_active(run_ref(run))
    shown = Path(uploaded.name).name[:80]
    score = f", {run['test_accuracy']:.1%} on the MNIST test set" if run.get("test_accuracy") is not None else ""
    st.session_state[UPLOAD_RESULT_KEY] = (
        "success", f"{shown} passed the checks ({run['input_words']}{score}) and now reads your drawings "
                   f"(kept as run {run['id']}).")


runs_view(locked=classroom_mode())
