"""Streamlit glue that patches Streamlit itself (private API), kept out of digitstudio/.

Called from the top of app.py, before any model loads; bench/load.py measures it."""

from __future__ import annotations

import sys


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
