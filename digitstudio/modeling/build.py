"""Spec → compiled Keras model (the one place a ModelSpec becomes Keras layers)."""

from __future__ import annotations

import keras

from digitstudio.modeling.spec import INPUT_SHAPE, ModelSpec, layer_plan, validate


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
