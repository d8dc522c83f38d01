"""digitstudio/runtime.py (TensorFlow thread settings) and ui/streamlit_patch.py (Streamlit's
per-run Keras reset)."""

from __future__ import annotations

import pytest

from digitstudio import runtime
from digitstudio.settings import SETTING
from ui import streamlit_patch

THREADS_ENV, INTER_THREADS_ENV = SETTING["tf_threads"].env, SETTING["tf_inter_threads"].env


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(runtime, "_configured", None)
    for name in (THREADS_ENV, INTER_THREADS_ENV):
        monkeypatch.delenv(name, raising=False)


def test_threads_default_to_tensorflows_own(fresh):
    assert runtime.tf_threads() == (0, 0)
    assert runtime.configure_tensorflow() == (0, 0)


def test_threads_from_env_and_bad_values(fresh, monkeypatch):
    monkeypatch.setenv(THREADS_ENV, "3")
    monkeypatch.setenv(INTER_THREADS_ENV, "lots")
    assert runtime.tf_threads() == (3, 0)
    monkeypatch.setenv(THREADS_ENV, "-2")
    assert runtime.tf_threads() == (0, 0)


def test_configure_never_raises_once_tensorflow_runs(fresh, monkeypatch):
    import tensorflow as tf

    _ = (tf.constant(1.0) + 1).numpy()  # the runtime is initialised: the pools are fixed
    before = tf.config.threading.get_intra_op_parallelism_threads()
    monkeypatch.setenv(THREADS_ENV, str(before + 1))
    assert runtime.configure_tensorflow() is None
    assert tf.config.threading.get_intra_op_parallelism_threads() == before


def test_keep_keras_state_is_idempotent_and_skips_clear_session(monkeypatch):
    import keras
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    assert streamlit_patch.keep_keras_state() and streamlit_patch.keep_keras_state()
    calls = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: calls.append(1))
    script_runner._clean_problem_modules()
    assert calls == []
