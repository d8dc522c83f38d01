"""The process's runtime: TensorFlow's thread pools, and the workarounds for TensorFlow
and glibc that keep a long-running server's memory flat across trainings.

`configure_tensorflow()` is called from the top of app.py, before any model loads
(bench/load.py measures thread settings); the training queue calls
`TracedGradients` and `release_free_memory()` around its jobs (bench/memory.py
measures them). No Streamlit here: its patch lives in ui/streamlit_patch.py.
"""

from __future__ import annotations

import sys

from digitstudio.settings import settings

_configured: tuple[int, int] | None = None


def tf_threads() -> tuple[int, int]:
    """(intra-op, inter-op) threads to set; 0 leaves TensorFlow's default (one per core).

    Both default to TensorFlow's own choice: bench/load.py measured no gain from
    fewer threads while a training runs in the server (30 drawing sessions, 2 cores,
    server p95: TF default 61 ms, 1/1 threads 64 ms, 2/1 threads 75 ms — noise).
    The variables are for a big shared machine, where a training should not take
    every core: e.g. DIGIT_STUDIO_TF_THREADS=4 on a 32-core server."""
    chosen = settings()
    return chosen.tf_threads, chosen.tf_inter_threads


def configure_tensorflow(threads: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """Apply DIGIT_STUDIO_TF_THREADS / DIGIT_STUDIO_TF_INTER_THREADS to TensorFlow's
    thread pools. Call before TensorFlow runs any op (it does not import TensorFlow
    when neither is set). Idempotent; never raises: once TensorFlow has initialised
    its runtime the pools are fixed, and this returns None and leaves them as they
    are. Returns the (intra, inter) threads set, 0 meaning TensorFlow's default. `threads`
    (intra, inter) overrides the settings (a Ray worker uses the CPUs it was given)."""
    global _configured
    if _configured is not None:
        return _configured
    intra, inter = threads if threads is not None else tf_threads()
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


# --- memory over many trainings in one process --------------------------------------------
#
# TensorFlow leaks every training's traced train-step graphs: graph-mode
# `tf.custom_gradient` (used by tf.distribute's all_reduce in Keras's train step)
# registers a gradient function per trace in a global registry and never removes it,
# and that closure keeps the whole FuncGraph alive (measured: RSS grew about 8 MiB per
# tiny-MLP training and about 24 MiB per small-CNN training). `TracedGradients` removes
# the entries registered while jobs ran, once no job is running (the entries are only
# read while a train step is being traced, so they are dead by then); RSS then levels
# off. It deliberately does not call `keras.backend.clear_session()`: that does not free
# these graphs, and it replaces Keras's thread-local scope state for *every* thread at
# once (and clears TF's kernel cache), so it could disturb another session that is
# loading a model or predicting at that moment.


class TracedGradients:
    """Remembers TensorFlow's custom-gradient registry before a batch of jobs (`mark`,
    when the first starts) and removes what they added (`forget`, when none is running).
    Not thread-safe by itself: the training queue calls both under its lock."""

    def __init__(self) -> None:
        self._before: set[str] | None = None

    def mark(self) -> None:
        if self._before is None:
            self._before = custom_gradient_names()

    def forget(self) -> None:
        baseline, self._before = self._before, None
        registry = _gradient_registry()
        if baseline is None or registry is None:
            return
        for name in custom_gradient_names() - baseline:
            registry.pop(name, None)


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc only). TensorFlow's many threads each
    get a malloc arena; without a trim, memory freed after a training stays mapped and
    RSS ratchets up over the first retrains although nothing is leaked."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        pass


def _gradient_registry() -> dict | None:
    """TensorFlow's graph-mode gradient registry, or None: when TensorFlow is not
    imported yet (nothing registered; and this runs under the manager's lock, so it
    must not import it), or when a TensorFlow version stores it differently (it is
    private API, so then nothing is pruned)."""
    ops = sys.modules.get("tensorflow.python.framework.ops")
    registry = getattr(getattr(ops, "gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


def custom_gradient_names() -> set[str]:
    registry = _gradient_registry()
    return {name for name in registry if str(name).startswith("CustomGradient-")} if registry else set()
