"""Extra labelled digits in MNIST's format: people's own drawings, exported and reused.

An extra-digits .npz holds two arrays, the same layout as one MNIST split:

    x  uint8 (n, 28, 28)  the digits as the model sees them (white ink on black, 0–255)
    y  uint8 (n,)         their labels 0–9

`train.py --extra-data FILE.npz` adds them to MNIST's training split
(`with_extra`). The app's export (`export_zip`) is a .zip holding `digits.npz`
plus the original canvas images, so an engineer can use them anywhere.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from digitstudio.data.mnist import DataError, MnistData, check_digits

NPZ_NAME = "digits.npz"
KEYS = ("x", "y")
README = """Digit Studio: labelled digits
digits.npz   x uint8 (n, 28, 28): the digits as the model saw them (white on black, 0-255)
             y uint8 (n,): the labels 0-9
             ids int64 (n,): the drawing ids (file names in canvas/)
canvas/      the original canvas drawings, <id>-label<digit>.png
Load: d = numpy.load("digits.npz"); x, y = d["x"], d["y"]
Train on MNIST plus these: python train.py --extra-data digits.npz
"""


def check_arrays(x: Any, y: Any, name: str = "extra digits") -> tuple[np.ndarray, np.ndarray]:
    """Validate and return (x uint8 (n, 28, 28), y uint8 (n,)); DataError otherwise.
    n may be 0 only for an export, never for training (see load_extra)."""
    x, y = np.asarray(x), np.asarray(y)
    check_digits(x, y, name)
    return x, y.astype(np.uint8)


def npz_bytes(x: np.ndarray, y: np.ndarray, ids: Iterable[int] | None = None) -> bytes:
    """x, y (and optional drawing ids) → the bytes of an extra-digits .npz."""
    x, y = check_arrays(x, y)
    arrays = {"x": x, "y": y}
    if ids is not None:
        arrays["ids"] = np.asarray(list(ids), np.int64)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def load_extra(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an extra-digits .npz (or the app's export .zip, which holds digits.npz):
    (x uint8 (n, 28, 28), y uint8 (n,)), n ≥ 1. DataError with one line otherwise."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"Extra digits file not found: {file}.")
    try:
        source: Any = file
        if zipfile.is_zipfile(file):
            with zipfile.ZipFile(file) as archive:
                if NPZ_NAME in archive.namelist():  # the app's export
                    source = io.BytesIO(archive.read(NPZ_NAME))
        with np.load(source, allow_pickle=False) as npz:
            missing = [key for key in KEYS if key not in npz.files]
            if missing:
                raise DataError(f"{file} is missing {', '.join(missing)}; an extra-digits .npz needs keys x and y "
                                "(x uint8 (n, 28, 28), y labels 0–9).")
            x, y = npz["x"], npz["y"]
    except DataError:
        raise
    except Exception as exc:  # zip/pickle/format errors all mean the same thing here
        raise DataError(f"{file} is not a readable .npz file ({type(exc).__name__}: {exc}).") from None
    x, y = check_arrays(x, y, str(file))
    if len(x) == 0:
        raise DataError(f"{file} holds no digits.")
    return x, y


def with_extra(data: MnistData, x: np.ndarray, y: np.ndarray, source: str = "extra") -> MnistData:
    """MNIST with the extra digits mixed into its training split at seeded positions
    (not appended: the validation split is the last fraction, and would otherwise take
    only extra digits). The test split is unchanged, so test accuracy stays comparable
    with other runs. A spec's train_size subsets the mixed split uniformly."""
    x, y = check_arrays(x, y)
    order = np.random.default_rng(0).permutation(len(data.x_train) + len(x))
    x_train = np.concatenate([data.x_train, x])[order]
    y_train = np.concatenate([data.y_train.astype(np.uint8), y])[order]
    return replace(data, x_train=x_train, y_train=y_train, source=f"{data.source} + {source} ({len(x)} digits)")


def export_zip(drawings: list) -> bytes:
    """Drawings (storage.drawings.Drawing with images, oldest first) → .zip bytes holding
    digits.npz, canvas/<id>-label<d>.png and README.txt. ValueError when there are none:
    an empty download would only confuse."""
    if not drawings:
        raise ValueError("There are no labelled digits to export yet: label some drawings first.")
    x = np.stack([drawing.image for drawing in drawings]).astype(np.uint8)
    y = np.array([drawing.label for drawing in drawings], np.uint8)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(NPZ_NAME, npz_bytes(x, y, [drawing.id for drawing in drawings]))
        archive.writestr("README.txt", README)
        for drawing in drawings:
            if drawing.canvas_png:
                archive.writestr(f"canvas/{drawing.id}-label{drawing.label}.png", drawing.canvas_png)
    return buffer.getvalue()
