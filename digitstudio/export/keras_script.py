"""A training setup as a standalone Keras script: where a learner graduates to code.

    keras_script(spec, title="My CNN") -> str   # Python source, no import of this project

The script follows the keras-io examples (a docstring header, then Setup, Prepare the
data, Build the model, Train the model, Evaluate the trained model) and does what
training.fit.train does for the same spec: same seeded subset and validation split,
same layers (with the Flatten and softmax output Digit Studio adds for you), optimizer,
learning rate and schedule, the learning-rate changes made during the run (a small
callback sets them at the same batch steps, counted over all epochs, as
training/callback.py does), loss, epochs, batch size and augmentation, and for a model
with BatchNormalization the re-estimation of its statistics after a short run
(training/batchnorm.py, copied in as the augmentation is), with op
determinism on, so on the same machine it trains the same model (tests/test_export_replay.py
compares the weights). Command-line flags (--data, --train-size, --epochs, --out) make it
quick to try on a subset.

Every ModelSpec field is either reproduced or, when set, named in a "Not reproduced"
comment at the script's top (`NOT_REPRODUCED`: Digit Studio's own training data, which
plain Keras does not have); tests/test_export_replay.py fails for a field that is neither.
"""

from __future__ import annotations

import inspect
import textwrap

from digitstudio.data.augment import augmented_dataset, augmenter
from digitstudio.modeling.layers import CATALOGUE
from digitstudio.modeling.spec import (
    FIELD,
    ModelSpec,
    count_params,
    format_number,
    layer_plan,
    parse_lr_changes,
    validate,
)
from digitstudio.training import batchnorm

# The spec fields this script cannot reproduce (Digit Studio's own training data, which
# plain Keras does not have) → what the app adds. Set in a spec, each is named in a comment
# at the script's top; every other field is reproduced.
NOT_REPRODUCED: dict[str, str] = {
    "styles": "digits redrawn in writing styles MNIST lacks (Digit Studio's data/styles.py)",
    "negatives_weight": "the weight of those non-digits in the loss",
    "negatives": "synthetic non-digits trained toward 'not sure', with soft targets and categorical "
                 "cross-entropy (data/negatives.py)",
    "negatives_mix": "non-digits pasted over digits in each batch (data/mixing.py)",
    "real_negatives": "real doodles and characters from Quick, Draw! and Omniglot trained toward 'not sure' "
                      "(data/real_drawings.py and the real-handwriting file)",
    "real_digits": "copies of Semeion's real handwritten digits (data/real_drawings.py and the "
                   "real-handwriting file)",
}


def not_reproduced(spec: ModelSpec) -> list[str]:
    """The NOT_REPRODUCED fields `spec` sets away from their defaults, in field order."""
    return [name for name in NOT_REPRODUCED if getattr(spec, name) != FIELD[name].default]


def keras_script(spec: ModelSpec, title: str | None = None) -> str:
    """The Python source of a script that rebuilds and trains `spec`'s model with plain
    Keras (TensorFlow backend), learning-rate changes (`spec.lr_changes`) included. Fields
    in NOT_REPRODUCED that are set are listed in a comment at its top. SpecError for an
    invalid spec."""
    spec = validate(spec)
    title = (title or "Digit classifier").replace('"""', "'''").replace("\n", " ")[:80]
    sections = [_header(spec, title), _not_reproduced(spec), _setup(spec), _data(spec), _model(spec),
                _train(spec), _batchnorm(spec), _evaluate()]
    return "\n\n".join(part.strip("\n") for part in sections if part) + "\n"


def _header(spec: ModelSpec, title: str) -> str:
    changes = "".join(f", {format_number(rate)} from batch {step}" for step, rate in parse_lr_changes(spec.lr_changes))
    if changes:
        changes += " (batches counted over all epochs, from 0)"
    training = _wrapped_text(f"{count_params(spec):,} parameters, {spec.optimizer} at learning rate "
                             f"{format_number(spec.learning_rate)}{changes}.")
    if not_reproduced(spec):
        claim = ("This script rebuilds the model set up in Digit Studio and trains it the same way,\n"
                 "except for the training data listed under \"Not reproduced\" below. Run it:")
    else:
        claim = "This script rebuilds and trains exactly the model set up in Digit Studio. Run it:"
    return f'''"""
Title: {title}: an MNIST digit classifier
Author: exported from Digit Studio
Description: {_wrapped(spec.layers_compact() or "no hidden layers")} → softmax,
{training}

{claim}

    python train_digits.py                     # all of MNIST (Keras downloads it once)
    python train_digits.py --data mnist.npz --train-size 2000 --epochs 1

It needs only Keras with the TensorFlow backend (`pip install tensorflow`).
"""'''


