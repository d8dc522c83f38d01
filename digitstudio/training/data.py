"""A spec's training data: MNIST's seeded subset and validation split, plus what the
spec adds (restyled copies, real Semeion digits, synthetic and real non-digits), as
arrays ready for model.fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitstudio.data.mnist import MnistData, to_model_input
from digitstudio.data.negatives import make_negatives, soft_targets
from digitstudio.data.real import RealHandwriting, load_real
from digitstudio.data.real_drawings import DigitLikeness, real_non_digits, semeion_digits
from digitstudio.data.styles import apply_styles
from digitstudio.modeling.spec import PIXEL_FACTORS, ModelSpec


@dataclass
class Prepared:
    x_train: np.ndarray
    y_train: np.ndarray
    validation: tuple[np.ndarray, np.ndarray] | None
    x_test: np.ndarray
    y_test: np.ndarray
    held_out: np.ndarray  # uint8 digits the "not sure" threshold is chosen on (validation, else test)
    sample_weight: np.ndarray | None = None  # float32 (n,): each training image's weight in the loss, or None


def prepare_data(spec: ModelSpec, data: MnistData, real: RealHandwriting | None = None) -> Prepared:
    """Take the seeded training subset, split off validation as Keras's validation_split
    would (the last fraction), add restyled copies of some training digits (spec.styles)
    and real Semeion digits (spec.real_digits), append synthetic non-digits
    (spec.negatives) and real ones (spec.real_negatives), weighted spec.negatives_weight in
    the loss (`sample_weight`), normalise (to [0, 1], or 0–255
    for input_scale "raw"); one-hot labels if the loss needs it, soft targets (uniform rows
    for non-digits) when there are non-digits. `real`: the real-handwriting arrays, loaded
    with `load_real()` when the spec needs them and none are given (DataError if that fails)."""
    if (spec.real_negatives or spec.real_digits) and real is None:
        real = load_real()
    x, y = data.x_train, data.y_train
    if spec.train_size is not None and spec.train_size < len(x):
        order = np.random.default_rng(spec.seed).permutation(len(x))[: spec.train_size]
        x, y = x[np.sort(order)], y[np.sort(order)]
    x_val = y_val = None
    if not spec.validate_on_test and spec.validation_split > 0:
        n_val = int(len(x) * spec.validation_split)
        if n_val >= 1 and n_val < len(x):
            x_val, y_val, x, y = x[-n_val:], y[-n_val:], x[:-n_val], y[:-n_val]
    if spec.styles:
        x, y, _ = apply_styles(x, y, seed=spec.seed)
    if spec.real_digits:
        x_real, y_real = semeion_digits(real, spec.real_digits, spec.seed, data.x_train, data.y_train)
        order = np.random.default_rng(spec.seed).permutation(len(x) + len(x_real))
        x, y = np.concatenate([x, x_real])[order], np.concatenate([y.astype(np.uint8), y_real])[order]
    n_neg = int(round(spec.negatives * len(x)))
    if n_neg:
        x = np.concatenate([x, make_negatives(n_neg, seed=spec.seed, digits=x)])
    n_real = int(round(spec.real_negatives * (len(x) - n_neg)))
    if n_real:
        likeness = DigitLikeness(data.x_train, data.y_train, data.x_test, seed=spec.seed)
        x = np.concatenate([x, real_non_digits(real, n_real, spec.seed, likeness)])
        n_neg += n_real
    x_test, y_test = model_pixels(data.x_test, spec.input_scale), _labels(data.y_test, spec)
    validation = (x_test, y_test) if spec.validate_on_test else None
    if x_val is not None:
        validation = (model_pixels(x_val, spec.input_scale), _labels(y_val, spec))
    y_fit = soft_targets(y, n_neg) if n_neg else _labels(y, spec)
    held_out = x_val if x_val is not None else data.x_test
    weights = None
    if n_neg and spec.negatives_weight != 1.0:  # the non-digits are the last n_neg rows
        weights = np.ones(len(x), np.float32)
        weights[len(x) - n_neg:] = spec.negatives_weight
    return Prepared(model_pixels(x, spec.input_scale), y_fit, validation, x_test, y_test, held_out, weights)


def model_pixels(images: np.ndarray, input_scale: str) -> np.ndarray:
    """uint8 (n, 28, 28) → float32 (n, 28, 28, 1) as a spec's model reads them: 0–1 for
    input_scale "unit", times PIXEL_FACTORS["raw"] (0–255) for "raw"."""
    return to_model_input(images) * np.float32(PIXEL_FACTORS[input_scale])


def _labels(y: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """Integer labels for the sparse loss; one-hot rows for categorical cross-entropy,
    which training with non-digits always uses (their targets are not one class)."""
    y = y.astype(np.int64)
    if spec.loss == "categorical_crossentropy" or spec.negatives > 0 or spec.real_negatives > 0:
        return np.eye(10, dtype=np.float32)[y]
    return y
