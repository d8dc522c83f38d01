"""Look inside a digit model: test-set evaluation, learned weights, activations, saliency.

Pure logic (NumPy + TensorFlow/Keras, no Streamlit), shared by the app's "Inside
the model" view, the tests and bench/inspect_speed.py. Works for every model the
layer editor can build (keras.Sequential, input 28×28×1 in [0, 1], 10-way softmax
output), including models loaded from .keras files. Every forward pass runs the
layers with ``training=False``: Dropout is off and BatchNormalization uses its
learned statistics, exactly as when the app predicts.

    evaluate(predictor, x_test_uint8, y_test)  -> Evaluation
    first_layer_weights(model)                 -> ("units", (units, 28, 28)) | ("filters", (filters, k, k)) | None
    layer_activations(model, image28)          -> [LayerActivation(name, kind, activation), ...]
    saliency(model, image28, class_index=None) -> float32 (28, 28), signed

Probabilities always come from `Predictor` (digitstudio/drawing/predict.py), the one
forward path of the app: a model ending in logits gets the same softmax in every view.
A Keras model passed where a predictor is expected is wrapped in one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from digitstudio.data.mnist import to_model_input
from digitstudio.drawing.predict import Predictor
from digitstudio.explain.accuracy import confusion_matrix, most_confused
from digitstudio.modeling.layers import kind_of_keras_layer

# --- input handling --------------------------------------------------------------------

def as_image28(image: np.ndarray) -> np.ndarray:
    """A single digit as float32 (28, 28) in [0, 1]: accepts uint8 0–255 or float 0–1,
    shaped (28, 28), (28, 28, 1), (1, 28, 28, 1) or (784,)."""
    x = np.asarray(image)
    if x.size != 784:
        raise ValueError(f"expected one 28×28 image, got shape {x.shape}")
    return to_model_input(x.reshape(28, 28))[0, :, :, 0]


def _model_batch(model: Any, x: np.ndarray) -> np.ndarray:
    """(n, 28, 28, 1) float32 → the shape the model's input wants ((28,28,1), (28,28) or (784,))."""
    try:
        want = tuple(model.input_shape[1:])
    except Exception:
        want = (28, 28, 1)
    if any(d is None for d in want) or math.prod(want) != 784:
        want = (28, 28, 1)
    return np.ascontiguousarray(x.reshape((len(x),) + want), dtype=np.float32)


def layer_kind(layer: Any, is_last: bool = False) -> str:
    """The catalogue's name for a Keras layer (see modeling/layers.py), 'output' for the
    model's last layer, else the Keras class name in lower case."""
    if is_last:
        return "output"
    kind = kind_of_keras_layer(layer)
    return kind.name if kind else type(layer).__name__.lower()


def layer_role(layer: Any) -> str:
    """The catalogue's role for a Keras layer ("weights", "identity", …), else "other"."""
    kind = kind_of_keras_layer(layer)
    return kind.role if kind else "other"


def _layers(model: Any) -> list[Any]:
    """The model's layers in order, without the InputLayer."""
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


# --- evaluation ------------------------------------------------------------------------

@dataclass
class Evaluation:
    """How a model does on a labelled test set."""

    accuracy: float  # fraction correct, 0–1
    per_class_accuracy: np.ndarray  # (10,) fraction correct per true digit; NaN if a digit is absent
    confusion: np.ndarray  # (10, 10) int64 counts; rows = true digit, columns = predicted digit
    predictions: np.ndarray  # (n,) int64 predicted digit
    confidences: np.ndarray  # (n,) float32 probability of the predicted digit
    misclassified: np.ndarray  # (k,) int64 indices into the test set, most confident mistakes first
    labels: np.ndarray  # (n,) int64 true digits
    probabilities: np.ndarray  # (n, 10) float32
    seconds: float = 0.0  # time the forward passes took

    @property
    def n(self) -> int:
        return int(len(self.labels))

    @property
    def errors(self) -> int:
        return int(len(self.misclassified))

    def most_confused(self, k: int = 3) -> list[tuple[int, int, int]]:
        """The k most common mistakes as (true digit, predicted digit, count), count > 0."""
        return most_confused(self.labels, self.predictions, k)


