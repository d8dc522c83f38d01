"""Which pixels a model expects: [0, 1] ("unit") or raw 0–255 ("raw"), and in which layout.

The app feeds every model [0, 1] pixels, as the Keras examples do. A model from a
tutorial that trained on raw 0–255 pixels (letting a first BatchNormalization do the
scaling) reads those at chance: measured 10.4% on 2,000 MNIST test digits. So an
uploaded model is scored on a seeded sample of MNIST test digits under each scale, its
outputs read as the probabilities it means (softmax outputs, logits or ten sigmoid
scores: `drawing.predict.as_probabilities`), and the scale that reads MORE digits is kept,
among those reaching WORKS accuracy. Only when two scales read within TIE_MARGIN of each
other does the lower cross-entropy decide: a model nearly linear in its pixels reads
about as many digits either way (a softmax regression trained on 0–1 pixels: 85.6% of
1,000 at 0–1, 85.7% at 0–255) but is wildly overconfident at the wrong scale (mean loss
0.65 vs 3.74). Loss must not decide beyond that margin: for a model ending in ten
sigmoid scores (read through a softmax, as before), the loss preferred raw pixels that
read fewer digits (86.2% vs 89.3% of 1,000; the model of tests/test_sigmoid_models.py),
and every drawing then showed 100%.
The layout (flat 784, 28×28 or 28×28×1) is the model's own input shape: Predictor
reshapes to it, and no other layout can even run.

    detect_convention(model, mnist, sample=1000)  -> InputConvention
    InputConvention.words()                       -> "expects raw 0–255 pixels, 28×28×1 images"
    pixel_factor(run_record)                      -> 255.0 or 1.0, for Predictor(input_scale=…)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from digitstudio.modeling.spec import INPUT_SCALES, PIXEL_FACTORS
from digitstudio.pixels import to_unit

UNKNOWN = "unknown"
SAMPLE_SIZE = 1000  # MNIST test digits scored per candidate (≈0.1 s for an MLP, ≈1 s for the CNN)
WORKS = 0.5  # below this on MNIST a candidate does not "work" (chance is 0.10)
# Scales whose accuracies differ by at most this read about equally: 10 of 1,000 digits, about
# the binomial standard error of one accuracy near 90% on 1,000 digits (0.95 points).
TIE_MARGIN = 0.01
_LAYOUTS = {(784,): "flat 784", (28, 28): "28×28", (28, 28, 1): "28×28×1"}
_SCALE_WORDS = {"unit": "pixels scaled to 0–1", "raw": "raw 0–255 pixels"}

# How the two pixel scales read to a person (the Runs page asks with these).
INPUT_SCALES_SHOWN = {"unit": "0–1 (pixels divided by 255)", "raw": "0–255 (raw pixels)"}


@dataclass(frozen=True)
class InputConvention:
    scale: str  # "unit" | "raw" | "unknown"
    layout: str  # "flat 784" | "28×28" | "28×28×1"
    accuracies: dict[str, float] = field(default_factory=dict)  # scale → accuracy on the sample
    losses: dict[str, float] = field(default_factory=dict)  # scale → mean cross-entropy on the sample
    sample_size: int = 0  # MNIST test digits scored per candidate; 0 = not measured
    source: str = "detected"  # "detected" (from MNIST) | "chosen" (by a person) | "unknown" (no MNIST)

    @property
    def factor(self) -> float:
        """What Predictor(input_scale=…) multiplies [0, 1] pixels by; 1.0 while unknown."""
        return PIXEL_FACTORS.get(self.scale, 1.0)

    def words(self) -> str:
        """One line for people, e.g. 'expects raw 0–255 pixels, 28×28×1 images (97.9% of
        1,000 MNIST test digits right; 9.8% with pixels scaled to 0–1)'."""
        if self.scale == UNKNOWN:
            text = f"pixel scale unknown (0–1 or 0–255?), {self.layout} images"
            if self.sample_size:
                tried = "; ".join(f"{_SCALE_WORDS[s]}: {a:.1%}" for s, a in self.accuracies.items())
                text += f": neither reads MNIST well ({tried})"
            return text
        text = f"expects {_SCALE_WORDS[self.scale]}, {self.layout} images"
        if self.source == "chosen":
            return text + " (chosen by hand)"
        if self.sample_size and self.scale in self.accuracies:
            others = [f"{a:.1%} with {_SCALE_WORDS[s]}" for s, a in self.accuracies.items() if s != self.scale]
            text += f" ({self.accuracies[self.scale]:.1%} of {self.sample_size:,} MNIST test digits right"
            text += f"; {', '.join(others)})" if others else ")"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputConvention:
        return cls(scale=str(data.get("scale", UNKNOWN)), layout=str(data.get("layout", "")),
                   accuracies={str(k): float(v) for k, v in (data.get("accuracies") or {}).items()},
                   losses={str(k): float(v) for k, v in (data.get("losses") or {}).items()},
                   sample_size=int(data.get("sample_size") or 0), source=str(data.get("source", "detected")))

    def chosen(self, scale: str) -> InputConvention:
        """The same convention with the scale a person picked ("unit" or "raw")."""
        if scale not in INPUT_SCALES:
            raise ValueError(f"Unknown input scale {scale!r}; use one of {', '.join(INPUT_SCALES)}.")
        return InputConvention(scale, self.layout, dict(self.accuracies), dict(self.losses), self.sample_size,
                               "chosen")


