"""'Not sure this is a digit': the threshold rule, where it is recorded, how training
chooses it, and the inputs quoted in issue 10 on the shipped model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digitstudio.drawing.predict import (
    DIGITS_REJECTED,
    choose_threshold,
    describe,
    not_sure_threshold,
)
from digitstudio.drawing.preprocess import preprocess
from digitstudio.modeling.spec import ModelSpec, SpecError, parse_layers, validate
from digitstudio.storage.model_files import threshold_for_model
from testkit.style_strokes import ISSUE_INPUTS, render


def _probs(top: float, digit: int = 3) -> np.ndarray:
    p = np.full(10, (1 - top) / 9)
    p[digit] = top
    return p


def test_describe_says_not_sure_below_the_threshold_and_keeps_the_guesses():
    unsure = describe(_probs(0.4, digit=4), threshold=0.5)
    assert unsure.not_sure and unsure.digit == 4 and unsure.confidence == pytest.approx(0.4)
    assert unsure.runner_up in range(10)
    assert not describe(_probs(0.6), threshold=0.5).not_sure
    assert not describe(_probs(0.5), threshold=0.5).not_sure  # at the threshold: sure
    assert not describe(_probs(0.2)).not_sure  # no threshold: never "not sure"


def test_choose_threshold_rejects_at_most_the_given_share_of_digits():
    rng = np.random.default_rng(0)
    tops = rng.uniform(0.3, 1.0, 1000)
    probs = np.stack([_probs(t) for t in tops])
    threshold = choose_threshold(probs, 0.01)
    rejected = (tops < threshold).mean()
    assert rejected <= 0.01
    assert (tops < np.nextafter(np.sort(tops)[tops.size // 100], 2)).mean() > 0.01  # the highest such
    assert threshold == pytest.approx(np.sort(tops)[10])
    assert choose_threshold(probs[:1], 0.01) == pytest.approx(tops[0])  # one digit: its own top
    assert 0 < DIGITS_REJECTED <= 0.01


def test_threshold_is_read_from_the_models_json(tmp_path):
    model = tmp_path / "digits.keras"
    model.write_bytes(b"")
    assert threshold_for_model(model) is None  # no JSON
    model.with_suffix(".json").write_text(json.dumps({"not_sure": {"threshold": 0.73}}))
    assert threshold_for_model(model) == pytest.approx(0.73)
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.keras").write_bytes(b"")
    (run / "run.json").write_text(json.dumps({"not_sure": None}))
    assert threshold_for_model(run / "model.keras") is None  # an old run: no threshold
    (run / "run.json").write_text("{broken")
    assert threshold_for_model(run / "model.keras") is None
    assert not_sure_threshold({"not_sure": {"threshold": 1.5}}) is None  # not a probability


def test_spec_checks_the_new_fields():
    spec = ModelSpec(layers=parse_layers("dense:8"))
    assert validate(spec.replace(negatives=0.25, styles=True)).negatives == 0.25
    with pytest.raises(SpecError, match="Non-digits must be between 0 and 1"):
        validate(spec.replace(negatives=2))
    with pytest.raises(SpecError, match="styles must be true or false"):
        validate(spec.replace(styles="yes"))
    assert ModelSpec.from_json(spec.replace(styles=True, negatives=0.1).to_json()).negatives == 0.1


def test_training_with_styles_and_negatives_records_a_threshold(small_mnist):
    from digitstudio.training.fit import train

    spec = ModelSpec(layers=parse_layers("dense:32"), epochs=1, train_size=400, validation_split=0.25,
                     styles=True, negatives=0.2, seed=3)
    result = train(spec, small_mnist)
    assert result.status == "completed", result.message
    info = result.metrics()["not_sure"]
    assert 0.0 < info["threshold"] <= 1.0
    assert info["held_out_digits"] == 100 and info["digits_rejected"] <= DIGITS_REJECTED
    assert 0.0 <= info["negatives_rejected"] <= 1.0
    assert 0.0 <= result.history["accuracy"][0] <= 1.0  # digits only (see digit_accuracy)
    assert result.test_accuracy is not None


@pytest.mark.parametrize("name", sorted(ISSUE_INPUTS))
def test_issue_inputs_read_right_or_not_sure(shipped, name):
    predictor = shipped
    expected, drawing = ISSUE_INPUTS[name]
    result = preprocess(render(drawing))
    assert result.status == "ok"
    prediction = predictor.predict(result.image)
    if expected is None:
        assert prediction.not_sure, f"{name}: read as {prediction.digit} at {prediction.confidence:.0%}"
    else:
        assert not prediction.not_sure and prediction.digit == expected, (
            f"{name}: read as {prediction.digit} at {prediction.confidence:.0%}")


def test_words_for_a_not_sure_answer():
    from digitstudio.drawing.predict import FLAT
    from ui.charts import a_digit, highlighted

    assert [a_digit(d) for d in (4, 8, 0)] == ["a 4", "an 8", "a 0"]
    flat = describe(np.full(10, 0.1), threshold=0.4)
    leaning = describe(np.array([0.35, 0.3] + [0.35 / 8] * 8), threshold=0.4)
    sure = describe(np.array([0.9] + [0.1 / 9] * 9), threshold=0.4)
    assert flat.not_sure and flat.flat and flat.confidence < FLAT and highlighted(flat) is None
    assert leaning.not_sure and not leaning.flat and highlighted(leaning) == 0  # a "?" that still leans names it
    assert not sure.flat and highlighted(sure) == 0
