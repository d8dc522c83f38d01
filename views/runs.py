"""Runs: every run kept on disk, a table, overlaid curves, per-run actions and the
model uploader. Opens at /runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from digitstudio.modeling.cli import command_line
from digitstudio.modeling.spec import ModelSpec
from digitstudio.storage.model_files import (
    MAX_UPLOAD_BYTES,
    ModelFileError,
    load_uploaded_model,
)
from ui.charts import curves_row, runs_frame
from ui.resources import ModelRef, active_ref, classroom_mode, run_ref, run_store, set_active, shipped_ref


def _table(runs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "run": run["id"],
        "status": run.get("status"),
        "test accuracy": run.get("test_accuracy"),
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
        cols = st.columns(3)
        if run.get("has_model"):
            ref = run_ref(store.model_path(run_id), run_id, run.get("test_accuracy"))
            cols[0].button("Use for drawing", key=f"use_{run_id}", on_click=set_active, args=(ref,),
                           disabled=active_ref().run_id == run_id)  # by id: labels may differ
            cols[1].download_button("Download .keras", data=store.model_path(run_id).read_bytes(),
                                    file_name=f"{run_id}.keras", key=f"dl_{run_id}",
                                    mime="application/octet-stream")
        if not locked and cols[2].button("Delete", key=f"del_{run_id}", type="secondary"):
            if active_ref().run_id == run_id:
                set_active(shipped_ref())
            store.delete(run_id)
            st.rerun()
        if run.get("spec"):
            st.code(run.get("command") or command_line(ModelSpec.from_dict(run["spec"])), language="bash")


# --- uploading a model -----------------------------------------------------------------

def _upload_box(expanded: bool) -> None:
    with st.expander("Upload a model (.keras)", expanded=expanded, icon=":material/upload:"):
        st.file_uploader(
            "A Keras 3 model that reads 28×28 digits into 10 classes", type=["keras"], key=UPLOAD_KEY,
            on_change=_take_upload, max_upload_size=MAX_UPLOAD_BYTES // 2**20,
            help="Checked before use: no code inside the file is ever run (no Lambda layers).",
        )
    # Outside the expander: after an upload the list is no longer empty and the box folds.
    kind, message = st.session_state.pop(UPLOAD_RESULT_KEY, (None, ""))
    if kind == "error":
        st.error(message, icon=":material/block:")
    elif kind == "success":
        st.success(message, icon=":material/check_circle:")


def _take_upload() -> None:
    """Runs before the page is drawn (on_change), so the whole page already uses an
    accepted model. The file is untrusted: load_uploaded_model checks it, and only
    then are its bytes kept as a run (under a sanitised id, inside the runs folder)."""
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None:
        return
    data = uploaded.getvalue()
    try:
        model = load_uploaded_model(uploaded.name, data)
    except ModelFileError as exc:
        st.session_state[UPLOAD_RESULT_KEY] = ("error", f"Not used: {exc}")
        return
    shown = Path(uploaded.name).name[:80]
    run = run_store().save_model_file(data, label=f"upload-{Path(shown).stem}", info={
        "params": model.count_params(), "message": f"Uploaded from {shown}.", "source_file": shown})
    set_active(ModelRef(path=str(run_store().model_path(run["id"])), run_id=run["id"],
                        label=f"{run['id']} (uploaded)"))
    st.session_state[UPLOAD_RESULT_KEY] = (
        "success", f"{shown} passed the checks and now reads your drawings (kept as run {run['id']}).")


runs_view(locked=classroom_mode())