def layout_of(model: Any) -> str:
    """'flat 784', '28×28' or '28×28×1' from the model's input shape."""
    shape = tuple(model.input_shape[1:])
    if shape not in _LAYOUTS:
        raise ValueError(f"the model expects input {shape}, not 28×28 digits.")
    return _LAYOUTS[shape]


def detect_convention(model: Any, mnist: Any | None, sample: int = SAMPLE_SIZE, seed: int = 0) -> InputConvention:
    """Score `sample` seeded MNIST test digits (mnist: data.mnist.MnistData) with each pixel
    scale, outputs read by `as_probabilities`; of the scales reaching WORKS (50%) accuracy
    keep the most accurate one, and among those within TIE_MARGIN of it the one with the
    lowest mean cross-entropy; "unknown" without MNIST or when no scale works. The layout
    is the model's input shape (ValueError when it is not a 28×28 layout)."""
    layout = layout_of(model)
    if mnist is None:
        return InputConvention(UNKNOWN, layout, source=UNKNOWN)
    from digitstudio.drawing.predict import as_probabilities  # logits: softmax; sigmoid scores: normalised
    from digitstudio.explain.inspection import predict_probabilities

    count = min(sample, len(mnist.x_test))
    pick = np.sort(np.random.default_rng(seed).permutation(len(mnist.x_test))[:count])
    images, labels = to_unit(mnist.x_test[pick]), np.asarray(mnist.y_test[pick])
    accuracies, losses = {}, {}
    for scale in INPUT_SCALES:
        outputs = predict_probabilities(model, images * np.float32(PIXEL_FACTORS[scale]))
        probs = as_probabilities(outputs).astype(np.float64) if np.isfinite(outputs).all() else outputs
        if not np.isfinite(probs).all():
            accuracies[scale], losses[scale] = 0.0, float("inf")
            continue
        accuracies[scale] = float((np.argmax(probs, axis=1) == labels).mean())
        losses[scale] = float(-np.log(np.clip(probs[np.arange(count), labels], 1e-12, 1.0)).mean())
    working = [scale for scale in INPUT_SCALES if accuracies[scale] >= WORKS]
    scale = UNKNOWN
    if working:
        best = max(accuracies[scale] for scale in working)
        scale = min((s for s in working if best - accuracies[s] <= TIE_MARGIN + 1e-9), key=losses.get)
    return InputConvention(scale, layout, accuracies, losses, count, "detected")


def pixel_factor(record: dict[str, Any]) -> float:
    """What a run's model needs its [0, 1] pixels multiplied by: from the run's detected or
    chosen input_convention (uploads), else its spec's input_scale (trained runs), else 1.0."""
    convention = record.get("input_convention")
    if isinstance(convention, dict):
        return InputConvention.from_dict(convention).factor
    spec = record.get("spec")
    scale = spec.get("input_scale", "unit") if isinstance(spec, dict) else "unit"
    return PIXEL_FACTORS.get(scale, 1.0)
