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
        self.output_kind = declared_output_kind(model)  # None: read from each batch's values
        if warm_up:
            self.probabilities(np.zeros((1, 28, 28, 1), np.float32))

    def probabilities(self, images) -> np.ndarray:
        """float32 (n, 10) for (n, 28, 28) or (n, 28, 28, 1) images, (10,) for one (28, 28)
        image: each row a distribution over the ten digits, read from the model's outputs as
        `as_probabilities` says (softmax outputs as they are, logits through a softmax, ten
        sigmoid scores normalised)."""
        x = np.asarray(images, dtype=np.float32)
        single = x.shape in ((28, 28), (28, 28, 1), (784,))
        if x.size % 784 or x.size == 0:
            raise ValueError(f"Expected 28×28 images, got shape {np.shape(images)}.")
        x = x.reshape(-1, 28, 28, 1)
        outputs = [self._forward(x[start:start + CHUNK]).numpy() for start in range(0, len(x), CHUNK)]
        probs = as_probabilities(np.concatenate(outputs).astype(np.float32, copy=False), self.output_kind)
        return probs[0] if single else probs

    def predict(self, image) -> Prediction:
        """One (28, 28) image → its described prediction, "not sure" by the model's threshold."""
        return describe(self.probabilities(np.asarray(image).reshape(28, 28)), self.threshold)


# What a model's ten outputs are, and how they become the distribution the app shows.
PROBABILITIES, LOGITS, SIGMOID = "probabilities", "logits", "sigmoid"
SUMS_TO_ONE = 1e-3  # a row of probabilities sums to 1 within float32 rounding of ten terms, and then some
_ACTIVATION_KINDS = {"softmax": PROBABILITIES, "sigmoid": SIGMOID, "linear": LOGITS}


def output_kind(outputs) -> str:
    """What a batch of outputs (n, 10) is, from its values alone:

    * "probabilities": every value in [0, 1] and every row sums to 1 (within SUMS_TO_ONE),
      a softmax layer's output;
    * "sigmoid": every value in [0, 1] but some row does not sum to 1: ten independent
      scores, one per digit (a model ending in Dense(10, sigmoid), trained with binary
      cross-entropy on one-hot labels);
    * "logits": anything else (some value outside [0, 1]): unbounded scores for a softmax.

    The batch is judged as a whole, so every row of it is read the same way."""
    x = np.asarray(outputs, np.float64).reshape(-1, 10)
    if not ((x >= 0).all() and (x <= 1).all()):
        return LOGITS
    return PROBABILITIES if (np.abs(x.sum(axis=1) - 1) < SUMS_TO_ONE).all() else SIGMOID


def declared_output_kind(model) -> str | None:
    """The output kind a Keras model declares with its last layer's activation (softmax →
    "probabilities", sigmoid → "sigmoid", linear → "logits"; a Softmax layer →
    "probabilities"), or None when it does not say (a custom layer, another activation):
    then `output_kind` reads it from the values. The declaration decides the rare batch
    whose values fit two kinds, e.g. logits that all happen to lie in [0, 1]."""
    try:
        layer = model.layers[-1]
    except (AttributeError, IndexError, TypeError):
        return None
    if type(layer).__name__ == "Softmax":
        return PROBABILITIES
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None) if activation is not None else None
    return _ACTIVATION_KINDS.get(str(name)) if name else None


def as_probabilities(outputs: np.ndarray, kind: str | None = None) -> np.ndarray:
    """Model outputs (n, 10) → float32 (n, 10), each row a distribution over the digits,
    read as `kind` (PROBABILITIES, LOGITS or SIGMOID; None: `output_kind(outputs)`):

    * probabilities pass unchanged;
    * logits get a softmax;
    * sigmoid scores are divided by their row's sum (a row of zeros becomes uniform).

    Why sigmoid scores are normalised, not put through a softmax nor shown raw: a softmax
    of scores in [0, 1] squeezes them towards 10% (field report: a 0.96 answer showed as 22%,
    98.5% of MNIST test digits a "close call"; tests/test_sigmoid_models.py's model: 0.98 as
    23%, 100%); raw scores are no distribution (they may sum to
    0.3 or 2.5), while the bars, the confidence, the "close call" rule, the "not sure"
    threshold and the saved drawings all read one. Dividing by the sum keeps the scores'
    order and ratios, so the top digit and the runner-up are the model's own, and a clear
    answer stays clear (0.96 among nine scores of ~0.01 shows as ~91%). The confidence
    shown is this normalised top score, so it is the top bar; what it cannot show is a
    model saying "none of these" with every score low, which normalising scales up."""
    x = np.asarray(outputs, np.float32)
    kind = kind or output_kind(x)
    if kind == PROBABILITIES:
        return x
    if kind == SIGMOID:
        sums = x.sum(axis=1, keepdims=True)
        uniform = np.full_like(x, 0.1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(sums > 0, x / np.where(sums > 0, sums, 1), uniform).astype(np.float32)
    shifted = x - x.max(axis=1, keepdims=True)
    softmax = np.exp(shifted)
    softmax /= softmax.sum(axis=1, keepdims=True)
    return softmax.astype(np.float32)
