"""One description of a model and how to train it, shared by train.py and the app.

A `ModelSpec` is plain data (JSON round-trips exactly). Its fields are declared
once, below, with their label, command-line flag, range and help; `FIELDS` is
derived from that declaration, and train.py's options, the command line shown for
a run, share links and the sidebar's widgets all read `FIELDS`. The layers come
from the catalogue in `layers.py`.

`validate()` checks a spec without importing TensorFlow, so the app can explain a
bad layer table instantly; `build.build_model()` turns a valid spec into Keras.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from digitstudio.modeling.layers import (
    ACTIVATIONS,
    CATALOGUE,
    FLATTEN,
    LAYER_TYPES,
    TABLE_COLUMNS,
    LayerError,
    lookup,
    output_layer,
)

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
MNIST_TRAIN_SIZE = 60_000

OPTIMIZERS = ("sgd", "rmsprop", "adam")
LR_SCHEDULES = ("constant", "cosine")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy")
# What the model is fed: "unit" = pixels / 255 in [0, 1] (the Keras examples), "raw" = the
# stored 0–255 values (some tutorials, which let a first BatchNormalization do the scaling).
INPUT_SCALES = ("unit", "raw")
PIXEL_FACTORS = {"unit": 1.0, "raw": 255.0}  # multiplies the [0, 1] pixels

# The parameter cap keeps a classroom server from being asked to train something
# that would take hours on two CPU cores.
MAX_PARAMS = 5_000_000
MAX_LAYERS = 30


class SpecError(ValueError):
    """A spec that cannot be trained; the message says what to change."""


# --- the field table ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Field:
    """One training setting: how it is named, checked and offered everywhere.

    `type` is "int", "float", "bool" or "choice"; `low`/`high` bound numbers (high is
    exclusive when `high_open`); `optional` allows None (train_size: None = all)."""

    name: str
    type: str
    default: Any
    label: str  # the sidebar's label and the noun in messages
    help: str
    flag: str  # train.py's option
    low: float | None = None
    high: float | None = None
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False
    step: float | None = None  # the sidebar widget's step

    def check(self, value: Any) -> Any:
        """The value normalised (e.g. "Adam" → "adam", 5.0 → 5); SpecError otherwise."""
        if self.optional and value is None:
            return None
        if self.type == "bool":
            if not isinstance(value, bool):
                raise SpecError(f"{self.label} must be true or false, not {value!r}.")
            return value
        if self.type == "schedule":
            return format_lr_changes(parse_lr_changes(value, self.label))
        if self.type == "choice":
            chosen = str(value).strip().lower()
            if chosen not in self.choices:
                raise SpecError(f"Unknown {self.label.lower()} {value!r}; use one of {', '.join(self.choices)}.")
            return chosen
        number = as_int(value, self.label) if self.type == "int" else as_float(value, self.label)
        below = self.low is not None and number < self.low
        above = self.high is not None and (number >= self.high if self.high_open else number > self.high)
        if below or above:
            raise SpecError(f"{self.label} must be {self.range_text()}, not {_show(number)}.")
        return number

    def range_text(self) -> str:
        if self.high_open:
            return f"in [{_show(self.low)}, {_show(self.high)})"
        return f"between {_show(self.low)} and {_show(self.high)}"


def _show(number: float | None) -> str:
    return f"{number:,}" if isinstance(number, int) else f"{number:g}"


def _setting(default: Any, type: str, label: str, help: str, flag: str = "", **more: Any) -> Any:
    """Declare a ModelSpec field together with its Field row (kept in the metadata)."""
    return dataclasses.field(default=default, metadata={
        "field": dict(type=type, default=default, label=label, help=help, flag=flag, **more)})


@dataclasses.dataclass
class ModelSpec:
    layers: list[dict[str, Any]]
    optimizer: str = _setting("adam", "choice", "Optimizer", "how the weights are updated", choices=OPTIMIZERS)
    learning_rate: float = _setting(0.001, "float", "Learning rate", "step size of each update", flag="--lr",
                                    low=1e-6, high=10.0, step=0.0005)
    momentum: float = _setting(0.0, "float", "Momentum", "SGD only: how much of the last step carries over",
                               low=0.0, high=1.0, high_open=True, step=0.1)
    lr_schedule: str = _setting("constant", "choice", "LR schedule",
                                "constant, or cosine decay to 0 over all training steps", choices=LR_SCHEDULES)
    loss: str = _setting("sparse_categorical_crossentropy", "choice", "Loss",
                         "cross-entropy on integer labels (sparse) or on one-hot labels", choices=LOSSES)
    epochs: int = _setting(5, "int", "Epochs", "passes over the training set", low=1, high=200, step=1)
    batch_size: int = _setting(128, "int", "Batch size", "images per gradient step", low=1, high=8192, step=16)
    validation_split: float = _setting(0.1, "float", "Validation split",
                                       "fraction of the training images held out to check for overfitting",
                                       low=0.0, high=0.5, step=0.05)
    validate_on_test: bool = _setting(False, "bool", "Validate on the test set",
                                      "check on the test set each epoch, as some tutorials do (the split is unused)")
    train_size: int | None = _setting(None, "int", "Training images",
                                      "a seeded random subset of the 60,000 (fewer train faster: 5,000 in seconds)",
                                      low=10, high=MNIST_TRAIN_SIZE, optional=True, step=1000)
    augment: bool = _setting(False, "bool", "Augment",
                             "random zoom, rotation, shift and stroke width, for hand-drawn digits")
    augment_rotation: float = _setting(12.0, "float", "Rotation (°)", "augmentation: tilt by up to ± this many degrees",
                                       low=0.0, high=45.0, step=1.0)
    augment_zoom: float = _setting(0.2, "float", "Zoom", "augmentation: grow or shrink by up to ± this fraction",
                                   low=0.0, high=0.5, step=0.05)
    augment_shift: float = _setting(0.1, "float", "Shift", "augmentation: move by up to ± this fraction of the side",
                                    low=0.0, high=0.3, step=0.05)
    augment_stroke: float = _setting(0.35, "float", "Stroke width",
                                     "augmentation: the fraction of digits drawn 1 px thicker or thinner",
                                     low=0.0, high=1.0, step=0.05)
    styles: bool = _setting(False, "bool", "Writing styles",
                            "redraw some digits in styles MNIST lacks: slashed and dotted zeros, European ones, "
                            "crossed sevens, open fours, straight nines (data/styles.py)")
    negatives: float = _setting(0.0, "float", "Non-digits",
                                "synthetic non-digits per training digit, trained toward 'not sure' (outlier "
                                "exposure; data/negatives.py)", low=0.0, high=1.0, step=0.05)
    negatives_mix: float = _setting(0.0, "float", "Mixed non-digits",
                                    "share of the non-digits in each batch pasted over a digit, the target mixed by "
                                    "their ink (mixture outlier exposure; needs Non-digits; data/mixing.py)",
                                    low=0.0, high=1.0, step=0.1)
    negatives_weight: float = _setting(1.0, "float", "Non-digit weight",
                                       "how much each non-digit counts in the loss beside a digit (outlier exposure's "
                                       "λ; Hendrycks et al. 2019 use 0.5)", low=0.05, high=1.0, step=0.05)
    real_negatives: float = _setting(0.0, "float", "Real non-digits",
                                     "real doodles and handwritten characters of 50 alphabets per training digit, "
                                     "trained toward 'not sure' (Quick, Draw! and Omniglot, digit-like ones left out; "
                                     "data/real_drawings.py; needs the real-handwriting file)",
                                     low=0.0, high=1.0, step=0.05)
    real_digits: int = _setting(0, "int", "Real digits",
                                "copies of each of Semeion's real handwritten digits (European ones, crossed sevens) "
                                "added to training, each with fresh proportions (data/real_drawings.py)",
                                low=0, high=20, step=1)
    input_scale: str = _setting("unit", "choice", "Input scale",
                                "pixels fed as unit (0–1, the Keras examples) or raw (0–255, some tutorials)",
                                choices=INPUT_SCALES)
    lr_changes: str = _setting("", "schedule", "Learning-rate changes",
                               "STEP:LR,… e.g. 300:0.01: from batch STEP on (counted over all epochs) the rate is LR; "
                               "recorded when the rate is changed during a training, so the run replays")
    seed: int = _setting(42, "int", "Seed", "random seed: the same seed gives the same history on CPU",
                         low=0, high=2**31, high_open=True, step=1)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        if not isinstance(data, dict):
            raise SpecError("A spec must be a JSON object.")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError(f"Unknown spec field(s): {', '.join(unknown)}.")
        if "layers" not in data:
            raise SpecError("A spec needs a 'layers' list.")
        layers = data["layers"]
        if isinstance(layers, str):
            layers = parse_layers(layers)
        if not isinstance(layers, list):
            raise SpecError("'layers' must be a list of layer objects.")
        fields = dict(data)
        fields["layers"] = [normalize_layer(layer, i) for i, layer in enumerate(layers)]
        return cls(**fields)

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> ModelSpec:
        return dataclasses.replace(self, **changes)

    def layers_compact(self) -> str:
        return format_layers(self.layers)

    def augmentation(self) -> dict[str, float]:
        """The augment_* settings as data/augment.py's keywords (rotation, zoom, shift, stroke)."""
        return {name: getattr(self, f"augment_{name}") for name in ("rotation", "zoom", "shift", "stroke")}


