"""The layer catalogue: every layer kind the app can build, in one place.

Each `LayerKind` holds its name and aliases, its parameters (defaults, ranges,
help), the shape arithmetic and parameter count the layer plan uses, the Keras
class and arguments `build.py` uses, and the words the sidebar and the Inside
view show. Parsing, validation, the compact `dense:512:relu` form, the sidebar's
layer table, building and inspection all read this table, so adding a layer kind
means adding one entry here. No Keras import: the app validates without it.

Shapes are tuples without the batch axis: (height, width, channels) for images,
(units,) for vectors. Parameter counts follow Keras's own (checked against
`model.count_params()` in tests/test_spec.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int, ...]
Layer = dict[str, Any]

ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu", "selu", "softplus", "linear")
TABLE_COLUMNS = ("layer", "size", "kernel", "activation", "rate")  # the sidebar's layer table

MAX_DENSE_UNITS = 4096
MAX_FILTERS = 256
MAX_KERNEL = 7
MAX_POOL = 4


class LayerError(ValueError):
    """A layer that cannot be built here; the message says why (without 'Layer N')."""


@dataclass(frozen=True)
class Param:
    """One parameter of a layer kind. `kind` is "int", "rate" (a float) or "activation"."""

    name: str  # key in the layer dict and in Keras's vocabulary ("units", "filters")
    default: Any
    kind: str
    low: float | None = None  # inclusive
    high: float | None = None  # inclusive for "int", exclusive for "rate"
    label: str = ""  # in messages ("pool size"); defaults to the name
    column: str = ""  # the layer table's column holding it
    help: str = ""

    @property
    def shown(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class LayerKind:
    name: str  # canonical name, used in specs and the compact form
    keras_class: str  # the keras.layers class it builds
    title: str  # what the sidebar and Inside view call it
    help: str
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    input: str = "any"  # "image" needs (h, w, c); "vector" gets an implied Flatten first; "any"
    role: str = "other"  # "weights", "normalize", "identity" (at inference), "reshape", "pool"
    explain: str = ""  # Inside view, beside this layer's activations ({size} = its number count)
    output: Callable[[Shape, Layer], Shape] = lambda shape, layer: shape
    count: Callable[[Shape, Layer], int] = lambda shape, layer: 0
    # Keras's arguments in keras-io style (positional, keywords): build.py and the code export use them
    args: Callable[[Layer], tuple[list, dict]] = lambda layer: ([], {})
    param_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_names", tuple(p.name for p in self.params))


def _conv_shape(shape: Shape, layer: Layer) -> Shape:
    h, w, _ = shape
    k = layer["kernel"]
    if k > h or k > w:
        raise LayerError(f"a {k}×{k} kernel does not fit the {h}×{w} image left here.")
    return (h - k + 1, w - k + 1, layer["filters"])


def _pool_shape(shape: Shape, layer: Layer) -> Shape:
    h, w, c = shape
    pool = layer["pool"]
    if h // pool < 1 or w // pool < 1:
        raise LayerError(f"pooling a {h}×{w} image by {pool} leaves nothing.")
    return (h // pool, w // pool, c)


def _flatten_shape(shape: Shape, layer: Layer) -> Shape:
    if len(shape) != 3:
        raise LayerError("the data is already flat here; remove this Flatten.")
    return (math.prod(shape),)


_ACTIVATION = Param("activation", "relu", "activation", column="activation",
                    help="the non-linearity applied to each output")
_POOL = Param("pool", 2, "int", 2, MAX_POOL, label="pool size", column="size",
              help="pool window side: the image shrinks by this factor")

CATALOGUE: dict[str, LayerKind] = {kind.name: kind for kind in (
    LayerKind(
        "dense", "Dense", "Dense", "fully connected: every input feeds every unit",
        params=(Param("units", 128, "int", 1, MAX_DENSE_UNITS, column="size", help="number of neurons"),
                _ACTIVATION),
        aliases=("fc",), input="vector", role="weights",
        output=lambda shape, layer: (layer["units"],),
        count=lambda shape, layer: shape[0] * layer["units"] + layer["units"],
        args=lambda layer: ([layer["units"]], {"activation": layer["activation"]}),
    ),
    LayerKind(
        "dropout", "Dropout", "Dropout", "switches off a random fraction of inputs while training",
        params=(Param("rate", 0.2, "rate", 0.0, 1.0, column="rate", help="fraction of inputs dropped"),),
        aliases=("drop",), role="identity",
        explain="Same numbers as the layer above: dropout only switches neurons off while training.",
        args=lambda layer: ([layer["rate"]], {}),
    ),
    LayerKind(
        "batchnorm", "BatchNormalization", "BatchNormalization",
        "rescales each feature to mean 0, spread 1 (learned scale and shift)",
        aliases=("bn", "batchnormalization"), role="normalize",
        count=lambda shape, layer: 4 * shape[-1],
    ),
    LayerKind(
        "conv2d", "Conv2D", "Conv2D", "slides small learned filters over the image",
        params=(Param("filters", 32, "int", 1, MAX_FILTERS, column="size", help="number of filters"),
                Param("kernel", 3, "int", 1, MAX_KERNEL, column="kernel", help="filter side in pixels"),
                _ACTIVATION),
        aliases=("conv",), input="image", role="weights",
        output=_conv_shape,
        count=lambda shape, layer: layer["kernel"] ** 2 * shape[2] * layer["filters"] + layer["filters"],
        args=lambda layer: ([layer["filters"]], {"kernel_size": layer["kernel"], "activation": layer["activation"]}),
    ),
    LayerKind(
        "maxpool", "MaxPooling2D", "MaxPooling2D", "keeps the largest value in each window",
        params=(_POOL,), aliases=("pool", "maxpooling2d"), input="image", role="pool",
        output=_pool_shape, args=lambda layer: ([], {"pool_size": layer["pool"]}),
    ),
    LayerKind(
        "avgpool", "AveragePooling2D", "AveragePooling2D", "keeps the mean of each window",
        params=(_POOL,), aliases=("averagepooling2d", "avgpooling2d"), input="image", role="pool",
        output=_pool_shape, args=lambda layer: ([], {"pool_size": layer["pool"]}),
    ),
    LayerKind(
        "globalavgpool", "GlobalAveragePooling2D", "GlobalAveragePooling2D",
        "one number per channel: the mean over the whole image (no Flatten needed)",
        aliases=("globalaveragepooling2d", "gap"), input="image", role="pool",
        output=lambda shape, layer: (shape[2],),
    ),
    LayerKind(
        "flatten", "Flatten", "Flatten", "lays the image out as one long row of numbers",
        role="reshape", explain="The same {size:,} numbers as the layer above, laid out in one long row.",
        output=_flatten_shape,
    ),
)}

FLATTEN = CATALOGUE["flatten"]  # implied before the first vector layer of a CNN
OUTPUT = CATALOGUE["dense"]  # the implied softmax output is a Dense layer
LAYER_TYPES = tuple(CATALOGUE)
_BY_ALIAS = {alias: kind.name for kind in CATALOGUE.values() for alias in (kind.name, *kind.aliases)}
_BY_KERAS_CLASS = {kind.keras_class: kind.name for kind in CATALOGUE.values()}


def lookup(name: Any) -> LayerKind | None:
    """The kind for a name or alias (case-insensitive), or None."""
    canonical = _BY_ALIAS.get(str(name or "").strip().lower())
    return CATALOGUE[canonical] if canonical else None


def kind_of_keras_layer(layer: Any) -> LayerKind | None:
    """The catalogue entry for a Keras layer object (by its class name), or None."""
    name = _BY_KERAS_CLASS.get(type(layer).__name__)
    return CATALOGUE[name] if name else None


def output_layer(classes: int) -> Layer:
    """The implied output: Dense(classes, softmax)."""
    return {"type": OUTPUT.name, "units": classes, "activation": "softmax"}
