"""This browser session's keys in st.session_state, and who the session is.

Every page and shared piece reads and writes the session's state through the names
here, so the sidebar, the training panel and the pages share them without importing
each other."""

from __future__ import annotations

JOB_KEY = "training_job"  # this session's current/last training job id
DONE_KEY = "_training_job_done"  # the job whose result was already applied
VERDICT_KEY = "_verdicts"  # job id → training.verdict.Verdict of this session's finished runs
PREVIOUS_KEY = "_model_before"  # job id → the ModelRef a finished run replaced (for "Back to …")
RANGE_KEY = "_range_test_job"  # this session's learning-rate range test (shown under Learning rate)
NICKNAME_KEY = "nickname"  # the nickname typed in the sidebar (cleaned)
LABEL_KEY = "it_was_a"  # the "It was a" pills (the contract: key it_was_a, options 0–9)


def widget_key(name: str) -> str:
    """The session_state key of a spec field's sidebar control."""
    return f"f_{name}"


def session_id() -> str:
    """This browser session's id (the queue allows one active training per session)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"