def _field_row(declared: dataclasses.Field) -> Field:
    row = dict(declared.metadata["field"])
    row["flag"] = row["flag"] or "--" + declared.name.replace("_", "-")  # learning_rate → --learning-rate
    return Field(name=declared.name, **row)


FIELDS: tuple[Field, ...] = tuple(_field_row(f) for f in dataclasses.fields(ModelSpec) if "field" in f.metadata)
FIELD = {f.name: f for f in FIELDS}


# --- numbers ------------------------------------------------------------------------------

def as_number(value: Any, what: str, whole: bool = False) -> float | int:
    """A finite number (an int when `whole`) from a spec value; SpecError naming `what`
    otherwise. True/False are refused: they are not numbers a person meant."""
    kind = "a whole number" if whole else "a number"
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{what} must be {kind}, not {value!r}.") from None
    if not math.isfinite(number):
        raise SpecError(f"{what} must be {'a whole' if whole else 'a finite'} number, not {value!r}.")
    if whole and number != int(number):
        raise SpecError(f"{what} must be a whole number, not {value!r}.")
    return int(number) if whole else number


def as_int(value: Any, what: str) -> int:
    return as_number(value, what, whole=True)


def as_float(value: Any, what: str) -> float:
    return as_number(value, what)


def parse_lr_changes(value: Any, what: str = "Learning-rate changes") -> list[tuple[int, float]]:
    """'300:0.01,900:0.001' (or [[300, 0.01], …]) → [(300, 0.01), (900, 0.001)], sorted by step;
    a step is a batch index counted over all epochs (0 = the first batch). SpecError if
    malformed, a step is negative or repeated, or a rate is outside [1e-6, 10]."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, str):
        items = [item.split(":") for item in value.replace(" ", "").split(",")]
    elif isinstance(value, (list, tuple)):
        items = [list(item) if isinstance(item, (list, tuple)) else [item] for item in value]
    else:
        raise SpecError(f"{what} must look like 300:0.01,900:0.001, not {value!r}.")
    changes = []
    for item in items:
        if len(item) != 2:
            raise SpecError(f"{what}: {':'.join(map(str, item))!r} is not STEP:LR (e.g. 300:0.01).")
        step, rate = as_int(item[0], f"{what} step"), as_float(item[1], f"{what} rate")
        if step < 0 or not 1e-6 <= rate <= 10.0:
            raise SpecError(f"{what}: {step}:{rate:g} needs a step >= 0 and a rate between 1e-06 and 10.")
        changes.append((step, rate))
    steps = [step for step, _ in changes]
    if len(set(steps)) != len(steps):
        raise SpecError(f"{what}: step {max(steps, key=steps.count)} appears twice.")
    return sorted(changes)


def format_lr_changes(changes: list[tuple[int, float]]) -> str:
    """Inverse of parse_lr_changes: '300:0.01,900:0.001' ("" for none)."""
    return ",".join(f"{step}:{format_number(rate)}" for step, rate in sorted(changes))


def format_number(value: float) -> str:
    """Short form (%g) when that reads back as the same number, else the exact repr."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and value.strip() == "")


