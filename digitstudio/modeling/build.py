"""Spec → compiled Keras model (the one place a ModelSpec becomes Keras layers)."""

from __future__ import annotations

import keras

from digitstudio.modeling.layers import CATALOGUE
from digitstudio.modeling.spec import INPUT_SHAPE, ModelSpec, layer_plan, validate


def build_model(spec: ModelSpec, steps_per_epoch: int = 1) -> keras.Model:
    """A compiled Sequential model for a validated spec (input 28×28×1 in [0, 1]), one
    Keras layer per step of `layer_plan` (the catalogue names each class and its
    arguments). steps_per_epoch sizes the cosine learning-rate schedule."""
    spec = validate(spec)
    layers: list[keras.layers.Layer] = [keras.Input(shape=INPUT_SHAPE, name="pixels")]
    for step in layer_plan(spec.layers):
        args, kwargs = CATALOGUE[step["type"]].args(step)
        layers.append(getattr(keras.layers, CATALOGUE[step["type"]].keras_class)(*args, **kwargs))
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
