"""Process set-up for the app server: TensorFlow's thread pools, and Streamlit's
habit of resetting Keras after every script run.

Both are called from the top of app.py, before any model loads. Measured with
bench/load.py (30 drawing sessions on 2 cores): see tf_threads() and keep_keras_state().
"""

from __future__ import annotations

import os
import sys

THREADS_ENV = "DIGIT_STUDIO_TF_THREADS"  # intra-op threads (threads one op may use)
INTER_THREADS_ENV = "DIGIT_STUDIO_TF_INTER_THREADS"  # inter-op threads (ops run side by side)

_configured: tuple[int, int] | None = None


def _threads_from_env(name: str) -> int:
    """A positive thread count from the environment, else 0 (= TensorFlow's default)."""
    raw = os.environ.get(name, "").strip()
    try:
        return max(0, int(raw)) if raw else 0
    except ValueError:
        return 0


def tf_threads() -> tuple[int, int]:
    """(intra-op, inter-op) threads to set; 0 leaves TensorFlow's default (one per core).

    Both default to TensorFlow's own choice: bench/load.py measured no gain from
    fewer threads while a training runs in the server (30 drawing sessions, 2 cores,
    server p95: TF default 61 ms, 1/1 threads 64 ms, 2/1 threads 75 ms — noise).
    The variables are for a big shared machine, where a training should not take
    every core: e.g. DIGIT_STUDIO_TF_THREADS=4 on a 32-core server."""
    return _threads_from_env(THREADS_ENV), _threads_from_env(INTER_THREADS_ENV)


def configure_tensorflow() -> tuple[int, int] | None:
    """Apply DIGIT_STUDIO_TF_THREADS / DIGIT_STUDIO_TF_INTER_THREADS to TensorFlow's
    thread pools. Call before TensorFlow runs any op (it does not import TensorFlow
    when neither is set). Idempotent; never raises: once TensorFlow has initialised
    its runtime the pools are fixed, and this returns None and leaves them as they
    are. Returns the (intra, inter) threads set, 0 meaning TensorFlow's default."""
    global _configured
    if _configured is not None:
        return _configured
    intra, inter = tf_threads()
    if intra or inter:
        try:
            import tensorflow as tf

            if intra:
                tf.config.threading.set_intra_op_parallelism_threads(intra)
            if inter:
                tf.config.threading.set_inter_op_parallelism_threads(inter)
        except Exception:  # RuntimeError once TF's context is initialised; or TF missing
            return None
    _configured = (intra, inter)
    return _configured


def keep_keras_state() -> bool:
    """Stop Streamlit from calling keras.backend.clear_session() after every script
    run (streamlit.runtime.scriptrunner.script_runner._clean_problem_modules, which
    it does whenever keras is imported; matplotlib's close("all") is kept).

    clear_session() runs a full gc.collect(), resets TensorFlow's default graph and
    kernel cache and replaces Keras's thread-local state for every thread at once.
    In this app that happened after each stroke's fragment rerun: with 30 drawing
    sessions it was about a third of the server's CPU time (py-spy), and it also
    disturbed a training running on a worker thread (digitstudio/jobs.py explains
    why the app itself never calls it). Models are loaded once per process and
    shared, so there is no per-run Keras state to clear.

    Private Streamlit API: if it is not there, nothing is patched and this returns
    False. Idempotent."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except Exception:
        return False
    original = getattr(script_runner, "_clean_problem_modules", None)
    if original is None:
        return False
    if getattr(original, "_digitstudio", False):
        return True

    def clean_problem_modules() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            try:
                plt.close("all")
            except Exception:
                pass

    clean_problem_modules._digitstudio = True  # type: ignore[attr-defined]
    script_runner._clean_problem_modules = clean_problem_modules
    return True
