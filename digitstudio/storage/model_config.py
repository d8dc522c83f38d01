"""Read a model file's architecture and count its parameters without building it.

An uploaded model is untrusted: Keras allocates every weight while it builds the
model, so a tiny file whose config declares Dense(400000) costs gigabytes before
any check runs (measured: 4.6 GB for an 896-byte .keras). Here the config is read
as JSON (config.json inside a .keras zip; the `model_config` attribute of a legacy
.h5, read with h5py) and the layers are walked with shape arithmetic only, so a
model over spec.MAX_PARAMS, or one with a layer type this file cannot count, is
refused in milliseconds with no memory spent.

    read_config(name, data)   -> dict (the model's config JSON)
    plan_from_config(config)  -> ConfigPlan(input_shape, layers, params)
    stored_array_bytes(name, data) -> int (bytes the file's HDF5 arrays unpack to)

The formulas are the ones spec.layer_plan uses (Dense: in·units + units; Conv2D:
k_h·k_w·in·filters + filters; BatchNormalization: 4·channels) extended with the
options Keras layers take (use_bias, strides, padding, dilation, center/scale) as
the Keras layer docs define them. Both Keras 3 and Keras 2 (tf.keras) configs are
read; Sequential models and Functional models that are a single chain of layers.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass
from typing import Any

from digitstudio.modeling.spec import MAX_PARAMS

MAX_CONFIG_BYTES = 2 * 1024 * 1024  # a 30-layer model's config is a few KB
MAX_CONFIG_LAYERS = 200
# Keras layers that hold no weights and keep their input's shape.
SAME_SHAPE = {
    "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
    "AlphaDropout", "ActivityRegularization", "ReLU", "LeakyReLU", "ELU", "Softmax", "Rescaling",
    "Identity",
}


class ConfigError(ValueError):
    """The file's model config cannot be read or counted; the message says why (one line)."""


@dataclass
class ConfigPlan:
    input_shape: tuple[int, ...]  # without the batch axis, e.g. (28, 28, 1)
    output_shape: tuple[int, ...]
    layers: list[dict[str, Any]]  # {"class_name", "name", "output_shape", "params"} per layer, in order
    params: int


# --- reading -----------------------------------------------------------------------------

def read_config(name: str, data: bytes) -> dict[str, Any]:
    """The model config (a dict with class_name and config) of .keras or .h5 bytes.
    ConfigError when the file holds none. Only JSON is parsed; nothing is built."""
    if name.lower().endswith(".keras"):
        text = _keras_zip_config(name, data)
    else:
        text = _h5_config(name, data)
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        raise ConfigError(f"{name}: the model description inside the file is not valid JSON.") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{name}: the model description inside the file is not a model.")
    return config


