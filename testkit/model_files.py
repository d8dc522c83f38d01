"""Model files whose config declares a huge Dense layer and carries no weights (under a KB):
the upload limits must refuse them from the config, before Keras builds anything."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path


def keras_with_dense(units: int) -> bytes:
    """A .keras file (config.json + metadata.json, no weights: under 1 KB) whose config
    declares Input(784) → Dense(units) → Dense(10), as Keras itself writes it."""
    import keras

    small = keras.Sequential([keras.Input((784,)), keras.layers.Dense(3), keras.layers.Dense(10)])
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(small)))
    config["config"]["layers"][1]["config"]["units"] = units
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", json.dumps({"keras_version": keras.__version__}))
    return buffer.getvalue()


def h5_with_dense(folder: Path, units: int) -> bytes:
    """A legacy .h5 whose model_config (Keras 2 style, as tf.keras wrote it) declares
    Dense(units) on 784 pixels; no weights."""
    import h5py

    config = {"class_name": "Sequential", "config": {"name": "big", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 784], "name": "in"}},
        {"class_name": "Dense", "config": {"name": "d1", "units": units, "activation": "relu"}},
        {"class_name": "Dense", "config": {"name": "d2", "units": 10, "activation": "softmax"}}]}}
    path = Path(folder) / f"big-{units}.h5"
    with h5py.File(path, "w") as file:
        file.attrs["model_config"] = json.dumps(config)
        file.attrs["keras_version"] = "2.15.0"
        file.create_group("model_weights")
    return path.read_bytes()
