"""One description of a model and how to train it, shared by train.py and the app.

A `ModelSpec` is plain data (JSON round-trips exactly). `validate()` checks it
without importing TensorFlow, so the app can explain a bad layer table
instantly; `build_model()` in `models.py` turns a valid spec into Keras.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10

LAYER_TYPES = ("dense", "dropout", "batchnorm", "conv2d", "maxpool", "flatten")
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu", "selu", "softplus", "linear")
OPTIMIZERS = ("sgd", "rmsprop", "adam")
LR_SCHEDULES = ("constant", "cosine")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy")

# Sane ranges. The parameter cap keeps a classroom server from being asked to
# train something that would take hours on two CPU cores.
MAX_PARAMS = 5_000_000
MAX_DENSE_UNITS = 4096
MAX_FILTERS = 256
MAX_KERNEL = 7
MAX_POOL = 4
MAX_LAYERS = 30
EPOCHS_RANGE = (1, 200)
BATCH_RANGE = (1, 8192)
LR_RANGE = (1e-6, 10.0)
VALIDATION_SPLIT_RANGE = (0.0, 0.5)
MIN_TRAIN_SIZE = 10
NEGATIVES_RANGE = (0.0, 1.0)  # non-digits per training digit (outlier exposure)
MNIST_TRAIN_SIZE = 60_000

# Aliases accepted in the compact form and in JSON (case-insensitive).
_TYPE_ALIASES = {
    "dense": "dense", "fc": "dense",
    "dropout": "dropout", "drop": "dropout",
    "batchnorm": "batchnorm", "bn": "batchnorm", "batchnormalization": "batchnorm",
    "conv2d": "conv2d", "conv": "conv2d",
    "maxpool": "maxpool", "pool": "maxpool", "maxpooling2d": "maxpool",
    "flatten": "flatten",
}
_OPTIMIZER_ALIASES = {"sgd": "sgd", "rmsprop": "rmsprop", "adam": "adam"}


class SpecError(ValueError):
    """A spec that cannot be trained; the message says what to change."""


@dataclasses.dataclass
class ModelSpec:
    layers: list[dict[str, Any]]
    optimizer: str = "adam"
    learning_rate: float = 0.001
    momentum: float = 0.0  # SGD only
    lr_schedule: str = "constant"  # or "cosine": decays to 0 over all training steps
    loss: str = "sparse_categorical_crossentropy"
    epochs: int = 5
    batch_size: int = 128
    validation_split: float = 0.1
    validate_on_test: bool = False  # as some tutorials do; the split is then unused
    train_size: int | None = None  # None = all 60,000 training images
    augment: bool = False  # shifts, zoom, rotation, stroke thickness (see training.py)
    seed: int = 42
    styles: bool = False  # slashed zeros, European ones, … drawn into some digits (data/styles.py)
    negatives: float = 0.0  # synthetic non-digits added, as a fraction of the training digits (data/negatives.py)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelSpec":
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
    def from_json(cls, text: str) -> "ModelSpec":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> "ModelSpec":
        return dataclasses.replace(self, **changes)

    def layers_compact(self) -> str:
        return format_layers(self.layers)


# --- layers --------------------------------------------------------------------------

def normalize_layer(layer: Any, index: int = 0) -> dict[str, Any]:
    """Return a layer dict with its canonical type and every parameter filled in."""
    where = f"Layer {index + 1}"
    if not isinstance(layer, dict):
        raise SpecError(f"{where}: expected an object like {{'type': 'dense', 'units': 128}}.")
    raw_type = str(layer.get("type", "")).strip().lower()
    kind = _TYPE_ALIASES.get(raw_type)
    if kind is None:
        raise SpecError(
            f"{where}: unknown layer type {raw_type!r}; use one of {', '.join(LAYER_TYPES)}."
        )
    allowed = {
        "dense": {"units": 128, "activation": "relu"},
        "dropout": {"rate": 0.2},
        "batchnorm": {},
        "conv2d": {"filters": 32, "kernel": 3, "activation": "relu"},
        "maxpool": {"pool": 2},
        "flatten": {},
    }[kind]
    extra = sorted(set(layer) - set(allowed) - {"type"})
    if extra:
        raise SpecError(f"{where} ({kind}): unknown parameter(s) {', '.join(extra)}.")
    out: dict[str, Any] = {"type": kind}
    for key, default in allowed.items():
        value = layer.get(key, default)
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            value = default
        if key in ("units", "filters", "kernel", "pool"):
            value = _as_int(value, f"{where} ({kind}) {key}")
        elif key == "rate":
            value = _as_float(value, f"{where} (dropout) rate")
        elif key == "activation":
            value = str(value).strip().lower()
        out[key] = value
    return out


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise SpecError(f"{what} must be a whole number, not {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{what} must be a whole number, not {value!r}.") from None
    if not math.isfinite(number) or number != int(number):
        raise SpecError(f"{what} must be a whole number, not {value!r}.")
    return int(number)


def _as_float(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise SpecError(f"{what} must be a number, not {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{what} must be a number, not {value!r}.") from None
    if not math.isfinite(number):
        raise SpecError(f"{what} must be a finite number, not {value!r}.")
    return number


def parse_layers(text: str) -> list[dict[str, Any]]:
    """Parse the compact form: 'conv:32:3,pool:2,flatten,dense:128:relu,dropout:0.2'.

    dense:UNITS[:ACTIVATION]  dropout:RATE  batchnorm  conv2d:FILTERS[:KERNEL[:ACTIVATION]]
    maxpool[:POOL]  flatten.  The 10-way softmax output layer is always implied.
    """
    layers = []
    items = [item.strip() for item in text.split(",")]
    if text.strip() == "":
        return []
    for index, item in enumerate(items):
        if not item:
            raise SpecError(f"Layer {index + 1}: empty entry in {text!r} (two commas in a row?).")
        name, *args = [part.strip() for part in item.split(":")]
        kind = _TYPE_ALIASES.get(name.lower())
        if kind is None:
            raise SpecError(
                f"Layer {index + 1}: unknown layer type {name!r}; use one of {', '.join(LAYER_TYPES)}."
            )
        keys = {
            "dense": ["units", "activation"],
            "dropout": ["rate"],
            "batchnorm": [],
            "conv2d": ["filters", "kernel", "activation"],
            "maxpool": ["pool"],
            "flatten": [],
        }[kind]
        if len(args) > len(keys):
            raise SpecError(f"Layer {index + 1}: too many values in {item!r}.")
        layer = {"type": kind, **dict(zip(keys, args))}
        layers.append(normalize_layer(layer, index))
    return layers


def format_layers(layers: list[dict[str, Any]]) -> str:
    """The compact form of a layer list (inverse of parse_layers)."""
    parts = []
    for layer in layers:
        kind = layer["type"]
        if kind == "dense":
            parts.append(f"dense:{layer['units']}:{layer['activation']}")
        elif kind == "dropout":
            parts.append(f"dropout:{format_number(layer['rate'])}")
        elif kind == "conv2d":
            parts.append(f"conv2d:{layer['filters']}:{layer['kernel']}:{layer['activation']}")
        elif kind == "maxpool":
            parts.append(f"maxpool:{layer['pool']}")
        else:
            parts.append(kind)
    return ",".join(parts)


def format_number(value: float) -> str:
    """Short form (%g) when that reads back as the same number, else the exact repr."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


