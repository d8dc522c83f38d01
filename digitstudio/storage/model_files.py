"""Loading model files safely: the shipped model, runs, and untrusted uploads.

An upload (.keras, or legacy .h5 as Keras 2 tutorials save) passes, in order: name and
size; zip layout (.keras); its config read as JSON and counted layer by layer
(model_config.py: at most spec.MAX_PARAMS parameters, only layer types that can be
counted, a 28×28 input and 10 outputs), all before Keras builds anything; then Keras
loads it with safe_mode (no Python code from the file runs) and the shapes are checked
again on the built model.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from digitstudio.drawing.predict import Predictor, not_sure_threshold
from digitstudio.modeling.spec import MAX_PARAMS
from digitstudio.storage.model_config import ConfigError, plan_from_config, read_config, stored_array_bytes
from digitstudio.storage.runs import RECORD_FILE

if TYPE_CHECKING:  # Keras is imported when a model is loaded, not with this module (cold start)
    import keras


class ModelFileError(RuntimeError):
    """A model file that cannot be used; the message says why."""


MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the Runs uploader's max_upload_size (the server allows photos' 30)
# A 20 MB zip can unpack to gigabytes; a model this app can use is far smaller.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# Arrays a file may hold: float32 weights of MAX_PARAMS parameters (20 MB) with room for
# optimizer state saved beside them (Adam keeps two more copies) and float64.
MAX_ARRAY_BYTES = 16 * MAX_PARAMS
UPLOAD_SUFFIXES = (".keras", ".h5")
INPUT_SHAPES = ((28, 28, 1), (28, 28), (784,))


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a .keras file (the app's own: the shipped model and runs) with safe_mode (no
    code from the file runs) and check that it reads 28×28 digits into 10 classes."""
    file = Path(path)
    if file.suffix != ".keras":
        raise ModelFileError(f"{file.name}: only .keras model files are accepted.")
    if not file.is_file():
        raise ModelFileError(f"Model file not found: {file}.")
    return _load_checked(file, file.name)


def threshold_for_model(model_path: str | os.PathLike) -> float | None:
    """The "not sure" threshold from the JSON beside a .keras file (NAME.json, as
    train.py writes it, or run.json in a run folder); None when there is no readable one."""
    model_path = Path(model_path)
    for candidate in (model_path.with_suffix(".json"), model_path.parent / RECORD_FILE):
        try:
            return not_sure_threshold(json.loads(candidate.read_text()))
        except (OSError, ValueError):
            continue
    return None


def load_predictor(path: str | os.PathLike, warm_up: bool = True, input_scale: float = 1.0) -> Predictor:
    """A .keras file loaded safely (`load_model`) as a warmed-up `Predictor`, with the
    "not sure" threshold recorded in the JSON beside it (`threshold_for_model`).
    ModelFileError when the file is missing or not a usable model."""
    return Predictor(load_model(path), warm_up=warm_up, input_scale=input_scale, threshold=threshold_for_model(path))


def load_uploaded_model(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> keras.Model:
    """A model file someone uploaded (untrusted, .keras or legacy .h5): checked by
    check_upload() before Keras sees it, then loaded like load_model (safe_mode, shape
    check) from a temporary copy. ModelFileError says in one line why a file is refused."""
    shown = check_upload(name, data, max_bytes)
    suffix = Path(shown).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="digitstudio-upload-") as folder:
        file = Path(folder) / f"upload{suffix}"
        file.write_bytes(data)
        return _load_checked(file, shown)


def check_upload(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Every check that needs no Keras: name, size, zip layout, and the config's shapes and
    parameter count (≤ spec.MAX_PARAMS). Returns the name as shown in messages; raises
    ModelFileError. Costs milliseconds and no memory beyond the bytes themselves."""
    shown = Path(str(name or "upload")).name[:80]  # only for messages; never used as a path
    if not shown.lower().endswith(UPLOAD_SUFFIXES):
        raise ModelFileError(f"{shown}: only .keras (Keras 3) or .h5 (legacy Keras) model files are accepted.")
    if len(data) > max_bytes:
        raise ModelFileError(f"{shown} is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB.")
    if shown.lower().endswith(".keras"):
        _check_keras_zip(shown, data)
    try:
        plan = plan_from_config(read_config(shown, data))
        arrays = stored_array_bytes(shown, data)
    except ConfigError as exc:
        message = str(exc)
        raise ModelFileError(message if message.startswith(shown) else f"{shown}: {message}") from None
    _check_shapes(plan.input_shape, plan.output_shape, shown)
    if arrays > MAX_ARRAY_BYTES:
        raise ModelFileError(f"{shown} holds {arrays / 2**20:,.0f} MB of arrays once unpacked; a model within "
                             f"{MAX_PARAMS:,} parameters needs at most {MAX_ARRAY_BYTES // 2**20} MB.")
    return shown


def _check_keras_zip(name: str, data: bytes) -> None:
    """A .keras file is a zip holding config.json; anything else (a renamed file, a
    truncated download, a zip bomb) is refused here, before Keras unpacks it."""
    not_keras = f"{name} is not a Keras model file (it may be truncated or another kind of file)."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise ModelFileError(not_keras) from None
    if "config.json" not in {entry.filename for entry in entries}:
        raise ModelFileError(not_keras)
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        raise ModelFileError(f"{name} unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; "
                             "that is far too big for a digit model.")


def _load_checked(file: Path, name: str) -> keras.Model:
    try:
        import keras

        model = keras.saving.load_model(file, compile=False, safe_mode=True)
    except Exception as exc:
        text = str(exc).strip()
        if "safe_mode" in text or "Lambda" in text:
            raise ModelFileError(f"{name} contains Python code (for example a Lambda layer), and this app "
                                 "never runs code from a file. Use a model built from standard layers.") from None
        first_line = text.splitlines()[0] if text else type(exc).__name__
        raise ModelFileError(f"{name} could not be loaded safely: {first_line[:300]}") from None
    check_model_shapes(model, name)
    return model


def check_model_shapes(model: keras.Model, name: str = "model") -> None:
    try:
        in_shape = tuple(model.input_shape)
        out_shape = tuple(model.output_shape)
    except Exception:
        raise ModelFileError(f"{name}: the model has no single input and output.") from None
    _check_shapes(in_shape[1:], out_shape[1:], name)


def _check_shapes(in_shape: tuple, out_shape: tuple, name: str) -> None:
    if tuple(in_shape) not in INPUT_SHAPES:
        raise ModelFileError(f"{name}: expects input {tuple(in_shape)}, not 28×28 digits.")
    if tuple(out_shape) != (10,):
        raise ModelFileError(f"{name}: outputs {tuple(out_shape)}, not 10 digit classes.")
