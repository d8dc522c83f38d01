"""Extra labelled digits in MNIST's format: people's own drawings, exported and reused.

An extra-digits .npz holds two arrays, the same layout as one MNIST split:

    x  uint8 (n, 28, 28)  the digits as the model sees them (white ink on black, 0–255)
    y  uint8 (n,)         their labels 0–9

The app's export may add `not_digits` uint8 (m, 28, 28): drawings labelled "not a
digit" (`NOT_A_DIGIT`), which a fine-tune teaches toward the uniform distribution
(outlier exposure, as `data/negatives.py`). `train.py --extra-data` reads x and y only.

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
# The label of a drawing its author says is not a digit (a letter, a sign, a doodle): stored
# in the drawings database beside the digits 0–9, trained toward the uniform distribution.
NOT_A_DIGIT = 10
README = """Digit Studio: labelled digits
digits.npz   x uint8 (n, 28, 28): the digits as the model saw them (white on black, 0-255)
             y uint8 (n,): the labels 0-9
             ids int64 (n,): the drawing ids (file names in canvas/)
             not_digits uint8 (m, 28, 28), not_digit_ids int64 (m,): drawings labelled
             "not a digit" (only when there are some)
canvas/      the original canvas drawings, <id>-label<digit>.png or <id>-not-a-digit.png
Load: d = numpy.load("digits.npz"); x, y = d["x"], d["y"]
Train on MNIST plus these: python train.py --extra-data digits.npz (reads x and y only)
"""


def check_arrays(x: Any, y: Any, name: str = "extra digits") -> tuple[np.ndarray, np.ndarray]:
    """Validate and return (x uint8 (n, 28, 28), y uint8 (n,)); DataError otherwise.
    n may be 0 only for an export, never for training (see load_extra)."""
    x, y = np.asarray(x), np.asarray(y)
    check_digits(x, y, name)
    return x, y.astype(np.uint8)


def npz_bytes(x: np.ndarray, y: np.ndarray, ids: Iterable[int] | None = None,
              not_digits: np.ndarray | None = None, not_digit_ids: Iterable[int] | None = None) -> bytes:
    """x, y (and optional drawing ids), and optional not-a-digit drawings uint8
    (m, 28, 28) with their ids → the bytes of an extra-digits .npz."""
    x, y = check_arrays(x, y)
    arrays = {"x": x, "y": y}
    if ids is not None:
        arrays["ids"] = np.asarray(list(ids), np.int64)
    if not_digits is not None and len(not_digits):
        arrays["not_digits"], _ = check_arrays(not_digits, np.zeros(len(not_digits), np.uint8), "not-a-digit drawings")
        if not_digit_ids is not None:
            arrays["not_digit_ids"] = np.asarray(list(not_digit_ids), np.int64)
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
    digits = [drawing for drawing in drawings if drawing.label != NOT_A_DIGIT]
    others = [drawing for drawing in drawings if drawing.label == NOT_A_DIGIT]
    x = np.array([drawing.image for drawing in digits], np.uint8).reshape(-1, 28, 28)
    y = np.array([drawing.label for drawing in digits], np.uint8)
    not_digits = np.array([drawing.image for drawing in others], np.uint8).reshape(-1, 28, 28)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(NPZ_NAME, npz_bytes(x, y, [drawing.id for drawing in digits], not_digits,
                                             [drawing.id for drawing in others]))
        archive.writestr("README.txt", README)
        for drawing in drawings:
            if drawing.canvas_png:
                name = "not-a-digit" if drawing.label == NOT_A_DIGIT else f"label{drawing.label}"
                archive.writestr(f"canvas/{drawing.id}-{name}.png", drawing.canvas_png)
    return buffer.getvalue()