def as_predictor(model_or_predictor: Any) -> Predictor:
    """A Predictor as it is, or a Keras model wrapped in one (no warm-up)."""
    if hasattr(model_or_predictor, "probabilities"):
        return model_or_predictor
    return Predictor(model_or_predictor, warm_up=False)


def predict_probabilities(predictor: Any, images: np.ndarray) -> np.ndarray:
    """Probabilities (n, 10) float32 for uint8 (n, 28, 28) or float [0, 1] images, through
    the Predictor (batched direct calls, training=False; softmax for logits)."""
    x = to_model_input(images)
    if len(x) == 0:
        return np.zeros((0, 10), np.float32)
    return as_predictor(predictor).probabilities(x).reshape(-1, 10)


def evaluation_from_probabilities(probabilities: np.ndarray, y_true: np.ndarray,
                                  seconds: float = 0.0) -> Evaluation:
    """Build an Evaluation from softmax outputs already computed (e.g. at training time)."""
    probs = np.asarray(probabilities, dtype=np.float32)
    y = np.asarray(y_true).astype(np.int64).reshape(-1)
    if probs.shape != (len(y), 10):
        raise ValueError(f"probabilities must be ({len(y)}, 10), not {probs.shape}")
    pred = probs.argmax(axis=1).astype(np.int64)
    conf = probs[np.arange(len(y)), pred] if len(y) else np.zeros(0, np.float32)
    confusion = confusion_matrix(y, pred)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), np.nan)
    wrong = np.flatnonzero(pred != y)
    wrong = wrong[np.argsort(-conf[wrong], kind="stable")]
    accuracy = float(np.trace(confusion) / len(y)) if len(y) else float("nan")
    return Evaluation(
        accuracy=accuracy, per_class_accuracy=per_class.astype(np.float64), confusion=confusion,
        predictions=pred, confidences=conf.astype(np.float32), misclassified=wrong.astype(np.int64),
        labels=y, probabilities=probs, seconds=seconds,
    )


def evaluate(predictor: Any, x_test: np.ndarray, y_test: np.ndarray) -> Evaluation:
    """Accuracy, per-class accuracy, confusion matrix and mistakes on a test set
    (uint8 (n, 28, 28) images, integer labels 0–9), by a Predictor or a Keras model."""
    started = time.perf_counter()
    probs = predict_probabilities(predictor, x_test)
    return evaluation_from_probabilities(probs, y_test, seconds=time.perf_counter() - started)


# --- what it learned -------------------------------------------------------------------

def first_weighted_layer(model: Any) -> Any | None:
    """The first layer with weights on the pixels, a Dense or Conv2D (normalisation,
    Flatten or Dropout before it are skipped)."""
    for layer in _layers(model):
        if layer_role(layer) == "weights":
            return layer
    return None


def first_layer_weights(model: Any) -> tuple[str, np.ndarray] | None:
    """What the first layer looks for in the pixels.

    ("units", (units, 28, 28)): each first-layer neuron's weight per pixel (a Dense layer);
    ("filters", (filters, k, k)): each first convolution filter (summed over input
    channels, which is the single grey channel here); None when neither applies.
    """
    layer = first_weighted_layer(model)
    if layer is None:
        return None
    kernel = np.asarray(layer.get_weights()[0], dtype=np.float32)
    if kernel.ndim == 2 and kernel.shape[0] == 784:  # (pixels, units)
        return "units", np.ascontiguousarray(kernel.T.reshape(-1, 28, 28))
    if kernel.ndim == 4:  # (k, k, in_channels, filters) → (filters, k, k)
        return "filters", np.ascontiguousarray(kernel.sum(axis=2).transpose(2, 0, 1))
    return None


# --- activations -----------------------------------------------------------------------

class LayerActivation(NamedTuple):
    name: str  # the Keras layer name, e.g. "dense_3"
    kind: str  # see layer_kind()
    activation: np.ndarray  # float32, this layer's output for the image, without the batch axis


