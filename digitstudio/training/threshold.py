"""The "not sure" threshold every trained model gets, chosen on held-out digits.

The rule (`drawing.predict.choose_threshold`): the highest top probability that calls
at most DIGITS_REJECTED (0.25%) of the held-out digits "not sure". It is recorded in
the model's JSON with how many held-out non-digits it rejects, so a person can see
what it costs and buys.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from digitstudio.data.negatives import make_negatives
from digitstudio.drawing.predict import DIGITS_REJECTED, choose_threshold
from digitstudio.modeling.spec import ModelSpec
from digitstudio.training.data import model_pixels

HELD_OUT_NEGATIVES = 500  # non-digits (a seed of their own) the "not sure" threshold is checked on


def pick_threshold(model, spec: ModelSpec, held_out: np.ndarray,
                   probabilities: np.ndarray | None = None) -> dict[str, Any]:
    """The "not sure" threshold: the highest top probability that rejects at most
    DIGITS_REJECTED of the held-out digits (`predict.choose_threshold`), with how many
    of HELD_OUT_NEGATIVES non-digits (their own seed, pairs from the held-out digits) it
    rejects. Every model gets it, trained with non-digits or not. `probabilities`, the
    model's (n, 10) output on `held_out` if the caller has it, saves predicting again."""
    digits = (probabilities if probabilities is not None
              else model.predict(model_pixels(held_out, spec.input_scale), batch_size=1024, verbose=0))
    negatives = make_negatives(HELD_OUT_NEGATIVES, seed=spec.seed + 1, digits=held_out)
    negative_top = model.predict(model_pixels(negatives, spec.input_scale), batch_size=1024, verbose=0).max(axis=1)
    threshold = choose_threshold(digits, DIGITS_REJECTED)
    return {
        "threshold": round(threshold, 6),
        "rule": f"highest threshold that calls at most {DIGITS_REJECTED:.2%} of held-out digits not sure",
        "held_out_digits": int(len(held_out)),
        "digits_rejected": round(float((digits.max(axis=1) < threshold).mean()), 6),
        "held_out_negatives": HELD_OUT_NEGATIVES,
        "negatives_rejected": round(float((negative_top < threshold).mean()), 6),
    }


def record_threshold(model, spec: ModelSpec, held_out: np.ndarray,
                     probabilities: np.ndarray | None = None) -> dict[str, Any]:
    """`pick_threshold`'s record, or {"threshold": None, "error": ...} when choosing one
    fails: the model is still good, it just never says "not sure"."""
    try:
        return pick_threshold(model, spec, held_out, probabilities)
    except Exception as exc:
        return {"threshold": None, "error": f"{type(exc).__name__}: {str(exc).strip()[:200]}"}