# --- layers -------------------------------------------------------------------------------

def _unknown_type(where: str, name: Any) -> SpecError:
    return SpecError(f"{where}: unknown layer type {name!r}; use one of {', '.join(LAYER_TYPES)}.")


def normalize_layer(layer: Any, index: int = 0) -> dict[str, Any]:
    """A layer dict with its canonical type and every parameter filled in (types
    checked, ranges not: layer_plan checks those)."""
    where = f"Layer {index + 1}"
    if not isinstance(layer, dict):
        example = {"type": LAYER_TYPES[0], **{p.name: p.default for p in CATALOGUE[LAYER_TYPES[0]].params[:1]}}
        raise SpecError(f"{where}: expected an object like {example}.")
    kind = lookup(layer.get("type"))
    if kind is None:
        raise _unknown_type(where, str(layer.get("type", "")).strip().lower())
    extra = sorted(set(layer) - set(kind.param_names) - {"type"})
    if extra:
        raise SpecError(f"{where} ({kind.name}): unknown parameter(s) {', '.join(extra)}.")
    out: dict[str, Any] = {"type": kind.name}
    for param in kind.params:
        value = layer.get(param.name, param.default)
        if _blank(value):
            value = param.default
        what = f"{where} ({kind.name}) {param.name}"
        if param.kind == "int":
            value = as_int(value, what)
        elif param.kind == "rate":
            value = as_float(value, what)
        else:
            value = str(value).strip().lower()
        out[param.name] = value
    return out