def _wrapped(layers: str) -> str:
    return "\n".join(textwrap.wrap(layers.replace(",", ", "), 90, break_on_hyphens=False)).replace(", ", ",")


def _wrapped_text(text: str) -> str:
    return "\n".join(textwrap.wrap(text, 90, break_on_hyphens=False))


def _not_reproduced(spec: ModelSpec) -> str:
    """A comment naming each NOT_REPRODUCED field the spec sets, or "" when none is."""
    missing = not_reproduced(spec)
    if not missing:
        return ""
    lines = ["# Not reproduced in this script: Digit Studio's run also trained on what follows, which",
             "# plain Keras does not have, so the model trained here will differ from the run's."]
    for name in missing:
        field = FIELD[name]
        value = getattr(spec, name)
        setting = field.flag if value is True else f"{field.flag} {format_number(value)}"
        lines += textwrap.wrap(f"{field.label} ({setting}): {NOT_REPRODUCED[name]}.", 116,
                               initial_indent="# - ", subsequent_indent="#   ", break_on_hyphens=False)
    return "\n".join(lines)


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
    changes = parse_lr_changes(spec.lr_changes)
    callbacks = "    callbacks=callbacks,\n" if changes else ""
    if spec.augment:
        fit = _augment_code(spec) + f'''


history = model.fit(
    augmented_dataset(x_train, y_train, BATCH_SIZE, SEED, **AUGMENTATION),
    epochs=args.epochs,
    validation_data=validation_data,
{callbacks})'''
    else:
        fit = f'''history = model.fit(
    x_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=args.epochs,
    validation_data=validation_data,
    shuffle=True,
{callbacks})'''
    if changes:
        fit = _lr_changes_code(changes) + "\n\n" + fit
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
    return (
        f"# Augmentation for hand-drawn digits: every epoch sees each image randomly rotated\n"
        f"# (±{settings['rotation']:g}°), zoomed (±{settings['zoom']:.0%}), shifted (±{settings['shift']:.0%}) "
        f"and {settings['stroke']:.0%} of them drawn thicker or thinner (±1 px).\n"
        f"AUGMENTATION = {settings!r}\n\n\n"
        + inspect.getsource(augmenter) + "\n\n" + inspect.getsource(augmented_dataset).rstrip("\n")
    )


def _batchnorm(spec: ModelSpec) -> str:
    """For a model with BatchNormalization: the app's re-estimation of its statistics after a
    short run, copied word for word from training/batchnorm.py (one home), as fit.train does
    it; "" for a model without BatchNormalization."""
    if not any(CATALOGUE[layer["type"]].role == "normalize" for layer in spec.layers):
        return ""
    functions = "\n\n\n".join(inspect.getsource(function).rstrip("\n") for function in
                            (batchnorm.batchnorm_layers, batchnorm.stale_batchnorm, batchnorm.reestimate))
    return f'''"""
## Re-estimate the BatchNormalization statistics

After a short run, BatchNormalization's moving averages still hold much of their start
values (mean 0, variance 1), so the model would read test digits worse than it trained.
As Digit Studio does, replace them by the average batch statistics over training batches
("precise BN", Wu & Johnson 2021), the weights unchanged.
"""

MAX_BATCHES = {batchnorm.MAX_BATCHES}
STALE_WEIGHT = {batchnorm.STALE_WEIGHT!r}


{functions}


if stale_batchnorm(model):
    reestimate(model, x_train, BATCH_SIZE, seed=SEED)'''


def _lr_changes_code(changes: list[tuple[int, float]]) -> str:
    """The run's learning-rate changes as a callback that applies each rate before its
    batch step, the step counted over all epochs (training/callback.py's rule)."""
    table = ", ".join(f"{step}: {format_number(rate)}" for step, rate in changes)
    return f'''# The learning-rate changes made during the run: from batch STEP on (counted over all
# epochs, 0 = the first batch) the learning rate is RATE.
LEARNING_RATE_CHANGES = {{{table}}}


class LearningRateChanges(keras.callbacks.Callback):
    """Set the optimizer's learning rate before each batch step where the run changed it."""

    def __init__(self, changes, steps_per_epoch):
        super().__init__()
        self.changes = changes
        self.steps_per_epoch = steps_per_epoch
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        rate = self.changes.get(self.epoch * self.steps_per_epoch + batch)
        if rate is not None:
            self.model.optimizer.learning_rate = rate


callbacks = [LearningRateChanges(LEARNING_RATE_CHANGES, steps_per_epoch)]'''


def _evaluate() -> str:
    return '''"""
## Evaluate the trained model
"""

score = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {score[0]:.4f}")
print(f"Test accuracy: {score[1]:.4f}")
model.save(args.out)
print("Saved", args.out)'''

