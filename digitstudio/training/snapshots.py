"""Small pictures of a model's insides taken while it trains ("snapshots"), and their file.

At the end of every epoch, and whenever a paused training holds (after a Step), the
training takes one `Insides`:

  confusion      (10, 10) int32: rows = true digit, columns = predicted, on a fixed
                 sample of SAMPLE_SIZE held-out images (the validation split, else the
                 test set: the same images at every snapshot, so the matrix can be compared)
  weights        (n, h, w) float16: the first Dense layer's first MAX_UNITS units as 28×28
                 pictures of their input weights, or the first Conv2D layer's first
                 MAX_FILTERS filters (k×k, first input channel)
  probabilities  (m, 10) float16: softmax outputs for the fixed digits (one test image of
                 each digit 0–9, the first in test order) and, last, the session's drawing

One snapshot is one forward pass over ~510 images (measured in bench/train_speed.py).
On disk (`save_insides`, insides.npz beside run.json) weights are quantised to uint8
with one scale per snapshot: about 13 KB per snapshot for a 16-unit dense first layer
(16×784 bytes), under 1 KB for 32 3×3 filters, plus 100 + 110 numbers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from digitstudio.pixels import to_uint8, to_unit
from digitstudio.storage.files import atomic_write

SAMPLE_SIZE = 500
MAX_HOLD_SNAPSHOTS = 100  # snapshots taken at holds (Steps) kept per training: the oldest go first
MAX_UNITS = 16
MAX_FILTERS = 32
DRAWING_LABEL = -1  # the label stored for the session's drawing (it has no true digit)
_BATCH = 256  # images per forward pass (bounds memory for a CNN)


@dataclass(frozen=True)
class Insides:
    """One snapshot. `epoch` counts epochs done (2.0 = end of epoch 2; 2.25 = a quarter
    into epoch 3); `step` counts batches done; `kind` is "epoch" or "step" (a paused hold)."""

    epoch: float
    step: int
    kind: str
    confusion: np.ndarray
    weights: np.ndarray
    probabilities: np.ndarray

    @property
    def sample_accuracy(self) -> float:
        total = int(self.confusion.sum())
        return float(np.trace(self.confusion)) / total if total else float("nan")


@dataclass(frozen=True)
class Probe:
    """The fixed images every snapshot of one training looks at: `sample` (n, 28, 28, 1)
    in [0, 1] with integer `sample_labels`, and `digits` (m, 28, 28, 1) in [0, 1] with
    `digit_labels` (DRAWING_LABEL for the drawing). The model is fed them times
    `pixel_factor` (modeling.spec.PIXEL_FACTORS: 255 for a raw-pixel model); pictures
    are shown, and saved, from the [0, 1] values."""

    sample: np.ndarray
    sample_labels: np.ndarray
    digits: np.ndarray
    digit_labels: np.ndarray
    pixel_factor: float = 1.0

    def take(self, model: Any, epoch: float, step: int, kind: str) -> Insides:
        """A snapshot of `model` now: one inference pass (no weight changes, no RNG use)."""
        images = np.concatenate([self.sample, self.digits])
        if self.pixel_factor != 1.0:
            images = images * np.float32(self.pixel_factor)
        probs = np.concatenate([np.asarray(model(images[i:i + _BATCH], training=False))
                                for i in range(0, len(images), _BATCH)])
        predicted = probs[: len(self.sample)].argmax(axis=1)
        confusion = np.zeros((10, 10), np.int32)
        np.add.at(confusion, (self.sample_labels, predicted), 1)
        return Insides(epoch=round(float(epoch), 4), step=int(step), kind=kind, confusion=confusion,
                       weights=first_layer_weights(model),
                       probabilities=probs[len(self.sample):].astype(np.float16))


def keep(insides: list[Insides], shot: Insides) -> None:
    """Append `shot`; past MAX_HOLD_SNAPSHOTS hold ("step") snapshots, drop the oldest one,
    so pressing Step a thousand times cannot grow a run without bound (epoch ones all stay)."""
    insides.append(shot)
    holds = [i for i, s in enumerate(insides) if s.kind == "step"]
    if len(holds) > MAX_HOLD_SNAPSHOTS:
        del insides[holds[0]]


def make_probe(x_sample: np.ndarray, y_sample: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
               drawing: np.ndarray | None = None, pixel_factor: float = 1.0) -> Probe:
    """x arrays (n, 28, 28, 1) as the model reads them: [0, 1] times `pixel_factor`
    (modeling.spec.PIXEL_FACTORS[spec.input_scale]); y integer labels or one-hot rows. The
    sample is the first SAMPLE_SIZE of x_sample; the digits are the first test image of each
    class, then `drawing` (28, 28) or (28, 28, 1) in [0, 1] when given. The probe keeps them
    in [0, 1] (divided by `pixel_factor`) and feeds the model times `pixel_factor`."""
    labels = _integer_labels(y_sample[:SAMPLE_SIZE])
    test_labels = _integer_labels(y_test)
    firsts = [int(np.flatnonzero(test_labels == d)[0]) for d in range(10) if (test_labels == d).any()]
    factor = np.float32(pixel_factor)
    digits, digit_labels = np.asarray(x_test[firsts], np.float32) / factor, test_labels[firsts]
    if drawing is not None:
        drawing = np.asarray(drawing, np.float32).reshape(1, 28, 28, 1)
        digits = np.concatenate([digits, drawing])
        digit_labels = np.append(digit_labels, DRAWING_LABEL)
    return Probe(np.asarray(x_sample[:SAMPLE_SIZE], np.float32) / factor, labels,
                 np.asarray(digits, np.float32), digit_labels.astype(np.int64), float(pixel_factor))


def _integer_labels(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    return (y.argmax(axis=1) if y.ndim == 2 else y).astype(np.int64)


def first_layer_weights(model: Any) -> np.ndarray:
    """(n, h, w) float16: the first Dense layer's first MAX_UNITS units as 28×28 (when it
    reads the 784 pixels), or the first Conv2D's first MAX_FILTERS filters (input channel
    0); (0, 28, 28) when the model has neither."""
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in ("Dense", "Conv2D"):
            continue
        kernel = np.asarray(layer.kernel)
        if kind == "Conv2D":
            return np.moveaxis(kernel[:, :, 0, :MAX_FILTERS], -1, 0).astype(np.float16)
        if kernel.shape[0] == 28 * 28:
            return kernel[:, :MAX_UNITS].T.reshape(-1, 28, 28).astype(np.float16)
        break
    return np.zeros((0, 28, 28), np.float16)


# --- the file ---------------------------------------------------------------------------

def save_insides(path: str | Path, insides: list[Insides], probe: Probe) -> int:
    """Write the snapshots (and the fixed digits they describe) to an .npz, atomically.
    Weights are stored as uint8 with a symmetric per-snapshot scale. Returns bytes written."""
    weights = np.stack([s.weights.astype(np.float32) for s in insides]) if insides else np.zeros((0, 0, 28, 28))
    weights = np.nan_to_num(weights, nan=0.0, posinf=0.0, neginf=0.0)  # a diverged run's last snapshots
    scale = np.abs(weights).reshape(len(insides), -1).max(axis=1, initial=0.0) if insides else np.zeros(0)
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    quantised = np.round(weights / scale.reshape(-1, 1, 1, 1) * 127 + 128).clip(0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        epoch=np.array([s.epoch for s in insides], np.float32),
        step=np.array([s.step for s in insides], np.int64),
        kind=np.array([s.kind == "step" for s in insides], np.uint8),
        confusion=np.stack([s.confusion for s in insides]).astype(np.uint16) if insides else np.zeros((0, 10, 10)),
        weights=quantised, weight_scale=scale,
        probabilities=np.stack([s.probabilities for s in insides]) if insides else np.zeros((0, 0, 10)),
        digits=to_uint8(probe.digits[..., 0]), digit_labels=probe.digit_labels.astype(np.int8),
    )
    data = buffer.getvalue()
    atomic_write(Path(path), lambda tmp: tmp.write_bytes(data))
    return len(data)


@dataclass(frozen=True)
class Replay:
    """A run's snapshots as read back: `insides` in training order, `digits` (m, 28, 28)
    float32 in [0, 1] and their `digit_labels` (DRAWING_LABEL = the drawing)."""

    insides: list[Insides]
    digits: np.ndarray
    digit_labels: np.ndarray


def load_insides(path: str | Path) -> Replay:
    """Read an insides.npz written by save_insides. OSError/ValueError/KeyError if unreadable."""
    with np.load(Path(path), allow_pickle=False) as npz:
        scale = npz["weight_scale"].reshape(-1, 1, 1, 1)
        weights = (npz["weights"].astype(np.float32) - 128) / 127 * scale
        insides = [Insides(epoch=float(npz["epoch"][i]), step=int(npz["step"][i]),
                           kind="step" if npz["kind"][i] else "epoch", confusion=npz["confusion"][i].astype(np.int32),
                           weights=weights[i].astype(np.float16), probabilities=npz["probabilities"][i])
                   for i in range(len(npz["epoch"]))]
        return Replay(insides, to_unit(npz["digits"]), npz["digit_labels"].astype(np.int64))
