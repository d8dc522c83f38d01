"""Spec → Keras model, and loading models safely."""

from __future__ import annotations

import os
from pathlib import Path

import keras

from .spec import INPUT_SHAPE, ModelSpec, layer_plan, validate


def build_model(spec: ModelSpec, steps_per_epoch: int = 1) -> keras.Model:
    """A compiled Sequential model for a validated spec (input 28×28×1 in [0, 1]).
    steps_per_epoch sizes the cosine learning-rate schedule."""
    spec = validate(spec)
    layers: list[keras.layers.Layer] = [keras.Input(shape=INPUT_SHAPE, name="pixels")]
    for step in layer_plan(spec.layers):
        kind = step["type"]
        if kind == "dense":
            layers.append(keras.layers.Dense(step["units"], activation=step["activation"]))
        elif kind == "dropout":
            layers.append(keras.layers.Dropout(step["rate"]))
        elif kind == "batchnorm":
            layers.append(keras.layers.BatchNormalization())
        elif kind == "conv2d":
            layers.append(keras.layers.Conv2D(step["filters"], step["kernel"], activation=step["activation"]))
        elif kind == "maxpool":
            layers.append(keras.layers.MaxPooling2D(step["pool"]))
        elif kind == "flatten":
            layers.append(keras.layers.Flatten())
    model = keras.Sequential(layers, name="digit_model")
    model.compile(optimizer=make_optimizer(spec, steps_per_epoch), loss=spec.loss, metrics=["accuracy"])
    return model


def make_optimizer(spec: ModelSpec, steps_per_epoch: int = 1) -> keras.optimizers.Optimizer:
    lr = spec.learning_rate
    if spec.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, spec.epochs * steps_per_epoch))
    if spec.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=spec.momentum)
    if spec.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr)
    return keras.optimizers.Adam(learning_rate=lr)


class ModelFileError(RuntimeError):
    """A model file that cannot be used; the message says why."""


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a .keras file with safe_mode (no code from the file runs) and check that it
    reads 28×28 digits into 10 classes."""
    file = Path(path)
    if file.suffix != ".keras":
        raise ModelFileError(f"{file.name}: only .keras model files are accepted.")
    if not file.is_file():
        raise ModelFileError(f"Model file not found: {file}.")
    try:
        model = keras.saving.load_model(file, compile=False, safe_mode=True)
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"{file.name} could not be loaded safely: {first_line[:300]}") from None
    check_model_shapes(model, file.name)
    return model


def check_model_shapes(model: keras.Model, name: str = "model") -> None:
    try:
        in_shape = tuple(model.input_shape)
        out_shape = tuple(model.output_shape)
    except Exception:
        raise ModelFileError(f"{name}: the model has no single input and output.") from None
    if in_shape[1:] not in ((28, 28, 1), (28, 28), (784,)):
        raise ModelFileError(f"{name}: expects input {in_shape[1:]}, not 28×28 digits.")
    if out_shape[1:] != (10,):
        raise ModelFileError(f"{name}: outputs {out_shape[1:]}, not 10 digit classes.")
