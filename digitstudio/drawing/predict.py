"""Fast digit predictions from a Keras model, and a plain-Python reading of them.

The app asks for one prediction per stroke, so latency matters: `model.predict`
builds a data pipeline on every call (~60–70 ms for one image), while a direct
call through a `tf.function` traced once for a (None, 28, 28, 1) batch costs
1–2 ms for the shipped CNN on two CPU cores (bench/predict_latency.py).
`Predictor` does that, reshapes to whatever 28×28 layout the model takes, and
warms itself up so the first drawing is not the slow one.

"Not sure this is a digit": a model trained with outlier exposure spreads its
probability over the ten classes for a drawing that is not one digit, so
`describe(probs, threshold)` flags `not_sure` when the top probability is below the
model's threshold. The threshold is chosen at the end of training on held-out digits
(`choose_threshold`: the highest one that rejects at most 0.25% of them) and recorded
in the model's JSON (`"not_sure": {"threshold": ...}`); `storage.model_files.threshold_for_model()`
reads it back, and `storage.model_files.load_predictor(path)` loads a model file into a
Predictor. A model without one (an upload with no JSON) never says "not sure".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLOSE_MARGIN = 0.25  # runner-up within this of the top: the model is torn
LOW_CONFIDENCE = 0.6  # below this the top answer is a guess
FLAT = 0.2  # a "not sure" answer whose top probability is under this (twice the uniform 10%): no digit stands out
CHUNK = 1024  # images per direct call: bounds memory for big batches
# The threshold may call at most this fraction of held-out (MNIST validation) digits "not sure".
# Drawings are harder than MNIST: on the first retrained CNN, a threshold rejecting 1% of
# validation digits rejected 1.5% of MNIST test digits and 2.9% of the drawn-digit bench,
# while one rejecting 0.25% rejected 0.3% and 0.05%, and still 94% of hand-made non-digits.
DIGITS_REJECTED = 0.0025


@dataclass(frozen=True)
class Prediction:
    digit: int
    confidence: float  # probability of `digit`
    runner_up: int
    runner_up_probability: float
    close: bool  # runner-up within CLOSE_MARGIN of the top, or confidence < LOW_CONFIDENCE
    not_sure: bool = False  # confidence below the model's threshold: probably not a digit
    flat: bool = False  # not sure, and no digit stands out (confidence under FLAT)


def describe(probs, threshold: float | None = None) -> Prediction:
    """The top digit, the runner-up and whether the call is close, as plain Python types.
    `probs` is one image's 10 probabilities (shape (10,) or (1, 10)). With a `threshold`
    (the model's, see `storage.model_files.threshold_for_model`), `not_sure` is True when the top probability
    is below it, and `flat` when the top probability is also under FLAT (a model trained
    with non-digits spreads its probability evenly over the ten digits for them); the
    top guesses are filled in either way."""
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    if p.shape != (10,):
        raise ValueError(f"Expected 10 probabilities for one image, got shape {np.shape(probs)}.")
    order = np.argsort(-p, kind="stable")  # ties go to the smaller digit
    top, second = int(order[0]), int(order[1])
    confidence, runner_up_probability = float(p[top]), float(p[second])
    close = confidence - runner_up_probability <= CLOSE_MARGIN or confidence < LOW_CONFIDENCE
    not_sure = threshold is not None and confidence < threshold
    return Prediction(top, confidence, second, runner_up_probability, bool(close), bool(not_sure),
                      bool(not_sure and confidence < FLAT))


def not_sure_rows(probs, threshold: float | None) -> np.ndarray:
    """describe()'s "not sure" rule for many images: bool (n,), True where the top of a
    row of probabilities (n, 10) is below `threshold`; all False without a threshold."""
    top = np.asarray(probs).reshape(-1, 10).max(axis=1)
    return top < threshold if threshold is not None else np.zeros(len(top), bool)


def choose_threshold(digit_probs, reject: float = DIGITS_REJECTED) -> float:
    """The highest threshold that calls at most `reject` of these held-out digits "not
    sure": with the top probabilities sorted, the (⌊reject·n⌋ + 1)-th smallest (fewer
    than that many lie strictly below it). `digit_probs`: (n, 10) probabilities, n ≥ 1."""
    top = np.sort(np.asarray(digit_probs, np.float64).reshape(-1, 10).max(axis=1))
    if top.size == 0:
        raise ValueError("choose_threshold needs at least one held-out digit.")
    return float(top[min(int(np.floor(reject * top.size)), top.size - 1)])


def not_sure_threshold(info: dict) -> float | None:
    """The threshold recorded in a model's JSON (as loaded), or None if it has none."""
    value = (info.get("not_sure") or {}).get("threshold") if isinstance(info, dict) else None
    return float(value) if isinstance(value, (int, float)) and 0.0 <= value <= 1.0 else None


class Predictor:
    """Wraps a Keras model that reads 28×28 digits (input (28,28,1), (28,28) or (784,))
    into 10 classes. `probabilities()` takes float images in [0, 1]; `input_scale`
    multiplies them first (255.0 for a model that expects raw 0–255 pixels; see
    explain/convention.py, which detects it for uploads)."""

    def __init__(self, model, warm_up: bool = True, input_scale: float = 1.0, threshold: float | None = None):
        import tensorflow as tf

        self.model = model
        self.threshold = threshold  # the model's "not sure" threshold (from its JSON), or None
        input_shape = tuple(model.input_shape[1:])
        self.input_shape = input_shape
        self.input_scale = float(input_scale)
        scale = tf.constant(self.input_scale, tf.float32)

        # One trace for any batch size: the signature fixes everything but the batch.
        @tf.function(input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32)])
        def forward(images):
            return model(tf.reshape(images * scale, (-1, *input_shape)), training=False)

        self._forward = forward
        if warm_up:
            self.probabilities(np.zeros((1, 28, 28, 1), np.float32))

    def probabilities(self, images) -> np.ndarray:
        """float32 (n, 10) for (n, 28, 28) or (n, 28, 28, 1) images, (10,) for one (28, 28)
        image. Outputs that are not probabilities (a model ending in logits) get a softmax."""
        x = np.asarray(images, dtype=np.float32)
        single = x.shape in ((28, 28), (28, 28, 1), (784,))
        if x.size % 784 or x.size == 0:
            raise ValueError(f"Expected 28×28 images, got shape {np.shape(images)}.")
        x = x.reshape(-1, 28, 28, 1)
        outputs = [self._forward(x[start:start + CHUNK]).numpy() for start in range(0, len(x), CHUNK)]
        probs = _as_probabilities(np.concatenate(outputs).astype(np.float32, copy=False))
        return probs[0] if single else probs

    def predict(self, image) -> Prediction:
        """One (28, 28) image → its described prediction, "not sure" by the model's threshold."""
        return describe(self.probabilities(np.asarray(image).reshape(28, 28)), self.threshold)


def _as_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Rows that already are probability distributions pass unchanged; others are logits."""
    is_distribution = ((outputs >= 0).all(axis=1) & (outputs <= 1).all(axis=1)
                       & (np.abs(outputs.sum(axis=1) - 1) < 1e-3))
    if is_distribution.all():
        return outputs
    shifted = outputs - outputs.max(axis=1, keepdims=True)
    softmax = np.exp(shifted)
    softmax /= softmax.sum(axis=1, keepdims=True)
    return np.where(is_distribution[:, None], outputs, softmax).astype(np.float32)
