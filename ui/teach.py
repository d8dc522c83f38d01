"""Teaching the model people's own drawings ("Teach the model"): who may (the teacher,
in classroom mode), and queueing the fine-tune through the training queue."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from digitstudio.drawing.predict import not_sure_threshold
from digitstudio.settings import settings
from digitstudio.storage.drawings import Scope, StoreUnavailable
from digitstudio.training.finetune import FinetuneError, FinetuneSettings, finetune_spec, finetune_task
from digitstudio.training.jobs import JobKind, JobLimitError
from ui.labels import drawing_store
from ui.resources import ModelRef, classroom_mode, model_name, model_record, training_manager
from ui.session import DONE_KEY, JOB_KEY, session_id

TEACH_SETTINGS = FinetuneSettings()  # measured in bench/finetune_benefit.py (tests use a tiny one)
_TEACHER_KEY = "_teacher_ok"
_WRONG = "_teacher_passcode_wrong"  # the last passcode entered was not the teacher's
STUDENT_TEACH = ("In classroom mode your drawings teach the class's model: the teacher teaches it on the "
                 "Class page.")


def is_teacher() -> bool:
    """Outside classroom mode everyone is; in it, whoever entered DIGIT_STUDIO_TEACHER_PASSCODE."""
    if not classroom_mode():
        return True
    return bool(st.session_state.get(_TEACHER_KEY))


def _check_passcode() -> None:
    entered = st.session_state.get("_teacher_passcode", "")
    st.session_state[_TEACHER_KEY] = bool(entered) and entered == settings().teacher_passcode
    st.session_state[_WRONG] = bool(entered) and not st.session_state[_TEACHER_KEY]
    st.session_state["_teacher_passcode"] = ""  # never left in the field


def _sign_out() -> None:
    st.session_state[_TEACHER_KEY] = False


def teacher_login() -> None:
    """In classroom mode, the sidebar's **Teacher** box: the passcode (a value, then
    Enter) until it is right, then one line saying so. It lives in the sidebar, which
    presenter mode folds away, so the passcode is never typed on the projected page."""
    if not classroom_mode() or not settings().teacher_passcode:
        return
    if is_teacher():
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption(":material/school: You are the teacher: **Teach the model** is on the **Class** page.")
            st.button("Sign out", key="teacher_sign_out", on_click=_sign_out, type="tertiary")
        return
    with st.expander("Teacher", icon=":material/lock:", expanded=bool(st.session_state.get(_WRONG))):
        st.text_input("Teacher passcode", type="password", key="_teacher_passcode", on_change=_check_passcode,
                      help="DIGIT_STUDIO_TEACHER_PASSCODE: lets you teach the class's model and clear its digits")
        if st.session_state.get(_WRONG):
            st.error("That is not the teacher passcode.")


def parent_name(ref: ModelRef) -> str:
    """The model a fine-tune starts from, in the run's label: "shipped CNN", "class model"…"""
    return model_name(model_record(ref)).lower() if ref.run_id else "shipped CNN"


def writers(scope: Scope, ids: list[int]) -> list[str]:
    """Who drew each drawing (`ids`, from arrays()): the nickname, else the session."""
    by_id = {d.id: d.nickname or f"session {d.session_id}" for d in drawing_store().list(scope)}
    return [by_id.get(i, "") for i in ids]


def teach(scope: Scope, model, ref: ModelRef) -> str:
    """Queue a fine-tune of the active model on the scope's digits and not-a-digit
    drawings; "" or why not. In classroom mode only the teacher may (training is off)."""
    if not is_teacher():
        return STUDENT_TEACH
    if ref.input_scale != 1.0:
        return "This model reads raw 0–255 pixels; fine-tuning is for models that read 0–1 pixels."
    try:
        x, y, ids = drawing_store().arrays(scope)
        others, _, other_ids = drawing_store().arrays(scope, not_digits=True)
        record = model_record(ref)
        parent = ref.run_id or "shipped CNN"
        kind = JobKind.CLASS_FINETUNE if scope.whole_class else JobKind.FINETUNE
        words = "class fine-tune" if scope.whole_class else "fine-tune"
        # a class's hold-out is per writer and digit: every student's hand is in the test
        who = writers(scope, ids + other_ids) if scope.whole_class else None
        # the parent's file when it is a .keras one: the fine-tune then runs where trainings run
        # (a worker process, a Ray actor), not in the app's process beside the drawing students
        parent_model = ref.path if str(ref.path).endswith(".keras") and Path(ref.path).is_file() else model
        task = finetune_task(parent_model, x, y, not_digits=others, parent_threshold=not_sure_threshold(record),
                             parent_id=parent,
                             parent_spec=record.get("spec"), mnist_before=record.get("test_accuracy"),
                             drawing_ids=ids + other_ids, writers=who, settings=TEACH_SETTINGS)
        st.session_state[JOB_KEY] = training_manager().submit(finetune_spec(record.get("spec"), TEACH_SETTINGS),
                                                              label=f"{words} of {parent_name(ref)}",
                                                              owner=session_id(), task=task, kind=kind)
    except (FinetuneError, JobLimitError, StoreUnavailable) as exc:
        return str(exc)
    st.session_state.pop(DONE_KEY, None)
    st.query_params["job"] = st.session_state[JOB_KEY]  # a reload finds it again (ui/sidebar.restore_job)
    return ""
