"""Real handwriting beyond MNIST: doodles, characters of 50 alphabets, European digits.

One `.npz` file (no pickles) holds three public datasets of real people's drawings:

==========================  =============================  ==========================================
key                         dtype, shape                   what
==========================  =============================  ==========================================
quickdraw_images            uint8 (n, 28, 28)              Quick, Draw! doodles (white on black,
                                                           scaled to fill the box, not MNIST-framed)
quickdraw_labels            int (n,)                       index into quickdraw_classes
quickdraw_classes           str (k,)                       e.g. airplane, banana, circle, ...
omniglot_points             int16 (p, 3)                   Omniglot pen strokes in stroke-3 format:
                                                           (dx, dy, pen lifted after this point)
omniglot_offsets            int64 (m + 1,)                 drawing i is points[offsets[i]:offsets[i+1]]
omniglot_split              int8 (m,)                      0 train, 1 valid, 2 test
semeion_images              uint8 (s, 16, 16)              Semeion digits (0/255), stretched to 16×16
semeion_labels              int (s,)                       the digit 0–9
==========================  =============================  ==========================================

Sources (`SOURCES`, each with its licence), from which `real_sources.py` rebuilds the
same arrays: Quick, Draw! (Google, CC BY 4.0), Omniglot (Lake et al., Science 2015,
MIT; stroke-3 conversion by D. Ha for sketch-rnn) and the Semeion Handwritten Digit set
(UCI, CC BY 4.0).

`load_real()` reads the file named by `--real-data` or `DIGIT_STUDIO_REAL_DATA`, else
Keras's cache (`~/.keras/datasets/real_handwriting.npz`), else rebuilds it there from
the public sources. Every failure is a `DataError` with one actionable line.

Which parts train and which are held out for the bench is fixed here, so every
training and every benchmark agree: whole Quick, Draw! classes (`QUICKDRAW_HELD_OUT`),
Omniglot's test split, and the last fifth of the Semeion file (`semeion_part`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitstudio.data.mnist import DataError
from digitstudio.data.real_sources import FILE_NAME, KEYS, OMNIGLOT_SPLITS, build, cache_path
from digitstudio.settings import SETTING, settings

ENV_VAR = SETTING["real_data"].env  # DIGIT_STUDIO_REAL_DATA

SOURCES = (
    "Quick, Draw! dataset, Google (CC BY 4.0): https://quickdraw.withgoogle.com/data",
    "Omniglot, B. M. Lake, R. Salakhutdinov, J. B. Tenenbaum, 'Human-level concept learning through "
    "probabilistic program induction', Science 2015 (MIT licence): https://github.com/brendenlake/omniglot; "
    "stroke-3 conversion by D. Ha: https://github.com/hardmaru/sketch-rnn-datasets",
    "Semeion Handwritten Digit, Semeion Research Center, UCI Machine Learning Repository (CC BY 4.0): "
    "https://archive.ics.uci.edu/dataset/178/semeion+handwritten+digit",
)

# `circle` is a drawn zero, not a non-digit: never trained or scored as one.
QUICKDRAW_DIGITS = ("circle",)
# Whole classes kept out of training, so the bench scores doodles of kinds never seen.
QUICKDRAW_HELD_OUT = ("bird", "crown", "house", "skull", "smiley_face")
# The Semeion file lists its digits in blocks by group of writers; the last fifth is held
# out for the bench, so (as far as the file's order tells) its writers are not trained on.
SEMEION_HELD_OUT = 0.2


@dataclass(frozen=True)
class RealHandwriting:
    quickdraw_images: np.ndarray  # uint8 (n, 28, 28)
    quickdraw_labels: np.ndarray  # int64 (n,)
    quickdraw_classes: tuple[str, ...]
    omniglot_points: np.ndarray  # int16 (p, 3) stroke-3
    omniglot_offsets: np.ndarray  # int64 (m + 1,)
    omniglot_split: np.ndarray  # int8 (m,)
    semeion_images: np.ndarray  # uint8 (s, 16, 16)
    semeion_labels: np.ndarray  # int64 (s,)
    source: str  # the resolved path of the .npz

    def omniglot_strokes(self, index: int) -> list[np.ndarray]:
        """Drawing `index` as absolute pen strokes: a list of float64 (k, 2) (x, y) arrays,
        y down, in the source's units (one stroke ends where the pen was lifted)."""
        points = self.omniglot_points[self.omniglot_offsets[index]:self.omniglot_offsets[index + 1]]
        xy = np.cumsum(points[:, :2].astype(np.float64), axis=0)
        ends = np.flatnonzero(points[:, 2] == 1) + 1
        return [stroke for stroke in np.split(xy, ends) if len(stroke)]

    def quickdraw_part(self, part: str) -> np.ndarray:
        """Indices of the doodles for "train" (every class but the held-out ones and the
        drawn zeros) or "held_out" (QUICKDRAW_HELD_OUT). ValueError for another part."""
        names = {"train": set(self.quickdraw_classes) - set(QUICKDRAW_HELD_OUT) - set(QUICKDRAW_DIGITS),
                 "held_out": set(QUICKDRAW_HELD_OUT)}
        if part not in names:
            raise ValueError(f"part must be 'train' or 'held_out', not {part!r}.")
        wanted = [k for k, name in enumerate(self.quickdraw_classes) if name in names[part]]
        return np.flatnonzero(np.isin(self.quickdraw_labels, wanted))

    def omniglot_part(self, part: str) -> np.ndarray:
        """Indices of the Omniglot characters of split "train", "valid" or "test"."""
        if part not in OMNIGLOT_SPLITS:
            raise ValueError(f"part must be one of {', '.join(OMNIGLOT_SPLITS)}, not {part!r}.")
        return np.flatnonzero(self.omniglot_split == OMNIGLOT_SPLITS[part])

    def semeion_part(self, part: str) -> np.ndarray:
        """Indices of the Semeion digits for "train" (the first four fifths of the file)
        or "held_out" (the last fifth)."""
        cut = int(round(len(self.semeion_labels) * (1 - SEMEION_HELD_OUT)))
        if part == "train":
            return np.arange(cut)
        if part == "held_out":
            return np.arange(cut, len(self.semeion_labels))
        raise ValueError(f"part must be 'train' or 'held_out', not {part!r}.")