# --- validation ----------------------------------------------------------------------

def layer_plan(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The layers actually built, with the implied Flatten and output layer, their output
    shapes and parameter counts. Raises SpecError for an impossible stack.

    A model with no conv/pool layers starts with Flatten (MLPs see 784 pixels); a
    convolutional one gets a Flatten before its first Dense if none is given.
    """
    if len(layers) > MAX_LAYERS:
        raise SpecError(f"{len(layers)} layers is too many; keep it to {MAX_LAYERS} or fewer.")
    layers = [normalize_layer(layer, i) for i, layer in enumerate(layers)]
    spatial = any(layer["type"] in ("conv2d", "maxpool") for layer in layers)
    plan: list[dict[str, Any]] = []
    shape: tuple[int, ...] = INPUT_SHAPE

    def add(layer: dict[str, Any], out_shape: tuple[int, ...], params: int, implied=False):
        plan.append({**layer, "output_shape": out_shape, "params": params, "implied": implied})

    if not spatial:
        shape = (math.prod(shape),)
        add({"type": "flatten"}, shape, 0, implied=True)

    for index, layer in enumerate(layers):
        kind, where = layer["type"], f"Layer {index + 1} ({layer['type']})"
        if kind in ("conv2d", "maxpool") and len(shape) != 3:
            raise SpecError(
                f"{where} comes after Flatten/Dense: convolution and pooling need the 2-D image, "
                "so put them before any Flatten or Dense layer."
            )
        if kind == "dense":
            units = layer["units"]
            if not 1 <= units <= MAX_DENSE_UNITS:
                raise SpecError(f"{where}: units must be between 1 and {MAX_DENSE_UNITS}, not {units}.")
            _check_activation(layer["activation"], where)
            if len(shape) == 3:
                shape = (math.prod(shape),)
                add({"type": "flatten"}, shape, 0, implied=True)
            add(layer, (units,), shape[0] * units + units)
            shape = (units,)
        elif kind == "dropout":
            rate = layer["rate"]
            if not 0.0 <= rate < 1.0:
                raise SpecError(f"{where}: rate must be in [0, 1) (the fraction dropped), not {rate:g}.")
            add(layer, shape, 0)
        elif kind == "batchnorm":
            add(layer, shape, 4 * shape[-1])
        elif kind == "conv2d":
            filters, kernel = layer["filters"], layer["kernel"]
            if not 1 <= filters <= MAX_FILTERS:
                raise SpecError(f"{where}: filters must be between 1 and {MAX_FILTERS}, not {filters}.")
            if not 1 <= kernel <= MAX_KERNEL:
                raise SpecError(f"{where}: kernel must be between 1 and {MAX_KERNEL}, not {kernel}.")
            _check_activation(layer["activation"], where)
            h, w, c = shape
            if kernel > h or kernel > w:
                raise SpecError(f"{where}: a {kernel}×{kernel} kernel does not fit the {h}×{w} image left here.")
            add(layer, (h - kernel + 1, w - kernel + 1, filters), kernel * kernel * c * filters + filters)
            shape = plan[-1]["output_shape"]
        elif kind == "maxpool":
            pool = layer["pool"]
            if not 2 <= pool <= MAX_POOL:
                raise SpecError(f"{where}: pool size must be between 2 and {MAX_POOL}, not {pool}.")
            h, w, c = shape
            if h // pool < 1 or w // pool < 1:
                raise SpecError(f"{where}: pooling a {h}×{w} image by {pool} leaves nothing.")
            add(layer, (h // pool, w // pool, c), 0)
            shape = plan[-1]["output_shape"]
        elif kind == "flatten":
            if len(shape) != 3:
                raise SpecError(f"{where}: the data is already flat here; remove this Flatten.")
            shape = (math.prod(shape),)
            add(layer, shape, 0)

    if len(shape) == 3:
        shape = (math.prod(shape),)
        add({"type": "flatten"}, shape, 0, implied=True)
    add({"type": "dense", "units": NUM_CLASSES, "activation": "softmax"},
        (NUM_CLASSES,), shape[0] * NUM_CLASSES + NUM_CLASSES, implied=True)
    return plan


def _check_activation(name: str, where: str) -> None:
    if name not in ACTIVATIONS:
        raise SpecError(f"{where}: unknown activation {name!r}; use one of {', '.join(ACTIVATIONS)}.")


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
    optimizer = _OPTIMIZER_ALIASES.get(str(spec.optimizer).strip().lower())
    if optimizer is None:
        raise SpecError(f"Unknown optimizer {spec.optimizer!r}; use one of {', '.join(OPTIMIZERS)}.")
    lr = _as_float(spec.learning_rate, "Learning rate")
    if not LR_RANGE[0] <= lr <= LR_RANGE[1]:
        raise SpecError(f"Learning rate must be between {LR_RANGE[0]:g} and {LR_RANGE[1]:g}, not {lr:g}.")
    momentum = _as_float(spec.momentum, "Momentum")
    if not 0.0 <= momentum < 1.0:
        raise SpecError(f"Momentum must be in [0, 1), not {momentum:g}.")
    if spec.lr_schedule not in LR_SCHEDULES:
        raise SpecError(f"Unknown learning-rate schedule {spec.lr_schedule!r}; use one of {', '.join(LR_SCHEDULES)}.")
    if spec.loss not in LOSSES:
        raise SpecError(f"Unknown loss {spec.loss!r}; use one of {', '.join(LOSSES)}.")
    epochs = _as_int(spec.epochs, "Epochs")
    if not EPOCHS_RANGE[0] <= epochs <= EPOCHS_RANGE[1]:
        raise SpecError(f"Epochs must be between {EPOCHS_RANGE[0]} and {EPOCHS_RANGE[1]}, not {epochs}.")
    batch = _as_int(spec.batch_size, "Batch size")
    if not BATCH_RANGE[0] <= batch <= BATCH_RANGE[1]:
        raise SpecError(f"Batch size must be between {BATCH_RANGE[0]} and {BATCH_RANGE[1]}, not {batch}.")
    split = _as_float(spec.validation_split, "Validation split")
    if not VALIDATION_SPLIT_RANGE[0] <= split <= VALIDATION_SPLIT_RANGE[1]:
        raise SpecError(
            f"Validation split must be between {VALIDATION_SPLIT_RANGE[0]:g} and "
            f"{VALIDATION_SPLIT_RANGE[1]:g}, not {split:g}."
        )
    train_size = spec.train_size
    if train_size is not None:
        train_size = _as_int(train_size, "Training-set size")
        if not MIN_TRAIN_SIZE <= train_size <= MNIST_TRAIN_SIZE:
            raise SpecError(
                f"Training-set size must be between {MIN_TRAIN_SIZE} and {MNIST_TRAIN_SIZE:,}, not {train_size:,}."
            )
    seed = _as_int(spec.seed, "Seed")
    if not 0 <= seed < 2**31:
        raise SpecError(f"Seed must be between 0 and {2**31 - 1}, not {seed}.")
    negatives = _as_float(spec.negatives, "Negatives")
    if not NEGATIVES_RANGE[0] <= negatives <= NEGATIVES_RANGE[1]:
        raise SpecError(f"Negatives must be between {NEGATIVES_RANGE[0]:g} and {NEGATIVES_RANGE[1]:g} "
                        f"(non-digits per training digit), not {negatives:g}.")
    for name in ("validate_on_test", "augment", "styles"):
        if not isinstance(getattr(spec, name), bool):
            raise SpecError(f"{name} must be true or false, not {getattr(spec, name)!r}.")
    return spec.replace(
        layers=layers, optimizer=optimizer, learning_rate=lr, momentum=momentum, epochs=epochs,
        batch_size=batch, validation_split=split, train_size=train_size, seed=seed, negatives=negatives,
    )


# --- the app's layer table -------------------------------------------------------------

TABLE_COLUMNS = ("layer", "size", "kernel", "activation", "rate")


def layers_to_rows(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Layers → rows of the app's layer table. 'size' is units (dense), filters (conv2d)
    or pool size (maxpool); cells a layer does not use are None."""
    rows = []
    for layer in layers:
        kind = layer["type"]
        rows.append({
            "layer": kind,
            "size": layer.get("units", layer.get("filters", layer.get("pool"))),
            "kernel": layer.get("kernel"),
            "activation": layer.get("activation"),
            "rate": layer.get("rate"),
        })
    return rows


def layers_from_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the layer table → normalised layers (blank rows are skipped; missing
    cells take the layer's defaults). Raises SpecError naming the row."""
    layers = []
    for index, row in enumerate(rows):
        kind = row.get("layer")
        if kind is None or (isinstance(kind, float) and math.isnan(kind)) or str(kind).strip() == "":
            if all(_blank(row.get(col)) for col in TABLE_COLUMNS):
                continue
            raise SpecError(f"Row {index + 1}: choose a layer type.")
        kind = _TYPE_ALIASES.get(str(kind).strip().lower(), str(kind))
        layer: dict[str, Any] = {"type": kind}
        size = row.get("size")
        if not _blank(size):
            key = {"dense": "units", "conv2d": "filters", "maxpool": "pool"}.get(kind)
            if key:
                layer[key] = size
        for key, kinds in (("kernel", ("conv2d",)), ("activation", ("dense", "conv2d")), ("rate", ("dropout",))):
            if kind in kinds and not _blank(row.get(key)):
                layer[key] = row[key]
        layers.append(normalize_layer(layer, len(layers)))
    return layers


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and value.strip() == "")
