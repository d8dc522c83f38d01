"""Rebuild `real_handwriting.npz` (see `data/real.py`) from its public sources; needs the internet.

    python -m digitstudio.data.real_sources [OUT]     # default: cache_path()

Every part is read byte for byte from a public GitHub copy, over raw.githubusercontent.com,
pinned to the commit it was read at (`Source.urls`; the default branch is tried when the
pinned address answers HTTP 404):

==================  =====================================================  ==========================================
part                file(s)                                                format (and what says so)
==================  =====================================================  ==========================================
Quick, Draw!        elicorrales/doodle-classifier-neural-network-demo       raw bytes, 784 per drawing, no header:
(10 classes,        data/my.<class>.test.data.4000.images.starting.at.0    its training.or.test.shapes.data.funcs.js
first 4,000 each)   .bin                                                   counts `bytes.length / 784` images
Quick, Draw!        HR-Shekhar/Doodle_Predictor <class>.npy                 NumPy uint8 bitmaps, 5,000 per class: its
(7 classes,                                                                doodle_model.py loads them with `np.load`
5,000 each)                                                                (`samples_per_class = 5000`)
Omniglot            hardmaru/sketch-rnn-datasets omniglot/omniglot.npz     `train`/`valid`/`test` object arrays of
                                                                           int16 (k, 3) stroke-3 drawings, pickled
                                                                           by Python 2 (its README.md; sketch-rnn
                                                                           loads it with encoding='latin1')
Semeion             iamb2/Semion-Digits semeion.data                       one record a line: 256 pixels 0/1, ten
                                                                           one-hot label columns, (in this copy) the
                                                                           one-hot again as one 10-digit code
==================  =====================================================  ==========================================

Why these copies and not Google's own numpy_bitmap files
(https://storage.googleapis.com/quickdraw_dataset/full/numpy_bitmap/<class>.npy): those are
the upstream, but 70–400 MB a class, and HR-Shekhar's 5,000 are a sample whose choice its
repository does not record, so only its copy gives the same drawings. The GitHub copies are
what the file's README ("Real handwriting beyond MNIST") names as its sources, ~80 MB in all.

The rebuilt arrays are checked against the published file's (`EXPECTED_DIGESTS`: SHA-256 of
each array's bytes, each Quick, Draw! class apart) and nothing is written when they differ.
The arrays are identical; the .npz's own SHA-256 is not, as the zip records when it was written.

Every failure is a `DataError` with one actionable line. Downloads go to
`<Keras's dataset cache>/real_handwriting_sources/` (kept until a build succeeds, so an
interrupted build resumes); the server must answer within `TIMEOUT_S` and each file arrive
within `DEADLINE_S`.
"""

from __future__ import annotations

import argparse
import codecs
import hashlib
import io
import os
import pickle
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from digitstudio.data.mnist import DataError
from digitstudio.settings import SETTING

ENV_VAR = SETTING["real_data"].env  # DIGIT_STUDIO_REAL_DATA
FILE_NAME = "real_handwriting.npz"
# The file's keys, in order (data/real.py's table says what each holds).
KEYS = ("quickdraw_images", "quickdraw_labels", "quickdraw_classes", "omniglot_points", "omniglot_offsets",
        "omniglot_split", "semeion_images", "semeion_labels")
OMNIGLOT_SPLITS = {"train": 0, "valid": 1, "test": 2}  # omniglot_split's codes


def cache_path() -> Path:
    """Where a rebuilt file is kept: Keras's dataset cache (KERAS_HOME respected)."""
    base = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    return base / "datasets" / FILE_NAME

TIMEOUT_S = 60.0  # s: longest wait for the server to answer or send the next bytes
DEADLINE_S = 600.0  # s: longest a single file may take (the largest is ~20 MB)
BITMAP_SIDE = 28  # px: Quick, Draw!'s numpy_bitmap drawings are 28×28, one byte a pixel
SEMEION_SIDE = 16  # px: Semeion's digits are 16×16 (UCI's semeion.names)
SOURCES_DIR = "real_handwriting_sources"