def resolve_source(path: str | os.PathLike | None = None) -> Path | None:
    """The file to read: an explicit path, else $DIGIT_STUDIO_REAL_DATA, else None (Keras's
    cache, built from the public sources when missing)."""
    if path:
        return Path(path).expanduser()
    return settings().real_data


def load_real(path: str | os.PathLike | None = None) -> RealHandwriting:
    """The real-handwriting arrays from `path`, $DIGIT_STUDIO_REAL_DATA or Keras's cache;
    with none of these, rebuilt from the public sources into the cache (needs the
    internet; `real_sources.build`). DataError with one line when nothing works."""
    file = resolve_source(path)
    if file is not None:
        return load_npz(file)
    cached = cache_path()
    if cached.is_file():
        return load_npz(cached)
    try:
        build(cached)
    except DataError as exc:
        raise DataError(f"{exc} Offline? Set {ENV_VAR} (or --real-data) to a local {FILE_NAME}.") from None
    return load_npz(cached)


def load_npz(path: str | os.PathLike) -> RealHandwriting:
    """Read and check one real-handwriting .npz (see the module's table). DataError naming
    the file and what is wrong: missing, not an .npz, truncated, a key missing, a wrong
    dtype or shape, offsets that do not fit the points, labels out of range."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"Real-handwriting file not found: {file} (set {ENV_VAR} or --real-data to an existing "
                        f"{FILE_NAME}).")
    try:
        with np.load(file, allow_pickle=False) as npz:
            missing = [key for key in KEYS if key not in npz.files]
            if missing:
                raise DataError(f"{file} is missing {', '.join(missing)}; a {FILE_NAME} needs keys {', '.join(KEYS)}.")
            arrays = {key: npz[key] for key in KEYS}
    except DataError:
        raise
    except Exception as exc:  # zip, truncation and format errors all mean the same thing here
        raise DataError(f"{file} is not a readable .npz file ({type(exc).__name__}: {str(exc)[:120]}); "
                        "download or rebuild it (python -m digitstudio.data.real_sources).") from None
    return _checked(arrays, str(file.resolve()))


def _checked(a: dict[str, np.ndarray], source: str) -> RealHandwriting:
    def fail(what: str) -> DataError:
        return DataError(f"{source}: {what}.")

    images, labels, classes = a["quickdraw_images"], a["quickdraw_labels"], a["quickdraw_classes"]
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise fail(f"quickdraw_images must be uint8 (n, 28, 28), not {images.dtype} {images.shape}")
    if classes.ndim != 1 or classes.dtype.kind != "U" or len(classes) == 0:
        raise fail(f"quickdraw_classes must be a list of names, not {classes.dtype} {classes.shape}")
    if not _labels_ok(labels, len(images), len(classes)):
        raise fail(f"quickdraw_labels must be {len(images)} integers in 0–{len(classes) - 1}")
    points, offsets, split = a["omniglot_points"], a["omniglot_offsets"], a["omniglot_split"]
    if points.ndim != 2 or points.shape[1] != 3 or points.dtype.kind != "i":
        raise fail(f"omniglot_points must be integers (p, 3), not {points.dtype} {points.shape}")
    if (offsets.ndim != 1 or offsets.dtype.kind != "i" or len(offsets) < 1 or offsets[0] != 0
            or offsets[-1] != len(points) or np.any(np.diff(offsets) < 1)):
        raise fail("omniglot_offsets must rise from 0 to the number of points, one step per drawing")
    if split.ndim != 1 or len(split) != len(offsets) - 1 or not np.isin(split, list(OMNIGLOT_SPLITS.values())).all():
        raise fail(f"omniglot_split must be {len(offsets) - 1} values in 0 (train), 1 (valid), 2 (test)")
    digits, digit_labels = a["semeion_images"], a["semeion_labels"]
    if digits.dtype != np.uint8 or digits.ndim != 3 or digits.shape[1:] != (16, 16):
        raise fail(f"semeion_images must be uint8 (n, 16, 16), not {digits.dtype} {digits.shape}")
    if not _labels_ok(digit_labels, len(digits), 10):
        raise fail(f"semeion_labels must be {len(digits)} digits 0–9")
    return RealHandwriting(images, labels.astype(np.int64), tuple(str(c) for c in classes), points,
                           offsets.astype(np.int64), split.astype(np.int8), digits,
                           digit_labels.astype(np.int64), source)


def _labels_ok(labels: np.ndarray, n: int, classes: int) -> bool:
    return (labels.ndim == 1 and len(labels) == n and labels.dtype.kind in "iu"
            and (n == 0 or (labels.min() >= 0 and labels.max() < classes)))
