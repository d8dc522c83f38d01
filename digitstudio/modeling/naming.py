"""Short names for training setups: what a run is, in one line an engineer can scan.

    run_name(spec)      "Dense 128 → Dropout 0.2 · Adam 0.003 · 3 ep · 2k images"
    layers_name(layers) "Dense 128 → Dropout 0.2" (the compact form, in Keras's words)
    optimizer_name(spec) "Adam 0.003", "SGD 0.05 m0.9 cosine", "Adam 0.003→0.0005"

The architecture part is a preset's name when the spec's layers (and input scale) are
exactly a preset's ("seed-dropout · Adam 0.001 · 10 ep"), else the layers in words; long
stacks keep only their weight layers ("Conv2D 32-32-64-64 → Dense 128").
The sidebar labels a submitted training with `run_name` (the run id is made from it);
the Runs page shows it as the run's name and in the compare charts' legends.
"""

from __future__ import annotations

from typing import Any

from digitstudio.modeling.layers import CATALOGUE
from digitstudio.modeling.presets import PRESETS
from digitstudio.modeling.spec import (
    MNIST_TRAIN_SIZE,
    ModelSpec,
    SpecError,
    format_number,
    normalize_layer,
    parse_lr_changes,
)

ARROW = " → "
SEPARATOR = " · "
MAX_LAYERS_CHARS = 60  # past this the layers are named by their weight layers only
DEFAULT_ACTIVATION, DEFAULT_KERNEL = "relu", 3  # left unsaid in a name
OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}  # as Keras spells the classes


def run_name(spec: ModelSpec) -> str:
    """A one-line name for a training setup: architecture · optimizer and rate · epochs,
    then only what differs from a plain MNIST training ("2k images", "+aug", "+styles",
    "+non-digits", "+real digits", "raw px" for 0–255 inputs), e.g.
    "Dense 64 → Dropout 0.2 · Adam 0.003 · 3 ep". Pure: no Keras, no files; an unreadable
    layer list is named "?" rather than raising."""
    parts = [_architecture(spec), optimizer_name(spec), f"{spec.epochs} ep"]
    if spec.train_size is not None and spec.train_size < MNIST_TRAIN_SIZE:
        parts.append(f"{_thousands(spec.train_size)} images")
    extras = [word for word, on in (("+aug", spec.augment), ("+styles", spec.styles),
                                    ("+non-digits", spec.negatives or spec.real_negatives),
                                    ("+real digits", spec.real_digits),
                                    ("raw px", spec.input_scale == "raw" and not _preset_layers(spec))) if on]
    if extras:
        parts.append(" ".join(extras))
    return SEPARATOR.join(parts)


def layers_name(layers: list[dict[str, Any]]) -> str:
    """The layers in words, each by its Keras class, e.g. "Conv2D 32 5×5 → MaxPooling2D 2 →
    Dense 64 tanh" (relu and 3×3 are not said); "no hidden layers" for an empty list. Past
    MAX_LAYERS_CHARS only the weight layers are named, runs of one kind with one activation
    (and kernel) as one ("Conv2D 32-32-64-64 → Dense 128", "Dense 200-100-60-30 sigmoid"):
    the Runs table's layers column has the rest. The words come from the catalogue
    (layers.py): no layer kind is spelled here."""
    if not layers:
        return "no hidden layers"
    full = ARROW.join(_layer_words(layer) for layer in layers)
    if len(full) <= MAX_LAYERS_CHARS:
        return full
    groups: list[tuple[dict[str, Any], list[int]]] = []  # (first layer, sizes)
    for layer in layers:
        if CATALOGUE[layer["type"]].role != "weights":
            continue
        size = layer.get("units", layer.get("filters"))
        last = groups[-1][0] if groups else None
        if last is not None and all(last.get(key) == layer.get(key) for key in ("type", "activation", "kernel")):
            groups[-1][1].append(size)
        else:
            groups.append((layer, [size]))
    if not groups:
        return full[: MAX_LAYERS_CHARS - 1] + "…"
    return ARROW.join(_layer_words(first, sizes) for first, sizes in groups)


def optimizer_name(spec: ModelSpec, rates: bool = True) -> str:
    """"Adam 0.003"; SGD adds its momentum ("SGD 0.05 m0.9"), a cosine schedule says
    "cosine", recorded learning-rate changes add their rates ("Adam 0.003→0.0005").
    `rates` False: the optimizer alone ("Adam", "SGD m0.9")."""
    text = OPTIMIZER_NAMES.get(spec.optimizer, spec.optimizer)
    if rates:
        text += f" {format_number(spec.learning_rate)}"
    if spec.optimizer == "sgd" and spec.momentum:
        text += f" m{format_number(spec.momentum)}"
    if not rates:
        return text
    if spec.lr_schedule != "constant":
        text += f" {spec.lr_schedule}"
    try:
        changes = parse_lr_changes(spec.lr_changes)
    except SpecError:
        changes = []
    return text + "".join(f"→{format_number(rate)}" for _, rate in changes)


def _architecture(spec: ModelSpec) -> str:
    preset = _preset_layers(spec)
    if preset:
        return preset
    try:
        layers = [normalize_layer(layer, i) for i, layer in enumerate(spec.layers)]
    except SpecError:
        return "?"
    return layers_name(layers)


def _preset_layers(spec: ModelSpec) -> str | None:
    """The name of the preset whose layers and input scale this spec has, else None."""
    try:
        layers = [normalize_layer(layer, i) for i, layer in enumerate(spec.layers)]
    except SpecError:
        return None
    return next((name for name, preset in PRESETS.items()
                 if preset.spec.layers == layers and preset.spec.input_scale == spec.input_scale), None)


def _layer_words(layer: dict[str, Any], sizes: list[int] | None = None) -> str:
    """A layer as its Keras class and what sets it apart: "Dense 64", "Dense 64 tanh",
    "Conv2D 32 5×5", "Dropout 0.2", "MaxPooling2D 2" (relu and a 3×3 kernel go unsaid).
    `sizes`: the units or filters of a run of such layers, said as "32-32-64"."""
    kind = CATALOGUE[layer["type"]]
    words = [kind.title]
    for index, param in enumerate(kind.params):
        value = layer[param.name]
        if index == 0 and sizes:
            words.append("-".join(map(str, sizes)))
        elif param.kind == "activation":
            words += [] if value == DEFAULT_ACTIVATION else [value]
        elif param.kind == "rate":
            words.append(format_number(value))
        elif param.name == "kernel":
            words += [] if value == DEFAULT_KERNEL else [f"{value}×{value}"]
        else:
            words.append(str(value))
    return " ".join(words)


def _thousands(n: int) -> str:
    """2000 → "2k", 2500 → "2.5k", 600 → "600"."""
    return f"{n / 1000:g}k" if n >= 1000 and n % 100 == 0 else f"{n:,}"