def parse_layers(text: str) -> list[dict[str, Any]]:
    """Parse the compact form 'conv2d:32:3,maxpool:2,flatten,dense:128:relu,dropout:0.2':
    each layer is its name then its parameters in catalogue order (see `layers_help()`).
    The 10-way softmax output layer is always implied."""
    if text.strip() == "":
        return []
    layers = []
    for index, item in enumerate(part.strip() for part in text.split(",")):
        if not item:
            raise SpecError(f"Layer {index + 1}: empty entry in {text!r} (two commas in a row?).")
        name, *args = [part.strip() for part in item.split(":")]
        kind = lookup(name)
        if kind is None:
            raise _unknown_type(f"Layer {index + 1}", name)
        if len(args) > len(kind.params):
            raise SpecError(f"Layer {index + 1}: too many values in {item!r}.")
        layers.append(normalize_layer({"type": kind.name, **dict(zip(kind.param_names, args))}, index))
    return layers


def format_layers(layers: list[dict[str, Any]]) -> str:
    """The compact form of a layer list (inverse of parse_layers)."""
    parts = []
    for layer in layers:
        kind = CATALOGUE[layer["type"]]
        values = [format_number(layer[p.name]) if p.kind == "rate" else str(layer[p.name]) for p in kind.params]
        parts.append(":".join([kind.name, *values]))
    return ",".join(parts)


def layers_help() -> str:
    """The compact forms of every layer kind, e.g. 'dense:UNITS[:ACTIVATION], dropout[:RATE]'."""
    def form(kind) -> str:
        return kind.name + "".join(f"[:{p.name.upper()}]" for p in kind.params)
    return ", ".join(form(kind) for kind in CATALOGUE.values())


