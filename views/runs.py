"""Runs: every run kept on disk, a table, overlaid curves, per-run actions and the
model uploader. Opens at /runs.

Runs are told apart by a short name that says what each is (modeling/naming.py:
"Dense 128 → Dropout 0.2 · Adam 0.003 · 3 ep"); the table shows their settings as
columns, as MLflow's and TensorBoard's run tables do. The selection is kept by run id, so
a run uploaded or finished meanwhile (which comes first in the table) moves no checkmark.
Nothing here reads a model file until a download is clicked."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from digitstudio.explain.convention import INPUT_SCALES_SHOWN
from digitstudio.export.keras_script import keras_script, not_reproduced
from digitstudio.export.to_onnx import onnx_available, onnx_bytes
from digitstudio.export.to_tflite import tflite_bytes
from digitstudio.modeling.cli import command_line
from digitstudio.modeling.naming import optimizer_name, run_name
from digitstudio.modeling.spec import FIELD, MNIST_TRAIN_SIZE, ModelSpec, SpecError, format_number, parse_lr_changes
from digitstudio.storage.model_files import MAX_UPLOAD_BYTES, ModelFileError, load_model
from digitstudio.storage.runs import RunStatus
from digitstudio.storage.uploads import accept_upload, choose_input_scale
from ui.charts import compare_row, runs_frame
from ui.replay import run_replay
from ui.resources import active_ref, classroom_mode, mnist_or_error, run_ref, run_store, set_active, shipped_ref

UPLOAD_KEY = "model_upload"  # session_state: the file uploader's value
UPLOAD_RESULT_KEY = "_model_upload_result"  # (kind, message) of the last upload, shown once
TABLE_KEY = "runs_table"  # session_state: the table's selection, as row positions (Streamlit's)
SELECTED_KEY = "runs_selected"  # session_state: the selected run ids, the selection that counts
SHOWN_KEY = "_runs_table_shown"  # session_state: (run ids in table order, selected rows) as last drawn


def _spec(run: dict) -> ModelSpec | None:
    """The run's training setup, None for an upload or an unreadable record."""
    try:
        return ModelSpec.from_dict(run["spec"]) if run.get("spec") else None
    except (SpecError, TypeError):
        return None


def run_title(run: dict) -> str:
    """What a run is, in one line: naming.run_name of its setup ("Dense 128 → Dropout 0.2 ·
    Adam 0.003 · 3 ep"); a fine-tune's label ("fine-tune of …"); "upload: <file>"."""
    if run.get("finetune"):
        return run.get("label") or "fine-tune"
    spec = _spec(run)
    if spec is not None:
        return run_name(spec)
    if run.get("source_file"):
        return f"upload: {run['source_file']}"
    return run.get("label") or run["id"]


def legend_names(runs: list[dict]) -> list[str]:
    """Each run's title, made unique among `runs` where two share one: by its creation time
    from the id ("… (10:05:13)"), or by its whole id when that is shared too."""
    titles = [run_title(run) for run in runs]
    names = []
    for run, title in zip(runs, titles):
        if titles.count(title) > 1:
            when = re.match(r"\d{8}-(\d\d)(\d\d)(\d\d)", run["id"])
            title += f" ({':'.join(when.groups())})" if when else ""
        names.append(title)
    return [name if names.count(name) == 1 else f"{title} ({run['id']})"
            for run, title, name in zip(runs, titles, names)]


def _schedule(spec: ModelSpec) -> str:
    changes = parse_lr_changes(spec.lr_changes)
    if changes:
        return ", ".join(f"{format_number(rate)} from batch {step}" for step, rate in changes)
    return spec.lr_schedule


def _table(runs: list[dict]) -> pd.DataFrame:
    """One row per run: its name, score and settings (spec fields by their labels), id last."""
    rows = []
    for run in runs:
        spec = _spec(run)
        rows.append({
            "name": run_title(run),
            "test accuracy": run.get("test_accuracy"),
            "layers": spec.layers_compact() if spec else None,
            "optimizer": optimizer_name(spec, rates=False) if spec else None,
            "learning rate": spec.learning_rate if spec else None,
            "schedule": _schedule(spec) if spec else None,
            "epochs": run.get("epochs_completed") if spec else None,
            "batch": spec.batch_size if spec else None,
            "training images": (spec.train_size or MNIST_TRAIN_SIZE) if spec else None,
            "parameters": run.get("params"),
            "seconds": run.get("train_seconds"),
            "status": run.get("status"),
            "input": run.get("input_words") or ("expects raw 0–255 pixels" if spec and spec.input_scale == "raw"
                                                else "0–1 pixels"),
            "run": run["id"],
            "created": run.get("created", ""),
        })
    return pd.DataFrame(rows)


