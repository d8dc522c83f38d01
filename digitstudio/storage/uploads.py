"""An uploaded model becomes a run: checked, its pixel convention found, scored on MNIST.

    accept_upload(store, name, data, mnist)   -> run record (dict), or ModelFileError
    choose_input_scale(store, run_id, scale)  -> run record with the scale a person chose

The run.json of an upload holds what a trained run's does for the runs table
(test_accuracy, per_class_accuracy, params) plus input_convention (see
explain/convention.py) and input_words, the convention in words. A legacy .h5 is kept
re-saved as model.keras, so every run loads the same way.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from digitstudio.explain.convention import InputConvention, detect_convention, layout_of
from digitstudio.pixels import to_unit
from digitstudio.storage.model_files import load_model, load_uploaded_model
from digitstudio.storage.runs import RunStore


def accept_upload(store: RunStore, name: str, data: bytes, mnist: Any | None = None) -> dict[str, Any]:
    """Check and load an untrusted model file (.keras or .h5, see model_files.check_upload),
    detect its input convention on MNIST test digits, score it on the whole MNIST test set
    (mnist: data.mnist.MnistData; None skips both: the convention is then "unknown" and the
    UI should ask), and keep it as a run with status "uploaded". Raises ModelFileError
    (one line) for a refused file; nothing is written then."""
    model = load_uploaded_model(name, data)
    shown = Path(str(name or "upload")).name[:80]
    convention = detect_convention(model, mnist)
    info: dict[str, Any] = {
        "params": int(model.count_params()), "message": f"Uploaded from {shown}.", "source_file": shown,
        "input_convention": convention.to_dict(), "input_words": convention.words(),
    }
    if mnist is not None:
        info.update(score_on_mnist(model, mnist, convention.factor))
    keras_bytes = data if shown.lower().endswith(".keras") else _as_keras_bytes(model)
    return store.save_model_file(keras_bytes, label=f"upload-{Path(shown).stem}", info=info)


def score_on_mnist(model: Any, mnist: Any, factor: float = 1.0) -> dict[str, Any]:
    """test_accuracy, per_class_accuracy (10 values, digit 0 first), test_size and
    data_source for the MNIST test set, with pixels multiplied by `factor` (as the app's
    Predictor feeds them). Uses explain.inspection.evaluate, as the Inside view does."""
    from digitstudio.explain.inspection import evaluate

    images = to_unit(mnist.x_test) * np.float32(factor)
    result = evaluate(model, images, mnist.y_test)
    return {
        "test_accuracy": result.accuracy,
        "per_class_accuracy": [None if np.isnan(a) else float(a) for a in result.per_class_accuracy],
        "test_size": result.n, "data_source": mnist.source,
    }


def choose_input_scale(store: RunStore, run_id: str, scale: str, mnist: Any | None = None) -> dict[str, Any]:
    """Record the pixel scale ("unit" or "raw") a person chose for an uploaded run whose
    convention is unknown (or wrong); with mnist, re-score it under that scale. ValueError
    for another scale, RunNotFoundError for no such run."""
    record = store.get(run_id)
    model = load_model(store.model_path(run_id))
    known = InputConvention.from_dict(record.get("input_convention") or {"layout": layout_of(model)})
    convention = known.chosen(scale)
    changes: dict[str, Any] = {"input_convention": convention.to_dict(), "input_words": convention.words()}
    if mnist is not None:
        changes.update(score_on_mnist(model, mnist, convention.factor))
    return store.update(run_id, changes)


def _as_keras_bytes(model: Any) -> bytes:
    with tempfile.TemporaryDirectory(prefix="digitstudio-upload-") as folder:
        path = Path(folder) / "upload.keras"
        model.save(path)
        return path.read_bytes()
