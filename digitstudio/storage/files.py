"""Atomic writes: a reader never sees a half-written model or JSON file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Write via a temporary file in the same folder, then rename: a reader never sees
    a half-written file and a failure leaves the old file as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=target.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; saved models are ordinary files
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_model_atomic(model: Any, path: str | os.PathLike) -> None:
    """model.save() to `path` atomically, as a file that loads with plain
    `keras.models.load_model(path)` in a Python that has only Keras: a model compiled
    with a metric of this project's (negatives.digit_accuracy, a class Keras cannot
    locate) is first recompiled with Keras's own "accuracy" (same optimizer and loss;
    weights and optimizer state unchanged)."""
    if _has_own_metrics(model):
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"])
    atomic_write(Path(path), lambda tmp: model.save(tmp))


def _has_own_metrics(model: Any) -> bool:
    """Whether the model's compile config names a metric class outside Keras."""
    if not getattr(model, "compiled", False):
        return False
    pending = list((model.get_compile_config() or {}).get("metrics") or [])
    while pending:
        item = pending.pop()
        if isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, dict) and not str(item.get("module") or "keras").startswith("keras"):
            return True
    return False


def write_json_atomic(data: Any, path: str | os.PathLike) -> None:
    text = json.dumps(data, indent=2, allow_nan=True) + "\n"
    atomic_write(Path(path), lambda tmp: tmp.write_text(text))
