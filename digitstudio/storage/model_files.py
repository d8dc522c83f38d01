"""Loading model files safely: the shipped model, runs, and untrusted uploads."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import keras


class ModelFileError(RuntimeError):
    """A model file that cannot be used; the message says why."""


MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # matches server.maxUploadSize in .streamlit/config.toml
# A 20 MB zip can unpack to gigabytes; a model this app can use is far smaller.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a .keras file with safe_mode (no code from the file runs) and check that it
    reads 28×28 digits into 10 classes."""
    file = Path(path)
    if file.suffix != ".keras":
        raise ModelFileError(f"{file.name}: only .keras model files are accepted.")
    if not file.is_file():
        raise ModelFileError(f"Model file not found: {file}.")
    return _load_checked(file, file.name)


def load_uploaded_model(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> keras.Model:
    """A model file someone uploaded (untrusted): checked for name, size and zip layout
    before Keras sees it, then loaded like load_model (safe_mode, shape check) from a
    temporary copy. ModelFileError says in plain words why a file is refused."""
    shown = Path(str(name or "upload")).name[:80]  # only for messages; never used as a path
    if not shown.lower().endswith(".keras"):
        raise ModelFileError(f"{shown}: only .keras model files are accepted (Keras 3 format).")
    if len(data) > max_bytes:
        raise ModelFileError(f"{shown} is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB.")
    _check_keras_zip(shown, data)
    with tempfile.TemporaryDirectory(prefix="digitstudio-upload-") as folder:
        file = Path(folder) / "upload.keras"
        file.write_bytes(data)
        return _load_checked(file, shown)


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
    if in_shape[1:] not in ((28, 28, 1), (28, 28), (784,)):
        raise ModelFileError(f"{name}: expects input {in_shape[1:]}, not 28×28 digits.")
    if out_shape[1:] != (10,):
        raise ModelFileError(f"{name}: outputs {out_shape[1:]}, not 10 digit classes.")
