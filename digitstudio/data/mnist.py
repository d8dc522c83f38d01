"""MNIST loading: Keras's download by default, or a local .npz chosen explicitly.

Offline classrooms, tests and CI point `MNIST_NPZ` (or `train.py --data`) at a
file with Keras's keys. Every failure is a `DataError` with one actionable line.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from digitstudio.pixels import to_unit
from digitstudio.settings import SETTING, settings

ENV_VAR = SETTING["mnist_npz"].env  # MNIST_NPZ
KEYS = ("x_train", "y_train", "x_test", "y_test")
# Where keras.datasets.mnist.load_data() downloads from, and the SHA-256 it checks (Keras 3.15 source).
KERAS_MNIST_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


class DataError(RuntimeError):
    """MNIST could not be loaded; the message says how to fix it."""


@dataclass
class MnistData:
    x_train: np.ndarray  # uint8 (n, 28, 28)
    y_train: np.ndarray  # uint8 (n,)
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "keras-download" or the resolved path of the .npz


def resolve_source(path: str | os.PathLike | None = None) -> str | None:
    """The local file to use: an explicit path, else the MNIST_NPZ setting, else None (download)."""
    if path:
        return str(path)
    chosen = settings().mnist_npz
    return str(chosen) if chosen else None


def load_mnist(path: str | os.PathLike | None = None) -> MnistData:
    source = resolve_source(path)
    if source is None:
        return _download()
    return load_npz(source)


def load_npz(path: str | os.PathLike) -> MnistData:
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"MNIST file not found: {file} (set {ENV_VAR} or --data to an existing .npz).")
    try:
        with np.load(file, allow_pickle=False) as npz:
            missing = [key for key in KEYS if key not in npz.files]
            if missing:
                raise DataError(
                    f"{file} is missing {', '.join(missing)}; an MNIST .npz needs keys {', '.join(KEYS)}."
                )
            arrays = {key: npz[key] for key in KEYS}
    except DataError:
        raise
    except Exception as exc:  # zip/pickle/format errors all mean the same thing here
        raise DataError(f"{file} is not a readable .npz file ({type(exc).__name__}: {exc}).") from None
    data = MnistData(**arrays, source=str(file.resolve()))
    check(data)
    return data


def check(data: MnistData) -> None:
    """Shapes 28×28, uint8 pixels, integer labels 0–9, matching lengths, no empty split."""
    for split in ("train", "test"):
        x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
        check_digits(x, y, data.source, f"x_{split}", f"y_{split}")
        if len(y) == 0:
            raise DataError(f"{data.source}: the {split} split is empty.")


def check_digits(x: np.ndarray, y: np.ndarray, source: str, x_name: str = "x", y_name: str = "y") -> None:
    """One set of MNIST-format digits: x uint8 (n, 28, 28), y n integer labels 0–9
    (n may be 0). DataError naming the source and the array otherwise."""
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DataError(f"{source}: {x_name} must have shape (n, 28, 28), not {x.shape}.")
    if x.dtype != np.uint8:
        raise DataError(f"{source}: {x_name} must be uint8 pixels 0–255, not {x.dtype}.")
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{source}: {y_name} must be {len(x)} labels, not shape {y.shape}.")
    if len(y) and not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{source}: {y_name} must hold integer labels, not {y.dtype}.")
    if len(y) and (y.min() < 0 or y.max() > 9):
        raise DataError(f"{source}: {y_name} labels must be 0–9, found {y.min()}–{y.max()}.")


def _download() -> MnistData:
    """keras.datasets.mnist.load_data(): downloads once to ~/.keras/datasets/mnist.npz
    (checked against its SHA-256), then reads the cached copy."""
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:
        raise DataError(f"Could not download MNIST: {download_problem(exc)} Offline? Point {ENV_VAR} "
                        "(or train.py --data) at a local mnist.npz with keys x_train, y_train, x_test, y_test."
                        ) from None
    data = MnistData(x_train, y_train, x_test, y_test, source="keras-download")
    check(data)
    return data


def keras_mnist_file() -> Path:
    """The path of Keras's cached MNIST download (downloading it first if needed), as
    keras.datasets.mnist.load_data() does; DataError with the cause when it fails."""
    try:
        import keras

        return Path(keras.utils.get_file(
            "mnist.npz", origin=f"{KERAS_MNIST_ORIGIN}mnist.npz", file_hash=KERAS_MNIST_SHA256))
    except Exception as exc:
        raise DataError(f"Could not download MNIST: {download_problem(exc)}") from None


def download_problem(exc: BaseException) -> str:
    """What went wrong with the Keras download, in words, with what to do first."""
    text = " ".join(str(exc).split())[:200]
    kind = type(exc).__name__
    if "hash" in text.lower() or "corrupt" in text.lower() or "incomplete" in text.lower():
        return (f"the downloaded file failed its checksum ({kind}: {text}); delete "
                "~/.keras/datasets/mnist.npz and try again.")
    if isinstance(exc, (zipfile.BadZipFile, EOFError)) or "zip" in text.lower():
        return (f"the cached ~/.keras/datasets/mnist.npz is damaged ({kind}: {text}); delete it "
                "and try again.")
    if isinstance(exc, (OSError, ConnectionError, TimeoutError)) or "URL" in text or "resolution" in text:
        return f"no network connection to the download server ({kind}: {text})."
    return f"{kind}: {text}."


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) → float32 (n, 28, 28, 1) in [0, 1]: the one normalisation used
    for training, evaluation and drawn digits alike."""
    return to_unit(images).reshape(-1, 28, 28, 1)


class MnistDigit(NamedTuple):
    image: np.ndarray  # uint8 (28, 28), white ink on black as in MNIST
    label: int  # the true digit
    index: int  # its position in the test split


def random_test_digit(data: MnistData, rng: np.random.Generator | int | None = None) -> MnistDigit:
    """One MNIST test digit picked at random ("Try a test digit"): (image, label, index).

    `rng` is a numpy Generator or a seed (the same seed gives the same digit); None draws
    fresh entropy. The image is already MNIST's 28×28 format: feed `to_model_input(image)`
    (or image / 255) to the model directly, not through the drawing preprocessing."""
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    index = int(generator.integers(len(data.x_test)))
    return MnistDigit(np.asarray(data.x_test[index], np.uint8), int(data.y_test[index]), index)
