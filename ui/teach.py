"""Teaching the model people's own drawings ("Teach the model"): who may (the teacher,
in classroom mode), and queueing the fine-tune through the training queue."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from digitstudio.drawing.predict import not_sure_threshold
from digitstudio.settings import settings
from digitstudio.storage.drawings import Scope, StoreUnavailable
from digitstudio.training.finetune import FinetuneError, FinetuneSettings, finetune_spec, finetune_task
from digitstudio.training.jobs import JobKind, JobLimitError
from ui.labels import drawing_store
from ui.resources import ModelRef, classroom_mode, run_store, training_manager
from ui.session import DONE_KEY, JOB_KEY, session_id

TEACH_SETTINGS = FinetuneSettings()  # measured in bench/finetune_benefit.py (tests use a tiny one)
_TEACHER_KEY = "_teacher_ok"
STUDENT_TEACH = ("In classroom mode your drawings teach the class's model: the teacher teaches it on the "
                 "Class page.")


def is_teacher() -> bool:
    """Outside classroom mode everyone is; in it, whoever entered DIGIT_STUDIO_TEACHER_PASSCODE."""
    if not classroom_mode():
        return True
    return bool(st.session_state.get(_TEACHER_KEY))


def teacher_login() -> None:
    passcode = settings().teacher_passcode
    if not passcode or is_teacher():
        return
    entered = st.text_input("Teacher passcode", type="password", key="_teacher_passcode")
    if entered:
        st.session_state[_TEACHER_KEY] = entered == passcode
        if not st.session_state[_TEACHER_KEY]:
            st.error("That is not the teacher passcode.")


def parent_record(model: ModelRef) -> dict:
    """The active model's record: its run.json, or the shipped model's JSON beside it."""
    if model.run_id:
        return run_store().get(model.run_id)
    path = Path(model.path).with_suffix(".json")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


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
        record = parent_record(ref)
        parent = ref.run_id or "shipped CNN"
        kind = JobKind.CLASS_FINETUNE if scope.whole_class else JobKind.FINETUNE
        words = "class fine-tune" if scope.whole_class else "fine-tune"
        task = finetune_task(model, x, y, not_digits=others, parent_threshold=not_sure_threshold(record),
                             parent_id=parent,
                             parent_spec=record.get("spec"), mnist_before=record.get("test_accuracy"),
                             drawing_ids=ids + other_ids, settings=TEACH_SETTINGS)
        st.session_state[JOB_KEY] = training_manager().submit(finetune_spec(record.get("spec"), TEACH_SETTINGS),
                                                              label=f"{words} of {parent}", owner=session_id(),
                                                              task=task, kind=kind)
    except (FinetuneError, JobLimitError, StoreUnavailable) as exc:
        return str(exc)
    st.session_state.pop(DONE_KEY, None)
    return ""
