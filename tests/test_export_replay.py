"""The exported Keras script reproduces the run: learning-rate changes made mid-run are
replayed at the same batch steps (counted over all epochs), and every ModelSpec field is
either used by the script or named in its "Not reproduced" comment."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from digitstudio.export.keras_script import NOT_REPRODUCED, keras_script
from digitstudio.modeling.spec import FIELDS, ModelSpec, SpecError, parse_layers, validate

# 400 images, a tenth held out: 360 train in 6 batches of 64 per epoch, so step 8 is the
# third batch of the second epoch (a script counting batches per epoch never reaches it).
REPLAYED = {
    "no-change": ModelSpec(layers=parse_layers("dense:32:relu,dropout:0.2"), epochs=2, batch_size=64,
                           validation_split=0.1, train_size=400, seed=5),
    "changes-mid-run": ModelSpec(layers=parse_layers("dense:32:relu,dropout:0.2"), epochs=2, batch_size=64,
                                 learning_rate=0.001, validation_split=0.1, train_size=400, seed=5,
                                 lr_changes="2:0.02,8:0.0002"),
    "augmented-sgd-changes": ModelSpec(layers=parse_layers("dense:16:tanh"), optimizer="sgd", momentum=0.9,
                                       learning_rate=0.01, epochs=2, batch_size=50, validation_split=0.0,
                                       train_size=300, augment=True, seed=3, lr_changes="4:0.1,9:0.001"),
}


def run_script(code: str, tmp_path, mnist_path):
    import keras

    script = tmp_path / "train_digits.py"
    script.write_text(code)
    out = tmp_path / "digit_model.keras"
    proc = subprocess.run(
        [sys.executable, str(script), "--data", str(mnist_path), "--out", str(out)],
        cwd=tmp_path, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return keras.saving.load_model(out)


@pytest.mark.parametrize("name", sorted(REPLAYED))
def test_the_exported_script_trains_the_runs_weights(name, tmp_path, mnist, mnist_path):
    from digitstudio.training.fit import train

    spec = validate(REPLAYED[name])
    app = train(spec, mnist)
    assert app.status == "completed"
    assert app.spec.lr_changes == spec.lr_changes  # the run's record keeps the changes it replayed
    exported = run_script(keras_script(app.spec, title=name), tmp_path, mnist_path)
    # Same seed, same batches, same rates at the same steps, op determinism on: the same weights.
    for got, want in zip(exported.get_weights(), app.model.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_without_the_changes_the_weights_differ(tmp_path, mnist, mnist_path):
    """The comparison above can tell: the same run with its changes dropped trains other weights."""
    from digitstudio.training.fit import train

    spec = validate(REPLAYED["changes-mid-run"])
    app = train(spec, mnist)
    dropped = run_script(keras_script(spec.replace(lr_changes="")), tmp_path, mnist_path)
    assert max(float(np.abs(a - b).max()) for a, b in zip(dropped.get_weights(), app.model.get_weights())) > 1e-3


def test_the_script_shows_the_changes_it_replays():
    code = keras_script(REPLAYED["changes-mid-run"])
    assert "LEARNING_RATE_CHANGES = {2: 0.02, 8: 0.0002}" in code
    assert "callbacks=callbacks" in code and "self.epoch * self.steps_per_epoch + batch" in code
    assert "0.02 from batch 2, 0.0002 from batch 8" in code  # the description says so too
    plain = keras_script(REPLAYED["no-change"])
    assert "LearningRateChanges" not in plain and "callbacks" not in plain


# --- every field: used, or named as not reproduced ------------------------------------------------

# Every field's effect is visible: SGD (momentum counts), augmentation on (its settings count),
# some non-digits (mixing them is allowed), a validation split, a subset.
BASE = ModelSpec(layers=parse_layers("conv2d:4:3:relu,maxpool:2,dense:16:relu"), optimizer="sgd", momentum=0.5,
                 learning_rate=0.01, epochs=2, batch_size=64, validation_split=0.1, train_size=1000, augment=True,
                 negatives=0.1, seed=7)


def other_value(field, current):
    """A valid value for `field` other than `current`."""
    if field.type == "bool":
        return not current
    if field.type == "choice":
        return next(choice for choice in field.choices if choice != current)
    if field.type == "schedule":
        return "" if current else "3:0.05"
    if field.optional and current is None:
        return int(field.low * 10) if field.type == "int" else field.low
    step = field.step or 1
    candidates = [current + step, current - step, field.low]
    for value in candidates:
        value = int(value) if field.type == "int" else round(float(value), 6)
        try:
            if value != current and field.check(value) == value:
                return value
        except SpecError:
            continue
    raise AssertionError(f"no other value for {field.name}")


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_every_spec_field_is_used_by_the_script_or_named_as_not_reproduced(field):
    base = validate(BASE)
    changed = validate(base.replace(**{field.name: other_value(field, getattr(base, field.name))}))
    assert keras_script(changed) != keras_script(base), (
        f"the Keras export ignores the spec field {field.name!r}: reproduce it in keras_script.py, or add it "
        "to NOT_REPRODUCED so the script says it is left out")
    if field.name in NOT_REPRODUCED:
        spec = changed if getattr(changed, field.name) else base
        top = keras_script(spec).split("## Setup")[0]
        assert "# Not reproduced in this script" in top and f"{field.label} ({field.flag}" in top


def test_the_layers_are_used_too():
    base = validate(BASE)
    assert keras_script(base.replace(layers=parse_layers("dense:16:relu"))) != keras_script(base)


@pytest.mark.parametrize("name", sorted(NOT_REPRODUCED))
def test_a_not_reproduced_field_is_named_at_the_top_even_without_augmentation(name):
    field = next(f for f in FIELDS if f.name == name)
    spec = ModelSpec(layers=parse_layers("dense:16"), **{name: True if field.type == "bool" else field.step or 1},
                     **({"negatives": 0.1} if name == "negatives_mix" else {}))
    code = keras_script(spec)
    top = code.split("## Setup")[0]
    assert f"{field.label} ({field.flag}" in top
    assert "trains exactly the model" not in top  # the header no longer claims an exact copy
    plain = keras_script(ModelSpec(layers=parse_layers("dense:16")))
    assert "Not reproduced" not in plain and "trains exactly the model" in plain
