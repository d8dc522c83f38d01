"""Mixture outlier exposure (data/mixing.py): what a mixed non-digit is, and that a
training with it runs and replays."""

from __future__ import annotations

import numpy as np
import pytest

from digitstudio.data.mixing import UNIFORM, mix_negatives
from digitstudio.modeling.spec import ModelSpec, SpecError, validate


def _batch(n_digits: int = 32, n_negatives: int = 32):
    """Digits of solid ink (1.0) and non-digits of half ink (0.5): a mixture shows its box."""
    images = np.concatenate([np.ones((n_digits, 28, 28, 1), np.float32),
                             np.full((n_negatives, 28, 28, 1), 0.5, np.float32)])
    labels = np.concatenate([np.eye(10, dtype=np.float32)[np.arange(n_digits) % 10],
                             np.full((n_negatives, 10), UNIFORM, np.float32)])
    return images, labels


def _mix(images, labels, share=1.0, seed=42, step=3):
    import tensorflow as tf

    out, targets = mix_negatives(tf.constant(images), tf.constant(labels), share, seed, tf.constant(step, tf.int64))
    return out.numpy(), targets.numpy()


def test_a_mixed_non_digit_is_a_digit_under_a_box_of_it_and_its_target_follows_the_ink():
    images, labels = _batch()
    out, targets = _mix(images, labels)
    np.testing.assert_array_equal(out[:32], images[:32])  # digits untouched
    np.testing.assert_array_equal(targets[:32], labels[:32])
    mixed = [i for i in range(32, 64) if (out[i] != 0.5).any()]
    assert len(mixed) >= 8  # about half pair with a digit in this batch
    for i in mixed:
        box = out[i, ..., 0] == 0.5
        rows, cols = np.nonzero(box)
        assert box.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1) if box.any() else True  # one rectangle
        assert np.all(out[i, ..., 0][~box] == 1.0)  # the digit outside the box
        kept, pasted = (~box).sum() * 1.0, box.sum() * 0.5
        weight = kept / (kept + pasted)  # the digit's ink left / (that + the ink pasted in)
        digit = int(targets[i].argmax())
        assert targets[i, digit] == pytest.approx(weight + (1 - weight) * UNIFORM, abs=1e-5)
        assert targets[i].sum() == pytest.approx(1.0, abs=1e-5)
        others = np.delete(targets[i], digit)
        np.testing.assert_allclose(others, (1 - weight) * UNIFORM, atol=1e-6)
    for i in set(range(32, 64)) - set(mixed):  # paired with a non-digit: unchanged
        np.testing.assert_array_equal(targets[i], labels[i])


def test_a_box_of_empty_paper_leaves_the_target_whole():
    images, labels = _batch()
    images[32:] = 0.0  # non-digits with no ink: the box only hides part of the digit
    out, targets = _mix(images, labels)
    mixed = [i for i in range(32, 64) if out[i].any()]
    assert mixed and any(out[i].sum() < 28 * 28 for i in mixed)  # ink was covered
    for i in mixed:
        assert targets[i].max() == pytest.approx(1.0, abs=1e-6)  # as random erasing: still that digit


def test_share_zero_changes_nothing_and_the_mixing_replays_per_batch():
    images, labels = _batch()
    out, targets = _mix(images, labels, share=0.0)
    np.testing.assert_array_equal(out, images)
    np.testing.assert_array_equal(targets, labels)
    again = _mix(images, labels)
    np.testing.assert_array_equal(again[0], _mix(images, labels)[0])  # same seed and batch: same
    assert not np.array_equal(again[0], _mix(images, labels, step=4)[0])  # the next batch differs


def test_the_spec_field_is_checked():
    assert validate(ModelSpec(layers=[], negatives=0.1, negatives_mix=0.5)).negatives_mix == 0.5
    with pytest.raises(SpecError, match="Mixed non-digits must be between 0 and 1"):
        validate(ModelSpec(layers=[], negatives=0.1, negatives_mix=1.5))
    with pytest.raises(SpecError, match="Mixed non-digits needs non-digits to mix: set Non-digits above 0"):
        validate(ModelSpec(layers=[], negatives_mix=0.5))


def test_a_training_with_mixed_non_digits_runs_and_replays(small_mnist):
    from digitstudio.training.fit import train

    spec = ModelSpec(layers=[{"type": "dense", "units": 16, "activation": "relu"}],
                     epochs=1, train_size=400, negatives=0.2, negatives_mix=0.5, augment=False, seed=3)
    first, second = train(spec, small_mnist), train(spec, small_mnist)
    assert first.status == "completed", first.message
    assert first.history["loss"] == second.history["loss"]  # same seed, same mixtures
    plain = train(spec.replace(negatives_mix=0.0), small_mnist)
    assert plain.history["loss"] != first.history["loss"]  # the mixing changed what it learned from