@dataclass(frozen=True)
class Source:
    """One file of a public GitHub repository, as read at `commit`."""

    what: str  # in words, for messages: "Quick, Draw! cat"
    repo: str  # owner/name
    commit: str  # 40 hex digits
    path: str  # inside the repository

    @property
    def urls(self) -> tuple[str, str]:
        """The raw file at the pinned commit, then on the default branch (HEAD)."""
        path = urllib.parse.quote(self.path)
        return (f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{path}",
                f"https://raw.githubusercontent.com/{self.repo}/HEAD/{path}")

    @property
    def cache_name(self) -> str:
        return f"{self.repo}/{self.path}".replace("/", "__")


@dataclass(frozen=True)
class QuickDrawPart:
    name: str  # the class's name in quickdraw_classes
    count: int  # the first `count` drawings of the file are used
    source: Source


ELICORRALES = ("elicorrales/doodle-classifier-neural-network-demo", "1e3f0e4c42d139e4d404fad1ca604ba5570c677b")
SHEKHAR = ("HR-Shekhar/Doodle_Predictor", "8c1c2a315c83f933a1b645ad15997440f73413b7")

# quickdraw_classes, in this order: README "Real handwriting beyond MNIST" (4,000 / 5,000 each).
QUICKDRAW_PARTS: tuple[QuickDrawPart, ...] = (
    *(QuickDrawPart(name, 4000, Source(f"Quick, Draw! {name}", *ELICORRALES,
                                       f"data/my.{name}.test.data.4000.images.starting.at.0.bin"))
      for name in ("airplane", "banana", "bird", "book", "cat", "clock", "dog", "flower", "house", "rainbow")),
    *(QuickDrawPart(name, 5000, Source(f"Quick, Draw! {name}" + (f" ({file}.npy)" if file != name else ""),
                                       *SHEKHAR, f"{file}.npy"))
      for name, file in (("circle", "circle"), ("square", "square"), ("star", "star"),
                         ("smiley_face", "smiley_face"), ("skull", "skull"), ("crown", "crown"),
                         ("airplane_2", "airplane"))),
)
QUICKDRAW_CLASSES = tuple(part.name for part in QUICKDRAW_PARTS)
OMNIGLOT_SOURCE = Source("Omniglot strokes (sketch-rnn)", "hardmaru/sketch-rnn-datasets",
                         "0ac2a46b42a7a72c74003ae344767a4a7a8ff286", "omniglot/omniglot.npz")
SEMEION_SOURCE = Source("Semeion digits", "iamb2/Semion-Digits", "23352dc16ae265f0e5ba613df8cdecc106f2c369",
                        "semeion.data")

# SHA-256 of the arrays' bytes in /work/shared/data/real_handwriting.npz (its README's file,
# sha256 e1fceceb…8d77): per Quick, Draw! class ("quickdraw/<class>", uint8 C order), else per key.
EXPECTED_DIGESTS = {
    "quickdraw/airplane": "76261fcd480d348fafa52aee522c039d24bb7c2d7e544c0a92b8bda6db39a635",
    "quickdraw/banana": "466b10705e060508313b33c267a7b0aab596020b691e7aca4201421b76e10976",
    "quickdraw/bird": "3d5f7d526a1f7354f0534cc31f1b80d62ab177470d2320caeff4d69b0b4addb1",
    "quickdraw/book": "d9ce344bb0fc40b63fdd5ca04b635dfb412bf57767420913ba9963a6e3adf4c6",
    "quickdraw/cat": "f22a50e832b4ef88702cf70c4925f77b84f70f57e4ea9627a01d71806c8343a3",
    "quickdraw/clock": "883941edda1aa06e6dba2bfacb35d0268aab888ac8d7b495a0b291aea1b4f834",
    "quickdraw/dog": "854da0bf89afb50b7be5ab78dde5708678fadd91b12eee322ff793a574529328",
    "quickdraw/flower": "600bb9996cba67208c33ff311c96f4742a361b1fe3cc0902cbba9e498c5ec9f0",
    "quickdraw/house": "1e7c312fb6666736917bd9e85d565900f9156cfe92e97634256662d7850ff511",
    "quickdraw/rainbow": "688e2b957fb9c12e43fde0f3fb6e9b81aafe6a2517893f6a9c2e73d9bfbabfd7",
    "quickdraw/circle": "489da1217788b5da253e45d01b20a9c28a77826f790867288f8f7b42aa6a7d6f",
    "quickdraw/square": "c61389d1a946ffc4d5b5415644adb94f857d451a5d709d207bbe99d32c9df0de",
    "quickdraw/star": "a22b5af7cf436d7caa36cfb891cbc310482e1e34ad435095b40989484a081882",
    "quickdraw/smiley_face": "23bfcd92d4bdaa1552da0cae1d85e00b940246975f58caf722a3b32dfe706c69",
    "quickdraw/skull": "651d68c566cf9a92b8672d39243a0977bb99bd42c903bcda656ca252809132d4",
    "quickdraw/crown": "56812cb4bd8f5bd0c2bfc8b09642cda425d54af21d0b69eaafe211fd41634ece",
    "quickdraw/airplane_2": "d6e5a91656ba51e508d722cb53f941965a0e34fda9654d5f22d5e310a2a95d82",
    "quickdraw_labels": "c051651adfbd3a4601d050f9734a01c54aaa154c386a2e8888d478852fce1514",
    "omniglot_points": "999b8c1d7234cf3fedc8f40618749bb46dd14c2f97a889de12ad46c76d3718f9",
    "omniglot_offsets": "914a501343eccefba6dfd668c7e79262c260cf355c4fe380f54d2d59a1041585",
    "omniglot_split": "ba2d70d2e2b9f32749e977fee244dcc7a0ff037a6a0873b27df1ce70abdbfda2",
    "semeion_images": "c9f7a1af935f9ed19215d98eb4b50d3dc72b28c1450262b7478d195b6af03c96",
    "semeion_labels": "3470d461c03002120895ee801dd2655cf6e93216d570527a0770d9007f4ce261",
}