def layer_plan(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The layers actually built, with the implied Flatten and output layer, their output
    shapes and parameter counts. Raises SpecError for an impossible stack.

    A model with no image layers (conv/pool) starts with Flatten (MLPs see 784 pixels);
    a convolutional one gets a Flatten before its first vector layer if none is given.
    """
    if len(layers) > MAX_LAYERS:
        raise SpecError(f"{len(layers)} layers is too many; keep it to {MAX_LAYERS} or fewer.")
    layers = [normalize_layer(layer, i) for i, layer in enumerate(layers)]
    plan: list[dict[str, Any]] = []
    shape: tuple[int, ...] = INPUT_SHAPE

    def add(layer: dict[str, Any], implied: bool = False) -> None:
        nonlocal shape
        kind = CATALOGUE[layer["type"]]
        out, params = kind.output(shape, layer), kind.count(shape, layer)
        plan.append({**layer, "output_shape": out, "params": params, "implied": implied})
        shape = out

    if not any(CATALOGUE[layer["type"]].input == "image" for layer in layers):
        add({"type": FLATTEN.name}, implied=True)
    for index, layer in enumerate(layers):
        kind = CATALOGUE[layer["type"]]
        where = f"Layer {index + 1} ({kind.name})"
        if kind.input == "image" and len(shape) != 3:
            raise SpecError(f"{where} comes after Flatten/Dense: convolution and pooling need the 2-D image, "
                            "so put them before any Flatten or Dense layer.")
        _check_ranges(kind, layer, where)
        if kind.input == "vector" and len(shape) == 3:
            add({"type": FLATTEN.name}, implied=True)
        try:
            add(layer)
        except LayerError as exc:
            raise SpecError(f"{where}: {exc}") from None
    if len(shape) == 3:
        add({"type": FLATTEN.name}, implied=True)
    add(output_layer(NUM_CLASSES), implied=True)
    return plan


def _check_ranges(kind, layer: dict[str, Any], where: str) -> None:
    for param in kind.params:
        value = layer[param.name]
        if param.kind == "activation":
            if value not in ACTIVATIONS:
                raise SpecError(f"{where}: unknown activation {value!r}; use one of {', '.join(ACTIVATIONS)}.")
        elif param.kind == "rate":
            if not param.low <= value < param.high:
                raise SpecError(f"{where}: {param.shown} must be in [{param.low:g}, {param.high:g}) "
                                f"(the {param.help}), not {value:g}.")
        elif not param.low <= value <= param.high:
            raise SpecError(f"{where}: {param.shown} must be between {param.low} and {param.high}, not {value}.")


def count_params(spec_or_layers: ModelSpec | list[dict[str, Any]]) -> int:
    layers = spec_or_layers.layers if isinstance(spec_or_layers, ModelSpec) else spec_or_layers
    return sum(step["params"] for step in layer_plan(layers))


def validate(spec: ModelSpec) -> ModelSpec:
    """Check everything before anything is built; return the normalised spec."""
    if not isinstance(spec.layers, list):
        raise SpecError("'layers' must be a list of layer objects.")
    layers = [normalize_layer(layer, i) for i, layer in enumerate(spec.layers)]
    params = count_params(layers)
    if params > MAX_PARAMS:
        raise SpecError(
            f"This model has {params:,} parameters; the limit here is {MAX_PARAMS:,}. "
            "Use fewer units/filters or add pooling before Flatten."
        )
    spec = spec.replace(layers=layers, **{f.name: f.check(getattr(spec, f.name)) for f in FIELDS})
    if spec.lr_changes and spec.lr_schedule != "constant":
        raise SpecError("Learning-rate changes need the constant LR schedule (cosine sets the rate every batch).")
    if spec.negatives_mix and not spec.negatives:
        raise SpecError("Mixed non-digits needs non-digits to mix: set Non-digits above 0 (e.g. 0.1), "
                        "or Mixed non-digits to 0.")
    return spec


# --- the app's layer table ------------------------------------------------------------------

def layers_to_rows(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Layers → rows of the app's layer table (columns TABLE_COLUMNS); cells a layer
    does not use are None."""
    rows = []
    for layer in layers:
        row: dict[str, Any] = dict.fromkeys(TABLE_COLUMNS)
        row["layer"] = layer["type"]
        for param in CATALOGUE[layer["type"]].params:
            row[param.column] = layer[param.name]
        rows.append(row)
    return rows


def layers_from_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the layer table → normalised layers (blank rows are skipped; missing
    cells take the layer's defaults). Raises SpecError naming the row."""
    layers = []
    for index, row in enumerate(rows):
        if _blank(row.get("layer")):
            if all(_blank(row.get(col)) for col in TABLE_COLUMNS):
                continue
            raise SpecError(f"Row {index + 1}: choose a layer type.")
        kind = lookup(row["layer"])
        layer: dict[str, Any] = {"type": kind.name if kind else str(row["layer"])}
        for param in kind.params if kind else ():
            if not _blank(row.get(param.column)):
                layer[param.name] = row[param.column]
        layers.append(normalize_layer(layer, len(layers)))
    return layers
