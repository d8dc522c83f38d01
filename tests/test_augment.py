"""Augmentation: the settings do what they say, and the sidebar shows it on digits."""

from __future__ import annotations

import numpy as np

from digitstudio.data.augment import augment_examples
from digitstudio.modeling.presets import PRESETS
from digitstudio.modeling.spec import ModelSpec
from testkit.apptest import new_app

DEFAULTS = ModelSpec(layers=[]).augmentation()  # the one home of the defaults: the spec's fields


def test_no_augmentation_leaves_digits_alone_and_the_defaults_change_them(small_mnist):
    digits = small_mnist.x_test[:4]
    still = augment_examples(digits, 3, rotation=0.0, zoom=0.0, shift=0.0, stroke=0.0)
    assert still.shape == (4, 3, 28, 28)
    np.testing.assert_allclose(still, np.repeat(digits[:, None] / 255.0, 3, axis=1), atol=1e-5)
    moved = augment_examples(digits, 3, **DEFAULTS)  # the spec's defaults
    assert np.abs(moved - still).mean() > 0.01
    assert not np.allclose(moved[:, 0], moved[:, 1])  # each copy is a different draw


def test_the_shipped_setup_uses_the_defaults_its_model_was_trained_with():
    assert PRESETS["cnn"].spec.augmentation() == DEFAULTS == {"rotation": 12.0, "zoom": 0.2, "shift": 0.1,
                                                             "stroke": 0.35}


def test_the_sidebar_shows_augmentation_and_its_settings_go_into_the_setup(isolated_app):
    at = new_app().run()
    assert not at.sidebar.get("image")  # drawn on request: Keras's augmentation stays unloaded until then
    at.sidebar.toggle(key="show_augmentation").set_value(True).run()
    rows_before = [c for image in at.sidebar.get("image") for c in image.captions]
    assert "MNIST 7" in rows_before
    at.sidebar.slider(key="f_augment_rotation").set_value(40.0).run()
    assert not at.exception

    assert at.session_state["f_augment_rotation"] == 40.0
    next(b for b in at.sidebar.button if b.label == "Check").click().run()
    assert "parameters" in [s.value for s in at.sidebar.success][0]  # a valid setup with the new setting