# --- Quick, Draw! ---------------------------------------------------------------------------

def quickdraw_bitmaps(data: bytes, count: int, what: str = "Quick, Draw! file") -> np.ndarray:
    """The first `count` drawings of one downloaded Quick, Draw! file: uint8 (count, 28, 28),
    white on black as Google published them (nothing is inverted, scaled or moved).

    `data` is a NumPy .npy file of uint8 (n, 784) or (n, 28, 28) (Google's numpy_bitmap
    files and HR-Shekhar's copies), or headerless raw bytes, 784 a drawing, row by row
    (elicorrales's .bin files). DataError naming `what` when it is neither, or holds
    fewer than `count` drawings."""
    size = BITMAP_SIDE * BITMAP_SIDE
    if data.startswith(b"\x93NUMPY"):
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except Exception as exc:  # a truncated or damaged .npy: all the same here
            raise DataError(f"{what} is not a readable .npy file ({type(exc).__name__}: {str(exc)[:120]}).") from None
        if array.dtype != np.uint8 or array.ndim not in (2, 3) or array.shape[1:] not in ((size,), (28, 28)):
            raise DataError(f"{what} must hold uint8 (n, 784) or (n, 28, 28) bitmaps, not {array.dtype} "
                            f"{array.shape}.")
        images = array.reshape(-1, BITMAP_SIDE, BITMAP_SIDE)
    else:
        if len(data) % size:
            raise DataError(f"{what} is neither a .npy file nor raw 784-byte bitmaps ({len(data):,} bytes).")
        images = np.frombuffer(data, dtype=np.uint8).reshape(-1, BITMAP_SIDE, BITMAP_SIDE)
    if len(images) < count:
        raise DataError(f"{what} holds {len(images):,} drawings, fewer than the {count:,} needed.")
    return np.array(images[:count], dtype=np.uint8)


