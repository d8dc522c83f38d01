"""A Keras digit model as TensorFlow Lite bytes, for phones and microcontrollers.

    tflite_bytes(model) -> bytes   # a .tflite flatbuffer: float32 input, (n, 10) output

The converter is TensorFlow's own: model.export() writes a SavedModel (its "serve"
endpoint takes any batch size) and tf.lite.TFLiteConverter.from_saved_model converts
it; no quantisation, so outputs match Keras to float rounding (tests check 1e-4 on 100
MNIST digits). About 2.5 s for the shipped CNN on two CPU cores. The .tflite takes
the pixels the model takes: [0, 1], or 0–255 for a model whose input convention is raw
(see explain/convention.py), shaped as the model's input ((28, 28, 1), (28, 28) or (784,)).
"""

from __future__ import annotations

import tempfile
from typing import Any


def tflite_bytes(model: Any) -> bytes:
    """Convert a Keras model (any this app loads) to .tflite bytes. RuntimeError with one
    line when the converter fails."""
    import tensorflow as tf

    try:
        with tempfile.TemporaryDirectory(prefix="digitstudio-tflite-") as folder:
            model.export(folder, format="tf_saved_model", verbose=False)
            return bytes(tf.lite.TFLiteConverter.from_saved_model(folder).convert())
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuntimeError(f"TensorFlow Lite conversion failed: {first[:300]}") from None
