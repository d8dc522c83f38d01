"""A training setup as a standalone Keras script: where a learner graduates to code.

    keras_script(spec, title="My CNN") -> str   # Python source, no import of this project

The script follows the keras-io examples (a docstring header, then Setup, Prepare the
data, Build the model, Train the model, Evaluate the trained model) and does what
training.fit.train does for the same spec: same seeded subset and validation split,
same layers (with the Flatten and softmax output Digit Studio adds for you), optimizer,
learning rate and schedule, loss, epochs, batch size and augmentation, with op
determinism on, so on the same machine it trains the same model. Command-line flags
(--data, --train-size, --epochs, --out) make it quick to try on a subset.
"""

from __future__ import annotations

import inspect
import textwrap

from digitstudio.data.augment import augmented_dataset, augmenter
from digitstudio.modeling.layers import CATALOGUE
from digitstudio.modeling.spec import ModelSpec, count_params, format_number, layer_plan, validate


def keras_script(spec: ModelSpec, title: str | None = None) -> str:
    """The Python source of a script that rebuilds and trains `spec`'s model with plain
    Keras (TensorFlow backend). SpecError for an invalid spec."""
    spec = validate(spec)
    title = (title or "Digit classifier").replace('"""', "'''").replace("\n", " ")[:80]
    sections = [_header(spec, title), _setup(spec), _data(spec), _model(spec), _train(spec), _evaluate()]
    return "\n\n".join(part.strip("\n") for part in sections) + "\n"


def _header(spec: ModelSpec, title: str) -> str:
    return f'''"""
Title: {title}: an MNIST digit classifier
Author: exported from Digit Studio
Description: {_wrapped(spec.layers_compact() or "no hidden layers")} → softmax,
{count_params(spec):,} parameters, {spec.optimizer} at learning rate {format_number(spec.learning_rate)}.

This script rebuilds and trains exactly the model set up in Digit Studio. Run it:

    python train_digits.py                     # all of MNIST (Keras downloads it once)
    python train_digits.py --data mnist.npz --train-size 2000 --epochs 1

It needs only Keras with the TensorFlow backend (`pip install tensorflow`).
"""'''


def _wrapped(layers: str) -> str:
    return "\n".join(textwrap.wrap(layers.replace(",", ", "), 90, break_on_hyphens=False)).replace(", ", ",")


def _setup(spec: ModelSpec) -> str:
    train_size = "all 60,000" if spec.train_size is None else f"{spec.train_size:,}"
    return f'''"""
## Setup
"""

import argparse
import math

import keras
import numpy as np
import tensorflow as tf

parser = argparse.ArgumentParser(description="Train the exported digit model.")
parser.add_argument("--data", help="a local mnist.npz (keys x_train, y_train, x_test, y_test); "
                    "default: keras.datasets.mnist")
parser.add_argument("--train-size", type=int, default={spec.train_size!r},
                    help="train on a seeded random subset of this many images (default: {train_size})")
parser.add_argument("--epochs", type=int, default={spec.epochs}, help="passes over the training set")
parser.add_argument("--out", default="digit_model.keras", help="where to save the trained model")
args = parser.parse_args()

# The same seed gives the same weights, batches and augmentation on the same machine.
SEED = {spec.seed}
keras.utils.set_random_seed(SEED)
tf.config.experimental.enable_op_determinism()'''


def _data(spec: ModelSpec) -> str:
    if spec.input_scale == "raw":
        scale = ('# This model reads raw pixels, 0 to 255, as its tutorial did: its first layers must do\n'
                 '# the scaling (feed it 0-1 pixels and it reads nothing but noise).\n'
                 'x_train = x_train.astype("float32")\n'
                 'x_test = x_test.astype("float32")')
        words = "raw 0–255 pixel values"
    else:
        scale = ('# Scale images to the [0, 1] range.\n'
                 'x_train = x_train.astype("float32") / 255\n'
                 'x_test = x_test.astype("float32") / 255')
        words = "pixels scaled to [0, 1]"
    if spec.validate_on_test:
        validation = ("# Validate on the test set after every epoch (as the tutorial does; it means the\n"
                      "# test set is no longer unseen when you choose settings by it).\n"
                      "validation_data = (x_test, y_test)")
    elif spec.validation_split > 0:
        validation = (f"# Hold out the last {format_number(spec.validation_split * 100)}% of the training images "
                      "for validation\n# (the part Keras's validation_split would take).\n"
                      f"n_val = int(len(x_train) * {format_number(spec.validation_split)})\n"
                      "validation_data = (x_train[-n_val:], y_train[-n_val:]) if n_val >= 1 else None\n"
                      "if n_val >= 1:\n"
                      "    x_train, y_train = x_train[:-n_val], y_train[:-n_val]")
    else:
        validation = "validation_data = None  # no validation set: all training images are used for training"
    labels = ("# The loss is categorical_crossentropy, which takes one-hot labels.\n"
              "y_train = keras.utils.to_categorical(y_train, 10)\n"
              "y_test = keras.utils.to_categorical(y_test, 10)") if spec.loss == "categorical_crossentropy" else (
              "# The loss is sparse_categorical_crossentropy: labels stay digits 0-9.")
    return f'''"""
## Prepare the data

MNIST: 60,000 training and 10,000 test images of handwritten digits, 28×28 grey pixels.
The model sees {words}, shaped (28, 28, 1).
"""

if args.data:
    with np.load(args.data) as mnist:
        x_train, y_train, x_test, y_test = (mnist[k] for k in ("x_train", "y_train", "x_test", "y_test"))
else:
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()

if args.train_size is not None and args.train_size < len(x_train):
    keep = np.sort(np.random.default_rng(SEED).permutation(len(x_train))[: args.train_size])
    x_train, y_train = x_train[keep], y_train[keep]

{scale}
x_train = x_train.reshape(-1, 28, 28, 1)
x_test = x_test.reshape(-1, 28, 28, 1)
y_train, y_test = y_train.astype("int64"), y_test.astype("int64")
{labels}

{validation}
print("x_train shape:", x_train.shape, "- test images:", len(x_test))'''