def quickdraw_from_arrays(parts: Sequence[tuple[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Quick, Draw! keys from (class name, uint8 (m, 28, 28) or (m, 784) bitmaps) parts,
    in output order: quickdraw_images uint8 (n, 28, 28), quickdraw_labels int16 (n,) (the
    part's index) and quickdraw_classes str (k,). DataError for a part of another shape."""
    images, labels = [], []
    for label, (name, bitmaps) in enumerate(parts):
        bitmaps = np.asarray(bitmaps)
        if bitmaps.dtype != np.uint8 or bitmaps.ndim not in (2, 3) or bitmaps.shape[1:] not in ((784,), (28, 28)):
            raise DataError(f"Quick, Draw! {name} must be uint8 (n, 784) or (n, 28, 28), not {bitmaps.dtype} "
                            f"{bitmaps.shape}.")
        images.append(bitmaps.reshape(-1, BITMAP_SIDE, BITMAP_SIDE))
        labels.append(np.full(len(bitmaps), label, dtype=np.int16))
    empty = np.zeros((0, BITMAP_SIDE, BITMAP_SIDE), np.uint8)
    return (np.concatenate(images) if images else empty, np.concatenate(labels) if labels else np.zeros(0, np.int16),
            np.array([name for name, _ in parts], dtype=str))


# --- Omniglot (sketch-rnn's stroke-3) -------------------------------------------------------

_RECONSTRUCT = np.zeros(1).__reduce__()[0]  # numpy's ndarray unpickling function, whatever its module
_SCALAR = np.int16(0).__reduce__()[0]
_FROMBUFFER = np.zeros(1).__reduce_ex__(5)[0]  # how pickle protocol 5 rebuilds an array
# The globals a pickle of NumPy arrays names: under NumPy 1 (and Python 2), NumPy 2, and the
# oldest NumPy's numpy.core._internal (numpy/lib/tests/data/py2-np0-objarr.npy).
_ARRAY_PICKLE_GLOBALS = {
    **{(module, "_reconstruct"): _RECONSTRUCT
       for module in ("numpy.core.multiarray", "numpy._core.multiarray", "numpy.core._internal")},
    **{(module, "scalar"): _SCALAR for module in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(module, "_frombuffer"): _FROMBUFFER for module in ("numpy.core.numeric", "numpy._core.numeric")},
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,  # how Python 3 pickles bytes at protocol 2
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and nothing else. sketch-rnn's omniglot.npz holds object
    arrays, so reading it means unpickling a downloaded third-party file (numpy's own
    `np.load(..., allow_pickle=True)` would run whatever code a tampered copy named).
    Only the globals that array pickles use are resolved; any other is refused. Our
    output holds no pickles."""

    def find_class(self, module: str, name: str):
        try:
            return _ARRAY_PICKLE_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: only NumPy arrays are expected") from None


def read_sketchrnn_npz(data: bytes, what: str = "sketch-rnn .npz") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The train, valid and test arrays of a sketch-rnn dataset file (an .npz whose members
    are object arrays of int16 (k, 3) stroke-3 drawings, pickled by Python 2), read with
    `_ArraysOnlyUnpickler` (encoding latin1, as sketch-rnn reads it). DataError naming
    `what` when it is not such a file or names anything but NumPy arrays."""
    arrays = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as npz:
            for key in OMNIGLOT_SPLITS:
                member = f"{key}.npy"
                if member not in npz.namelist():
                    raise DataError(f"{what} has no {key!r} array; a sketch-rnn file holds train, valid and test.")
                with npz.open(member) as fp:
                    version = np.lib.format.read_magic(fp)
                    if version == (1, 0):
                        _, _, dtype = np.lib.format.read_array_header_1_0(fp)
                    elif version == (2, 0):
                        _, _, dtype = np.lib.format.read_array_header_2_0(fp)
                    else:
                        raise DataError(f"{what}: {member} is .npy version {version}, not 1.0 or 2.0.")
                    if dtype.hasobject:
                        array = _object_array(_ArraysOnlyUnpickler(fp, encoding="latin1").load())
                    else:
                        array = None
                if array is None:
                    with npz.open(member) as fp:
                        array = np.lib.format.read_array(fp, allow_pickle=False)
                arrays.append(array)
    except DataError:
        raise
    except Exception as exc:  # zip, header and pickle errors all mean the same thing here
        raise DataError(f"{what} is not a readable sketch-rnn .npz ({type(exc).__name__}: {str(exc)[:120]}).") from None
    return arrays[0], arrays[1], arrays[2]


def _object_array(items) -> np.ndarray:
    """`items` as a 1-D object array (np.asarray would stack equal-length drawings into one block)."""
    if isinstance(items, np.ndarray):
        return items
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


def omniglot_from_sketchrnn(train: Sequence, valid: Sequence, test: Sequence
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Omniglot keys from sketch-rnn's three splits, each a sequence of integer (k, 3)
    stroke-3 drawings (dx, dy, pen lifted after this point; the source's units, already
    RDP-simplified by D. Ha): omniglot_points int16 (p, 3), every drawing as it is, in the
    order train, valid, test; omniglot_offsets int64 (m + 1,), drawing i being
    points[offsets[i]:offsets[i + 1]]; omniglot_split int8 (m,) (0 train, 1 valid, 2 test).
    DataError naming the split and drawing that is not a non-empty integer (k, 3) array
    with pen states 0/1 and values that fit int16."""
    drawings, split = [], []
    for (name, code), part in zip(OMNIGLOT_SPLITS.items(), (train, valid, test), strict=True):
        for index, drawing in enumerate(part):
            points = np.asarray(drawing)
            if (points.ndim != 2 or points.shape[1] != 3 or len(points) == 0 or points.dtype.kind not in "iu"
                    or points.min() < np.iinfo(np.int16).min or points.max() > np.iinfo(np.int16).max
                    or not np.isin(points[:, 2], (0, 1)).all()):
                raise DataError(f"Omniglot {name} drawing {index} is not stroke-3 (k, 3) int16 points with pen "
                                f"states 0/1 ({points.dtype} {points.shape}).")
            drawings.append(points.astype(np.int16))
            split.append(code)
    lengths = np.array([len(points) for points in drawings], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    points = np.concatenate(drawings) if drawings else np.zeros((0, 3), np.int16)
    return points, offsets, np.array(split, dtype=np.int8)


# --- Semeion --------------------------------------------------------------------------------

class SemeionDigits(NamedTuple):
    images: np.ndarray  # uint8 (s, 16, 16), 0 or 255
    labels: np.ndarray  # int8 (s,), the digit
    dropped: int  # malformed records left out (a run of unreadable lines counts once)


def semeion_from_text(text: str) -> SemeionDigits:
    """Semeion's digits from the text of a semeion.data: one record a line, 256 pixels
    (0/1, "0" or "1.0000", row by row) then ten one-hot label columns (UCI's format),
    optionally followed by the one-hot again as one 10-digit code (iamb2's copy), split on
    tabs or spaces. A line that is not such a record is malformed; a run of malformed
    lines (a record wrapped over several) is one record dropped: iamb2's copy wraps its
    first record over 17 lines, so 1,593 records give 1,592. Images 0/255. DataError when
    no record is readable."""
    images, labels = [], []
    dropped, in_bad_run = 0, False
    size = SEMEION_SIDE * SEMEION_SIDE
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        record = _semeion_record(fields, size)
        if record is None:
            dropped += not in_bad_run
            in_bad_run = True
            continue
        in_bad_run = False
        images.append(record[0])
        labels.append(record[1])
    if not images:
        raise DataError(f"No Semeion record could be read ({dropped} malformed): expected lines of 256 pixels and "
                        "10 one-hot label columns.")
    pixels = np.array(images, dtype=np.uint8).reshape(-1, SEMEION_SIDE, SEMEION_SIDE) * np.uint8(255)
    return SemeionDigits(pixels, np.array(labels, dtype=np.int8), dropped)


def _semeion_record(fields: list[str], size: int) -> tuple[list[int], int] | None:
    if len(fields) not in (size + 10, size + 11):
        return None
    try:
        values = [float(field) for field in fields[:size + 10]]
    except ValueError:
        return None
    if any(value not in (0.0, 1.0) for value in values):
        return None
    one_hot = [int(value) for value in values[size:]]
    if sum(one_hot) != 1:
        return None
    if len(fields) == size + 11 and fields[-1] != "".join(map(str, one_hot)):
        return None
    return [int(value) for value in values[:size]], one_hot.index(1)


# --- the file -------------------------------------------------------------------------------

def assemble(quickdraw: tuple[np.ndarray, np.ndarray, np.ndarray], omniglot: tuple[np.ndarray, np.ndarray, np.ndarray],
             semeion: SemeionDigits) -> dict[str, np.ndarray]:
    """The file's arrays by key (`KEYS`, in that order), from the three conversions."""
    values = (*quickdraw, *omniglot, semeion.images, semeion.labels)
    return dict(zip(KEYS, values, strict=True))


def content_digests(arrays: Mapping[str, np.ndarray]) -> dict[str, str]:
    """SHA-256 (hex) of the arrays' bytes, keyed as `EXPECTED_DIGESTS`: each Quick, Draw!
    class's images apart ("quickdraw/<class>"), then every other array but the class names
    (integers little-endian, C order)."""
    def digest(array: np.ndarray) -> str:
        array = np.asarray(array)
        if array.dtype.kind in "iu":
            array = array.astype(array.dtype.newbyteorder("<"))
        return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()

    images, labels = arrays["quickdraw_images"], arrays["quickdraw_labels"]
    digests = {f"quickdraw/{name}": digest(images[labels == k]) for k, name in enumerate(arrays["quickdraw_classes"])}
    digests.update({key: digest(arrays[key]) for key in KEYS if key not in ("quickdraw_images", "quickdraw_classes")})
    return digests


def mismatches(arrays: Mapping[str, np.ndarray], expected: Mapping[str, str] = EXPECTED_DIGESTS) -> list[str]:
    """The parts whose bytes differ from `expected` (or are missing from either)."""
    found = content_digests(arrays)
    return [key for key in dict.fromkeys([*expected, *found]) if found.get(key) != expected.get(key)]


def write_npz(arrays: Mapping[str, np.ndarray], path: str | os.PathLike) -> Path:
    """`np.savez_compressed` to `path` through a temporary file beside it (so a reader never
    sees half a file). No object arrays: the output needs no pickle to load. DataError when
    the folder cannot be written."""
    file = Path(path).expanduser()
    if any(np.asarray(array).dtype.hasobject for array in arrays.values()):
        raise DataError("Refusing to write object arrays: real_handwriting.npz must load without pickle.")
    part: Path | None = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=file.parent, prefix=f".{file.name}.", suffix=".part",
                                         delete=False) as out:
            part = Path(out.name)
            np.savez_compressed(out, **arrays)
        os.replace(part, file)
    except OSError as exc:
        if part is not None:
            part.unlink(missing_ok=True)
        raise DataError(f"Could not write {file} ({type(exc).__name__}: {exc.strerror or exc}); choose a writable "
                        "place.") from None
    return file


# --- downloads ------------------------------------------------------------------------------

def download(source: Source, cache_dir: str | os.PathLike, timeout: float = TIMEOUT_S,
             deadline: float = DEADLINE_S) -> bytes:
    """The bytes of `source`: from `cache_dir` when an earlier run fetched it, else from
    its pinned raw URL (the default branch's when that answers HTTP 404), then kept in
    `cache_dir`. The server must answer, and each read return, within `timeout` seconds,
    and the whole file arrive within `deadline`. DataError "Could not download <what>
    from <url> (<cause>); …" otherwise, or when GitHub serves a Git LFS pointer."""
    cached = Path(cache_dir) / source.cache_name
    if cached.is_file():
        return cached.read_bytes()
    failures: list[str] = []  # "<cause>" for the pinned URL, then "at HEAD: <cause>"
    for url in source.urls:
        try:
            data = _fetch(url, timeout, deadline)
        except urllib.error.HTTPError as exc:
            failures.append(f"HTTP {exc.code} {exc.reason}")
            if exc.code == 404:
                continue  # the pinned commit gone: try the default branch
            break
        except Exception as exc:  # no network, DNS, TLS, timeouts: the same for the user
            failures.append(_problem(exc, timeout))
            break
        if data.startswith(b"version https://git-lfs"):
            failures.append("GitHub served a Git LFS pointer, not the file")
            continue
        _keep(cached, data)
        return data
    cause = "; at HEAD: ".join(failures)
    raise DataError(f"Could not download {source.what} from {source.urls[0]} ({cause}); check the internet "
                    "connection and run python -m digitstudio.data.real_sources again.")


class _TooSlow(Exception):
    """The file did not arrive within its deadline."""


def _fetch(url: str, timeout: float, deadline: float) -> bytes:
    stop = time.monotonic() + deadline
    request = urllib.request.Request(url, headers={"User-Agent": "digit-studio (real_sources.py)"})
    chunks = []
    with urllib.request.urlopen(request, timeout=timeout) as response:
        while chunk := response.read(1 << 20):
            chunks.append(chunk)
            if time.monotonic() > stop:
                raise _TooSlow(f"not complete after {deadline:.0f} s")
    return b"".join(chunks)


def _problem(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, _TooSlow):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:.0f} s"
    text = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _keep(file: Path, data: bytes) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        part = file.with_name(file.name + ".part")
        part.write_bytes(data)
        os.replace(part, file)
    except OSError:
        pass  # a cache that cannot be written only costs a second download


# --- building -------------------------------------------------------------------------------

def build(path: str | os.PathLike, *, cache_dir: str | os.PathLike | None = None, verify: bool = True,
          keep_sources: bool = False, log: Callable[[str], None] | None = None) -> Path:
    """Download every source, convert it and write the .npz at `path` (see the module's
    table); returns the path. `cache_dir` holds the downloads (default
    `<cache_path()'s folder>/real_handwriting_sources`, removed after a successful
    build unless `keep_sources`; a `cache_dir` given is kept). With `verify`, nothing is
    written unless every array's bytes equal the published file's (`EXPECTED_DIGESTS`).
    `log` receives one line per step. DataError with one actionable line on any failure."""
    say = log or (lambda line: None)
    sources_dir = Path(cache_dir) if cache_dir is not None else cache_path().parent / SOURCES_DIR

    parts = []
    for part in QUICKDRAW_PARTS:
        bitmaps = _converted(part.source, lambda data, part=part: quickdraw_bitmaps(data, part.count, part.source.what),
                             sources_dir)
        parts.append((part.name, bitmaps))
        say(f"{part.source.what}: {len(bitmaps):,} drawings ({part.source.repo}/{part.source.path})")
    quickdraw = quickdraw_from_arrays(parts)

    splits = _converted(OMNIGLOT_SOURCE, lambda data: read_sketchrnn_npz(data, OMNIGLOT_SOURCE.what), sources_dir)
    omniglot = omniglot_from_sketchrnn(*splits)
    say(f"{OMNIGLOT_SOURCE.what}: {'/'.join(f'{len(s):,}' for s in splits)} train/valid/test drawings, "
        f"{len(omniglot[0]):,} points ({OMNIGLOT_SOURCE.repo}/{OMNIGLOT_SOURCE.path})")

    semeion = _converted(SEMEION_SOURCE, lambda data: semeion_from_text(data.decode("latin-1")), sources_dir)
    say(f"{SEMEION_SOURCE.what}: {len(semeion.labels):,} digits, {semeion.dropped} malformed record(s) dropped "
        f"({SEMEION_SOURCE.repo}/{SEMEION_SOURCE.path})")

    arrays = assemble(quickdraw, omniglot, semeion)
    if verify:
        wrong = mismatches(arrays)
        if wrong:
            raise DataError(f"The rebuilt {', '.join(wrong)} differ from the published {FILE_NAME} (a source "
                            f"changed?), so nothing was written; delete {sources_dir} and try again, set "
                            f"{ENV_VAR} to a copy of the published file, or keep these with --no-verify.")
        say(f"verified: all {len(EXPECTED_DIGESTS)} parts equal the published {FILE_NAME}")
    file = write_npz(arrays, path)
    say(f"wrote {file}")
    if not keep_sources and cache_dir is None:
        shutil.rmtree(sources_dir, ignore_errors=True)
    return file


def _converted(source: Source, convert: Callable[[bytes], object], cache_dir: Path):
    """convert(download(source)); an unexpected error names the source and its address."""
    data = download(source, cache_dir)
    try:
        return convert(data)
    except DataError as exc:
        raise DataError(f"{exc} (from {source.urls[0]}; delete {cache_dir} if the download was damaged)") from None
    except Exception as exc:  # a format we did not foresee: say where it came from
        raise DataError(f"{source.what} from {source.urls[0]} is not in the expected format "
                        f"({type(exc).__name__}: {str(exc)[:120]}); delete {cache_dir} and try again.") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digitstudio.data.real_sources",
        description=f"Rebuild {FILE_NAME} (Quick, Draw! doodles, Omniglot strokes, Semeion digits) from its public "
                    "GitHub copies; needs the internet (~80 MB). The arrays are checked against the published file.")
    parser.add_argument("out", nargs="?", type=Path, default=None,
                        help=f"where to write the .npz (default: {cache_path()})")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="keep the downloaded source files here (default: "
                             f"{cache_path().parent / SOURCES_DIR}, removed after a successful build)")
    parser.add_argument("--keep-sources", action="store_true", help="keep the downloaded source files")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="write the file even if its arrays differ from the published one")
    args = parser.parse_args(argv)
    out = args.out if args.out is not None else cache_path()
    try:
        file = build(out, cache_dir=args.cache_dir, verify=args.verify, keep_sources=args.keep_sources, log=print)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    note = (" (the zip records when it was written, so this differs from the published file's; the arrays do not)"
            if args.verify else "")
    print(f"{file.stat().st_size / 1e6:.1f} MB, sha256 {digest}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