def layer_activations(model: Any, image28: np.ndarray) -> list[LayerActivation]:
    """Every layer's output for one image, in order (the last one is the 10 probabilities).
    Runs the layers one after another with training=False."""
    import tensorflow as tf

    h = tf.constant(_model_batch(model, as_image28(image28)[None, :, :, None]))
    layers = _layers(model)
    out = []
    for i, layer in enumerate(layers):
        h = layer(h, training=False)
        out.append(LayerActivation(layer.name, layer_kind(layer, i == len(layers) - 1),
                                   np.asarray(h, dtype=np.float32)[0]))
    return out


# --- saliency --------------------------------------------------------------------------

def _logits(model: Any, x: Any) -> Any:
    """Pre-softmax scores. For a final Dense+softmax they are computed from its kernel;
    otherwise log-probabilities stand in (they differ from logits by a constant per image)."""
    import tensorflow as tf

    layers = _layers(model)
    h = x
    for layer in layers[:-1]:
        h = layer(h, training=False)
    last = layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if layer_role(last) == "weights" and activation == "softmax" and len(last.get_weights()) in (1, 2):
        z = tf.matmul(h, last.kernel)
        if getattr(last, "use_bias", False) and last.bias is not None:
            z = z + last.bias
        return z
    p = last(h, training=False)
    return tf.math.log(tf.clip_by_value(tf.cast(p, tf.float32), 1e-30, 1.0))


def predicted_class(predictor: Any, image28: np.ndarray) -> tuple[int, np.ndarray]:
    """(predicted digit, probabilities (10,)) for one image, by a Predictor or a Keras model."""
    probs = predict_probabilities(predictor, as_image28(image28)[None])[0]
    return int(probs.argmax()), probs


SALIENCY_METHODS = ("gradient_x_input", "gradient")


def saliency(model: Any, image28: np.ndarray, class_index: int | None = None, *,
             method: str = "gradient_x_input", samples: int = 24, noise: float = 0.15,
             seed: int = 0) -> np.ndarray:
    """Which pixels pushed the model toward `class_index` (default: its prediction).

    The score is the class's margin over the other digits, z_c − logsumexp(z_others),
    computed from the logits (so it never saturates the way a softmax does). Its
    gradient w.r.t. the 28×28 input is averaged over `samples` noisy copies of the image
    (SmoothGrad, Gaussian noise of std `noise`; samples=0 gives the plain gradient).

    method "gradient_x_input": gradient × pixel value — how much each pixel's ink
    counted (positive: toward the class, negative: against); zero where there is no ink.
    method "gradient": the gradient itself — where adding ink would raise (positive) or
    lower (negative) the class's score.

    Returns float32 (28, 28), signed, in the score's units (not normalised).
    """
    import tensorflow as tf

    if method not in SALIENCY_METHODS:
        raise ValueError(f"method must be one of {SALIENCY_METHODS}, not {method!r}")
    image = as_image28(image28)
    if class_index is None:
        class_index = predicted_class(model, image)[0]
    class_index = int(class_index)
    if not 0 <= class_index < 10:
        raise ValueError(f"class_index must be 0–9, not {class_index}")
    batch = image[None]
    if samples > 0:
        rng = np.random.default_rng(seed)
        noisy = image[None] + rng.normal(0.0, noise, (samples, 28, 28)).astype(np.float32)
        batch = np.concatenate([batch, noisy])
    x = tf.Variable(_model_batch(model, batch[..., None]))
    mask = tf.one_hot([class_index], 10, dtype=tf.float32)
    with tf.GradientTape() as tape:
        z = tf.cast(_logits(model, x), tf.float32)
        others = tf.reduce_logsumexp(z + mask * -1e9, axis=1)
        score = tf.reduce_sum(z[:, class_index] - others)
    grad = np.asarray(tape.gradient(score, x), dtype=np.float32).reshape(len(batch), 28, 28)
    grad = grad.mean(axis=0)
    if method == "gradient_x_input":
        grad = grad * image
    return np.nan_to_num(grad.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