def _keras_zip_config(name: str, data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise ConfigError(f"{name}: its config.json is {info.file_size / 2**20:.1f} MB; "
                                  "a digit model's is a few KB.")
            return archive.read(info)
    except (KeyError, zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise ConfigError(f"{name} is not a Keras model file (it may be truncated or another kind of file).") \
            from None


def _h5_config(name: str, data: bytes) -> str:
    import h5py

    not_h5 = f"{name} is not a Keras .h5 model file (it may be truncated, or only weights)."
    try:
        with h5py.File(io.BytesIO(data), "r") as file:
            raw = file.attrs.get("model_config")
    except (OSError, ValueError, KeyError):
        raise ConfigError(not_h5) from None
    if raw is None:
        raise ConfigError(not_h5)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{name}: its model description is {len(text) / 2**20:.1f} MB; a digit model's is a few KB.")
    return text


def stored_array_bytes(name: str, data: bytes) -> int:
    """Bytes the HDF5 arrays (weights, optimizer state) of a .h5 file, or of the
    model.weights.h5 inside a .keras zip, take once read: from each dataset's shape and
    type, without reading any. An HDF5 dataset can be compressed, so a small file could
    otherwise unpack to gigabytes when Keras reads its weights. 0 when there are none."""
    import h5py

    def total(source) -> int:
        sizes: list[int] = []
        with h5py.File(source, "r") as file:
            file.visititems(lambda _, item: sizes.append(
                int(item.size) * item.dtype.itemsize) if isinstance(item, h5py.Dataset) else None)
        return sum(sizes)

    try:
        if not name.lower().endswith(".keras"):
            return total(io.BytesIO(data))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "model.weights.h5" not in archive.namelist():
                return 0
            with archive.open("model.weights.h5") as weights:  # seekable: h5py reads only the metadata
                return total(weights)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        raise ConfigError(f"{name}: its weights cannot be read (the file may be truncated).") from None


# --- counting ----------------------------------------------------------------------------

def plan_from_config(config: dict[str, Any], max_params: int = MAX_PARAMS) -> ConfigPlan:
    """Walk the layers of a Sequential or single-chain Functional config; ConfigError for a
    layer this module cannot count, a branching graph, or more than max_params parameters
    (checked after every layer, so a huge first layer stops the walk at once)."""
    kind, body = config.get("class_name"), config.get("config")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(body, dict):
        raise ConfigError(f"the file holds a {str(kind)[:40]!r}, not a Sequential or Functional Keras model.")
    layers = body.get("layers")
    if not isinstance(layers, list) or not layers:
        raise ConfigError("the model lists no layers.")
    if len(layers) > MAX_CONFIG_LAYERS:
        raise ConfigError(f"the model has {len(layers)} layers; at most {MAX_CONFIG_LAYERS} are accepted.")
    if not all(isinstance(layer, dict) for layer in layers):
        raise ConfigError("the model's layer list is malformed.")
    chain = layers if kind == "Sequential" else _functional_chain(layers)
    shape = _input_shape(kind, body, chain)
    start = shape
    plan, total = [], 0
    for layer in chain:
        class_name = str(layer.get("class_name"))
        if class_name == "InputLayer":
            continue
        layer_config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        shape, params = layer_output(class_name, layer_config, shape)
        total += params
        plan.append({"class_name": class_name, "name": str(layer_config.get("name", layer.get("name", ""))),
                     "output_shape": shape, "params": params})
        if total > max_params:
            raise ConfigError(f"the model has more than {max_params:,} parameters ({total:,} by layer "
                              f"{len(plan)}, {class_name}); the limit here is {max_params:,}, as for training.")
    return ConfigPlan(input_shape=start, output_shape=shape, layers=plan, params=total)


def _input_shape(kind: str, body: dict[str, Any], chain: list[dict[str, Any]]) -> tuple[int, ...]:
    first = chain[0].get("config") if isinstance(chain[0].get("config"), dict) else {}
    for candidate in (first.get("batch_shape"), first.get("batch_input_shape"), body.get("build_input_shape")):
        if isinstance(candidate, (list, tuple)) and len(candidate) >= 2:
            dims = candidate[1:]
            if all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
                return tuple(int(d) for d in dims)
            raise ConfigError(f"the model's input shape {tuple(dims)} is not fixed; a digit model reads 28×28.")
    raise ConfigError("the model declares no input shape, so its size cannot be checked before loading.")


def _functional_chain(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The layers of a Functional config in order, when each layer is called once on the
    one before it; ConfigError for branches, merges and shared layers."""
    chain, previous = [], None
    for layer in layers:
        if not isinstance(layer, dict):
            raise ConfigError("the model's layer list is malformed.")
        nodes = layer.get("inbound_nodes") or []
        sources = _inbound_names(nodes)
        if len(nodes) > 1 or len(sources) > 1 or (previous is not None and sources != [previous]):
            raise ConfigError("the model is not a single chain of layers (it branches, merges or shares "
                              "layers); upload a Sequential model.")
        if previous is None and sources:
            raise ConfigError("the model's first layer is not its input.")
        chain.append(layer)
        previous = str(layer.get("name") or (layer.get("config") or {}).get("name"))
    return chain


def _inbound_names(node: Any) -> list[str]:
    """Layer names a node reads from: Keras 3 writes {"keras_history": [name, i, j]},
    Keras 2 writes [name, i, j, kwargs]."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            history = item.get("keras_history")
            if isinstance(history, (list, tuple)) and history and isinstance(history[0], str):
                found.append(history[0])
                return
            for value in item.values():
                walk(value)
        elif isinstance(item, (list, tuple)):
            if len(item) in (3, 4) and isinstance(item[0], str) and isinstance(item[1], int):
                found.append(item[0])
                return
            for value in item:
                walk(value)

    walk(node)
    return list(dict.fromkeys(found))


def layer_output(class_name: str, config: dict[str, Any], shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """(output shape, parameters) of one layer on an input of `shape` (no batch axis).
    ConfigError for a layer type or option this module does not count."""
    where = f"layer {str(config.get('name', class_name))[:40]!r} ({class_name})"
    if class_name in SAME_SHAPE:
        return shape, 0
    if class_name in ("Lambda", "TFOpLambda"):
        raise ConfigError(f"{where}: the file contains Python code (a Lambda layer), and this app never runs "
                          "code from a file. Use a model built from standard layers.")
    if class_name == "Flatten":
        return (math.prod(shape),), 0
    if class_name == "Dense":
        units = _positive_int(config.get("units"), where, "units")
        bias = units if config.get("use_bias", True) else 0
        return (*shape[:-1], units), shape[-1] * units + bias
    if class_name in ("BatchNormalization", "LayerNormalization"):
        axis = config.get("axis", -1)
        if axis not in (-1, [-1], len(shape), [len(shape)]):
            raise ConfigError(f"{where}: normalising over axis {axis} is not counted; use the last axis.")
        channels = shape[-1]
        learned = channels * (int(bool(config.get("center", True))) + int(bool(config.get("scale", True))))
        moving = 2 * channels if class_name == "BatchNormalization" else 0
        return shape, learned + moving
    if class_name == "Normalization":  # mean and variance per feature (last axis) + a count
        return shape, 2 * shape[-1] + 1
    if class_name == "Reshape":
        return _reshape(config.get("target_shape"), shape, where), 0
    if class_name in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
        return _spatial(class_name, config, shape, where)
    if class_name in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        _need_image(shape, where)
        return ((1, 1, shape[-1]) if config.get("keepdims") else (shape[-1],)), 0
    raise ConfigError(f"{where} is a layer type this app cannot check before loading; "
                      "use Dense, Conv2D, pooling, BatchNormalization, Dropout, Flatten or Reshape layers.")


def _spatial(class_name: str, config: dict[str, Any], shape: tuple[int, ...], where: str):
    _need_image(shape, where)
    if config.get("data_format", "channels_last") not in ("channels_last", None):
        raise ConfigError(f"{where}: channels_first is not counted; use channels_last (the Keras default).")
    h, w, channels = shape
    if class_name == "Conv2D":
        kernel = _pair(config.get("kernel_size"), where, "kernel_size")
        strides = _pair(config.get("strides", 1), where, "strides")
        dilation = _pair(config.get("dilation_rate", 1), where, "dilation_rate")
        groups = _positive_int(config.get("groups", 1), where, "groups")
        filters = _positive_int(config.get("filters"), where, "filters")
        if channels % groups or filters % groups:
            raise ConfigError(f"{where}: groups={groups} does not divide the channels.")
        window = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
        bias = filters if config.get("use_bias", True) else 0
        params = kernel[0] * kernel[1] * (channels // groups) * filters + bias
        out_channels = filters
    else:
        window = _pair(config.get("pool_size", 2), where, "pool_size")
        strides = _pair(config.get("strides") or window, where, "strides")
        params, out_channels = 0, channels
    padding = str(config.get("padding", "valid")).lower()
    if padding == "same":
        size = (math.ceil(h / strides[0]), math.ceil(w / strides[1]))
    elif padding == "valid":
        size = ((h - window[0]) // strides[0] + 1, (w - window[1]) // strides[1] + 1)
    else:
        raise ConfigError(f"{where}: padding {padding!r} is not counted; use 'valid' or 'same'.")
    if min(size) < 1:
        raise ConfigError(f"{where}: a {window[0]}×{window[1]} window does not fit the {h}×{w} image here.")
    return (*size, out_channels), params


def _reshape(target: Any, shape: tuple[int, ...], where: str) -> tuple[int, ...]:
    if not isinstance(target, (list, tuple)) or not target or not all(isinstance(d, int) for d in target):
        raise ConfigError(f"{where}: target_shape {target!r} is not a list of whole numbers.")
    size, known = math.prod(shape), math.prod(d for d in target if d != -1)
    if target.count(-1) > 1 or known <= 0 or any(d < -1 or d == 0 for d in target):
        raise ConfigError(f"{where}: target_shape {tuple(target)} is not a valid shape.")
    out = tuple(size // known if d == -1 else d for d in target)
    if math.prod(out) != size:
        raise ConfigError(f"{where}: cannot reshape {shape} into {tuple(target)}.")
    return out


def _need_image(shape: tuple[int, ...], where: str) -> None:
    if len(shape) != 3:
        raise ConfigError(f"{where} needs an image (height, width, channels) here, not shape {shape}.")


def _positive_int(value: Any, where: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: {what} {value!r} is not a positive whole number.")
    return value


def _pair(value: Any, where: str, what: str) -> tuple[int, int]:
    if isinstance(value, int):
        value = [value, value]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ConfigError(f"{where}: {what} {value!r} is not one or two whole numbers.")
    return _positive_int(value[0], where, what), _positive_int(value[1], where, what)