_COLUMNS = {
    "name": st.column_config.TextColumn("name", pinned=True, help="What the run is: its layers (or preset), "
                                        "optimizer and learning rate, epochs, and what differs from plain MNIST"),
    "test accuracy": st.column_config.NumberColumn(format="percent", help="On the 10,000 MNIST test digits"),
    "layers": st.column_config.TextColumn(help="The hidden layers in train.py's --layers form (the 10-way "
                                               "softmax output is added)"),
    "learning rate": st.column_config.NumberColumn(format="%g", help="The rate it started with"),
    "schedule": st.column_config.TextColumn(help="constant, cosine, or the learning-rate changes made during the "
                                                 "run (batches counted over all epochs, from 0)"),
    "epochs": st.column_config.NumberColumn(help="Epochs completed"),
    "batch": st.column_config.NumberColumn(help=FIELD["batch_size"].help),
    "training images": st.column_config.NumberColumn(format="localized", help=FIELD["train_size"].help),
    "parameters": st.column_config.NumberColumn(format="localized"),
    "seconds": st.column_config.NumberColumn(format="%.1f", help="Training time"),
    "run": st.column_config.TextColumn("run", help="The run's id: its folder in the runs folder"),
}


def _selected_ids(ids: list[str]) -> list[str]:
    """The selected run ids, kept by id. The table reports its selection as row positions
    in the order it was last drawn (SHOWN_KEY); a change there is the user's and is mapped
    to ids. The ids are then set back as positions in today's order, since a new run comes
    first and shifts every row down."""
    shown_ids, shown_rows = st.session_state.get(SHOWN_KEY, ([], []))
    state = st.session_state.get(TABLE_KEY)
    rows = sorted(state["selection"]["rows"]) if state else None
    selected = [run_id for run_id in st.session_state.get(SELECTED_KEY, []) if run_id in ids]
    if rows is not None and rows != shown_rows:  # ticked or unticked in the table as it was drawn
        selected = [shown_ids[row] for row in rows if row < len(shown_ids) and shown_ids[row] in ids]
    wanted = sorted(ids.index(run_id) for run_id in selected)
    if wanted != rows:
        st.session_state[TABLE_KEY] = {"selection": {"rows": wanted, "columns": [], "cells": []}}
    st.session_state[SELECTED_KEY] = selected
    st.session_state[SHOWN_KEY] = (ids, wanted)
    return selected


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
    ids = [run["id"] for run in runs]
    selected = _selected_ids(ids)
    st.dataframe(_table(runs), hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
                 key=TABLE_KEY, column_config=_COLUMNS)
    by_id = {run["id"]: run for run in runs}
    chosen = [by_id[run_id] for run_id in ids if run_id in selected] or runs[:1]
    if selected:
        st.caption(f"Comparing {len(chosen)} selected run{'s' if len(chosen) > 1 else ''}; tick rows to add more.")
    else:
        st.caption("Showing the newest run. Tick rows to compare their curves and act on them.")
    compare_row(runs_frame(chosen, legend_names(chosen)))
    for run in chosen:
        _run_actions(run, locked)


def _run_actions(run: dict, locked: bool = False) -> None:
    """Locked (classroom mode): students may use and download runs, not delete them."""
    store = run_store()
    run_id = run["id"]
    with st.container(border=True):
        st.markdown(f"**{run_title(run)}** · {run.get('status')} · "
                    + (f"{run['test_accuracy']:.2%} test accuracy" if run.get("test_accuracy") is not None
                       else "no test accuracy"))
        st.caption(f"Run {run_id}" + (f" · {run['message']}" if run.get("message") else ""))
        if run.get("input_words"):
            st.caption(f"Input: {run['input_words']}.")
        if (run.get("input_convention") or {}).get("scale") == "unknown" and not locked:
            _ask_input_scale(run_id)
        cols = st.columns(3)
        if run.get("has_model"):
            cols[0].button("Use for drawing", key=f"use_{run_id}", on_click=set_active, args=(run_ref(run),),
                           disabled=active_ref().run_id == run_id)  # by id: labels may differ
            # data as a function: the file is read when the button is clicked, not on every rerun
            cols[1].download_button("Download .keras", data=lambda: store.model_path(run_id).read_bytes(),
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
        elif _spec(run) is not None:
            st.code(run.get("command") or command_line(_spec(run)), language="bash")
        if run.get("status") != RunStatus.UPLOADED:
            with st.expander("Replay its training, epoch by epoch", icon=":material/slow_motion_video:"):
                run_replay(run_id, key=f"replay_{run_id}")
        _exports(run)


def _exports(run: dict) -> None:
    """The run in the formats engineers use: plain Keras code, TensorFlow Lite, ONNX."""
    store, run_id = run_store(), run["id"]
    with st.expander("Export: Keras code, TensorFlow Lite, ONNX", icon=":material/code:"):
        spec = _spec(run)
        if spec is not None and not run.get("finetune"):
            script = keras_script(spec, title=run_title(run))
            missing = [FIELD[name].label.lower() for name in not_reproduced(spec)]
            if missing:
                st.caption("A standalone script in the style of the keras.io examples that rebuilds this model and "
                           "trains it as this run did, with plain Keras, except for "
                           f"{', '.join(missing)}: Digit Studio's own data, named at the script's top "
                           "(`python train_digits.py --help`).")
            else:
                st.caption("A standalone script in the style of the keras.io examples that rebuilds and trains "
                           "this exact model with plain Keras, learning-rate changes included "
                           "(`python train_digits.py --help`).")
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