def _layer_code(step: dict) -> str:
    """keras.layers.Conv2D(32, kernel_size=3, activation="relu"): the catalogue's class and
    arguments, as build.py uses them."""
    kind = CATALOGUE[step["type"]]
    args, kwargs = kind.args(step)

    def show(value) -> str:
        return format_number(value) if isinstance(value, float) else repr(value).replace("'", '"')

    shown = [show(value) for value in args] + [f"{key}={show(value)}" for key, value in kwargs.items()]
    return f"keras.layers.{kind.keras_class}({', '.join(shown)})"


def _model(spec: ModelSpec) -> str:
    lines = ['        keras.Input(shape=(28, 28, 1), name="pixels"),']
    for step in layer_plan(spec.layers):
        shape = "×".join(str(d) for d in step["output_shape"])
        note = f"# → {shape}, {step['params']:,} parameters"
        if step["implied"]:
            note += " (added for you)"
        lines.append(f"        {_layer_code(step)},  {note}")
    body = "\n".join(lines)
    return f'''"""
## Build the model

Layer by layer, with the shape each one outputs (height×width×channels, or a flat
vector) and how many numbers it learns. Digit Studio adds the Flatten before the first
Dense layer and the 10-way softmax output for you; they are marked here.
"""

model = keras.Sequential(
    [
{body}
    ],
    name="digit_model",
)
model.summary()'''


def _train(spec: ModelSpec) -> str:
    steps = "steps_per_epoch = math.ceil(len(x_train) / BATCH_SIZE)"
    if spec.lr_schedule == "cosine":
        lr = ("# Cosine decay: the learning rate falls smoothly to 0 over all training steps.\n"
              f"learning_rate = keras.optimizers.schedules.CosineDecay({format_number(spec.learning_rate)}, "
              "decay_steps=max(1, args.epochs * steps_per_epoch))")
    else:
        lr = f"learning_rate = {format_number(spec.learning_rate)}"
    if spec.optimizer == "sgd":
        optimizer = f"keras.optimizers.SGD(learning_rate=learning_rate, momentum={format_number(spec.momentum)})"
    else:
        name = {"rmsprop": "RMSprop", "adam": "Adam"}[spec.optimizer]
        optimizer = f"keras.optimizers.{name}(learning_rate=learning_rate)"
    if spec.augment:
        fit = _augment_code(spec) + '''
history = model.fit(
    augmented_dataset(x_train, y_train, BATCH_SIZE, SEED, **AUGMENTATION),
    epochs=args.epochs,
    validation_data=validation_data,
)'''
    else:
        fit = '''history = model.fit(
    x_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=args.epochs,
    validation_data=validation_data,
    shuffle=True,
)'''
    return f'''"""
## Train the model
"""

BATCH_SIZE = {spec.batch_size}
{steps}
{lr}
model.compile(
    optimizer={optimizer},
    loss="{spec.loss}",
    metrics=["accuracy"],
)

{fit}'''


def _augment_code(spec: ModelSpec) -> str:
    """The app's own augmentation functions, copied into the script word for word (one
    home: digitstudio/data/augment.py), so the script trains on what the app trains on."""
    settings = spec.augmentation()
    missing = [what for what, on in (("the writing styles MNIST lacks (Digit Studio's data/styles.py)", spec.styles),
                                     ("the synthetic non-digits (its data/negatives.py"
                                      + (" and data/mixing.py)" if spec.negatives_mix else ")"), spec.negatives))
               if on]
    note = "".join(f"# Not reproduced in this script: {what}.\n" for what in missing)
    return note + (
        f"\n# Augmentation for hand-drawn digits: every epoch sees each image randomly rotated\n"
        f"# (±{settings['rotation']:g}°), zoomed (±{settings['zoom']:.0%}), shifted (±{settings['shift']:.0%}) "
        f"and {settings['stroke']:.0%} of them drawn thicker or thinner (±1 px).\n"
        f"AUGMENTATION = {settings!r}\n\n\n"
        + inspect.getsource(augmenter) + "\n\n" + inspect.getsource(augmented_dataset) + "\n\n"
    )


def _evaluate() -> str:
    return '''"""
## Evaluate the trained model
"""

score = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {score[0]:.4f}")
print(f"Test accuracy: {score[1]:.4f}")
model.save(args.out)
print("Saved", args.out)'''

