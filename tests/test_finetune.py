"""Fine-tuning on a person's digits: the hold-out split, the replay mix, and finetune() itself
(tiny MLP, a few steps: this checks the mechanics; bench/finetune_benefit.py measures the gain)."""

from __future__ import annotations

import numpy as np
import pytest

from digitstudio.data.extra import NOT_A_DIGIT
from digitstudio.data.negatives import make_negatives, soft_targets
from digitstudio.drawing.predict import DIGITS_REJECTED, choose_threshold
from digitstudio.explain.accuracy import accuracy_by_digit, confusion_matrix, most_confused
from digitstudio.modeling.spec import ModelSpec
from digitstudio.storage.model_files import load_model, threshold_for_model
from digitstudio.storage.runs import RunKind, RunStore
from digitstudio.training.control import TrainingControl
from digitstudio.training.finetune import (
    MIN_DIGITS,
    FinetuneError,
    FinetuneResult,
    FinetuneSettings,
    check_digits,
    finetune,
    finetune_spec,
    finetune_task,
    holdout_split,
    replay_dataset,
    replay_plan,
)

TINY = FinetuneSettings(steps=6, epochs=2, batch_size=16, learning_rate=1e-3)
SPEC = ModelSpec(layers=[{"type": "dense", "units": 16, "activation": "relu"}])


def test_holdout_split_is_stratified_and_disjoint():
    y = np.array([0] * 10 + [1] * 5 + [2] * 2 + [3])
    train, held = holdout_split(y, fraction=0.2, seed=1)
    assert np.intersect1d(train, held).size == 0 and np.union1d(train, held).tolist() == list(range(len(y)))
    held_counts = np.bincount(y[held], minlength=4).tolist()
    assert held_counts == [2, 1, 1, 0]  # 20% of 10, at least one of 5 and of 2, never the only 3
    assert np.bincount(y[train], minlength=4).min() >= 1  # every digit keeps a training example
    assert holdout_split(y, 0.2, seed=1)[1].tolist() == held.tolist()  # seeded
    assert holdout_split(y, 0.2, seed=2)[1].tolist() != held.tolist()
    assert holdout_split(y, 0.0)[1].size == 0
    with pytest.raises(FinetuneError):
        holdout_split(y, 1.0)


def test_replay_plan_is_half_user_half_mnist():
    user, mnist = replay_plan(n_user=7, n_mnist=1000, steps=20, batch_size=10, seed=0)
    assert user.shape == mnist.shape == (20, 5)
    counts = np.bincount(user.reshape(-1), minlength=7)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 100  # every user digit equally often
    assert len(np.unique(mnist)) == 100  # fresh MNIST images, no repeats
    again = replay_plan(7, 1000, 20, 10, seed=0)
    assert np.array_equal(again[0], user) and np.array_equal(again[1], mnist)
    with pytest.raises(FinetuneError):
        replay_plan(0, 1000, 20, 10)


def test_replay_dataset_batches_carry_both_halves():
    user_x = np.full((5, 28, 28), 255, np.uint8)  # all-white user digits, all-black MNIST: easy to tell apart
    mnist_x = np.zeros((100, 28, 28), np.uint8)
    settings = FinetuneSettings(steps=3, batch_size=8, augment=False)
    batches = list(replay_dataset(user_x, np.full(5, 7, np.uint8), mnist_x, np.full(100, 1, np.uint8), settings))
    assert len(batches) == 3
    for images, targets in batches:
        images, targets = images.numpy(), targets.numpy()
        assert images.shape == (8, 28, 28, 1) and images.dtype == np.float32
        assert targets.shape == (8, 10) and targets.dtype == np.float32  # one-hot rows
        assert targets.argmax(1).tolist() == [7] * 4 + [1] * 4 and targets.max(1).tolist() == [1.0] * 8
        assert images[:4].min() == 1.0 and images[4:].max() == 0.0


def test_replay_dataset_teaches_not_a_digit_as_the_uniform_distribution():
    settings = FinetuneSettings(steps=2, batch_size=8, augment=False)
    user_y = np.array([NOT_A_DIGIT, NOT_A_DIGIT, 3], np.uint8)
    batches = list(replay_dataset(np.full((3, 28, 28), 9, np.uint8), user_y, np.zeros((50, 28, 28), np.uint8),
                                  np.full(50, 2, np.uint8), settings))
    user_targets = np.concatenate([targets.numpy()[:4] for _, targets in batches])
    uniform = np.all(np.isclose(user_targets, 0.1), axis=1)
    assert uniform.sum() > 0 and np.all(user_targets[~uniform].argmax(1) == 3)
    assert np.allclose(user_targets.sum(1), 1.0)


def test_check_digits():
    with pytest.raises(FinetuneError, match=f"at least {MIN_DIGITS}"):
        check_digits(np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8))
    with pytest.raises(FinetuneError, match="uint8"):
        check_digits(np.zeros((20, 28, 28), np.float32), np.zeros(20, np.uint8))
    # not-a-digit drawings count towards MIN_DIGITS and come after the digits, labelled NOT_A_DIGIT
    x, y = check_digits(np.zeros((4, 28, 28), np.uint8), np.arange(4, dtype=np.uint8),
                        np.ones((MIN_DIGITS - 4, 28, 28), np.uint8))
    assert len(x) == MIN_DIGITS and y.tolist() == [0, 1, 2, 3] + [NOT_A_DIGIT] * (MIN_DIGITS - 4)
    with pytest.raises(FinetuneError, match="not-a-digit drawings"):
        check_digits(np.zeros((10, 28, 28), np.uint8), np.zeros(10, np.uint8), np.zeros((2, 28, 27), np.uint8))


def test_accuracy_helpers():
    y_true, y_pred = [1, 1, 1, 7, 7, 0], [1, 7, 7, 7, 1, 0]
    report = accuracy_by_digit(y_true, y_pred)
    assert report["overall"] == pytest.approx(0.5) and report["n"] == 6
    assert report["digits"][1] == {"n": 3, "right": 1, "accuracy": pytest.approx(1 / 3)}
    assert report["digits"][5] == {"n": 0, "right": 0, "accuracy": None}
    assert confusion_matrix(y_true, y_pred)[1, 7] == 2
    assert most_confused(y_true, y_pred) == [(1, 7, 2), (7, 1, 1)]
    assert accuracy_by_digit([], [])["overall"] is None


@pytest.fixture(scope="module")
def parent(small_mnist):
    from digitstudio.training.fit import train

    return train(SPEC.replace(epochs=1, train_size=500, validation_split=0.0), small_mnist).model


def user_digits(small_mnist, n: int = 30):
    return small_mnist.x_test[:n], small_mnist.y_test[:n]


def test_finetune_reports_before_after_and_saves_as_a_run(parent, small_mnist, tmp_path):
    x, y = user_digits(small_mnist)
    weights_before = [w.copy() for w in parent.get_weights()]
    events = []
    result = finetune(parent, x, y, small_mnist, parent_id="20250101-my-mlp", parent_spec=SPEC.to_dict(),
                      settings=TINY, on_progress=events.append)
    assert isinstance(result, FinetuneResult) and result.status == "completed", result.message
    assert all(np.array_equal(a, b) for a, b in zip(parent.get_weights(), weights_before))  # parent untouched
    assert result.model is not None and result.model is not parent
    kinds = [type(event).__name__ for event in events]
    assert kinds.count("Epoch") == 2 and kinds[-1] == "Ended"
    assert len(result.history["loss"]) == 2 and "val_accuracy" in result.history  # val = the hold-out

    report = result.comparison()
    held = report["holdout"]
    _, expected_held = holdout_split(y, TINY.holdout_fraction, TINY.seed)
    assert held["indices"] == expected_held.tolist()
    assert sum(held["counts"].values()) == len(expected_held)
    assert report["user_digits_trained"] == 30 - len(expected_held)
    assert 0 <= report["user_before"] <= 1 and 0 <= report["user_after"] <= 1
    assert set(report["user_by_digit"]) == set(range(10))
    assert report["mnist_before"] == pytest.approx(
        np.mean(parent.predict(small_mnist.x_test.astype(np.float32)[..., None] / 255, verbose=0).argmax(1)
                == small_mnist.y_test))
    assert 0 <= report["mnist_after"] <= 1 and result.test_accuracy == report["mnist_after"]
    # one prediction pass gives the test numbers: they match what Keras's evaluate reports
    loss, accuracy = result.model.evaluate(small_mnist.x_test.astype(np.float32)[..., None] / 255,
                                           soft_targets(small_mnist.y_test), verbose=0)
    assert result.test_accuracy == pytest.approx(accuracy, abs=1e-6)
    assert result.test_loss == pytest.approx(loss, rel=1e-4)
    assert result.spec.epochs == TINY.epochs and result.spec.learning_rate == TINY.learning_rate

    record = RunStore(tmp_path).save(result.run_record(RunKind.FINETUNE), result.model, result.label)
    assert record["id"].endswith("fine-tune-of-20250101-my-mlp") and record["has_model"]
    assert record["finetune"]["parent"] == "20250101-my-mlp" and record["status"] == "completed"
    # The fine-tuned model says "not sure" by the same rule as any trained model (issue 10):
    # the highest threshold calling at most DIGITS_REJECTED of MNIST's test digits not sure.
    not_sure = record["not_sure"]
    assert not_sure["held_out_digits"] == len(small_mnist.x_test)
    probs = result.model.predict(small_mnist.x_test.astype(np.float32)[..., None] / 255, verbose=0)
    assert not_sure["threshold"] == pytest.approx(choose_threshold(probs), abs=1e-6)
    assert np.mean(probs.max(axis=1) < not_sure["threshold"]) <= DIGITS_REJECTED
    assert threshold_for_model(RunStore(tmp_path).model_path(record["id"])) == pytest.approx(not_sure["threshold"])
    reloaded = load_model(RunStore(tmp_path).model_path(record["id"]))
    assert np.allclose(reloaded.predict(x[:2, ..., None] / 255, verbose=0),
                       result.model.predict(x[:2, ..., None] / 255, verbose=0), atol=1e-5)


def test_finetune_moves_the_model_towards_the_users_labels(parent, small_mnist):
    # A "person" who writes every digit like MNIST's 3s but calls them 8: after fine-tuning,
    # the model must read more of their held-out 3-like drawings as 8 than before.
    threes = small_mnist.x_train[small_mnist.y_train == 3][:40]
    labels = np.full(len(threes), 8, np.uint8)
    settings = FinetuneSettings(steps=30, epochs=1, batch_size=32, learning_rate=3e-3)
    result = finetune(parent, threes, labels, small_mnist, settings=settings)
    report = result.comparison()
    assert report["user_after"] > report["user_before"]


def test_stop_event_stops_and_keeps_the_model(parent, small_mnist):
    x, y = user_digits(small_mnist)
    stop = TrainingControl()
    stop.stop()
    result = finetune(parent, x, y, small_mnist, settings=TINY, control=stop, mnist_before=0.5)
    assert result.status == "stopped" and result.model is not None
    assert result.mnist_before == 0.5 and len(result.history["loss"]) == 1
    assert result.label == "fine-tune" and result.spec.layers == []  # no parent spec: placeholder


def test_too_few_digits_raise_before_any_work(parent, small_mnist):
    with pytest.raises(FinetuneError, match="at least"):
        finetune(parent, small_mnist.x_test[:5], small_mnist.y_test[:5], small_mnist, settings=TINY)


def test_finetune_task_is_what_a_queue_calls(parent, small_mnist):
    x, y = user_digits(small_mnist)
    x_copy = x.copy()
    ids = list(range(100, 100 + len(y)))
    task = finetune_task(parent, x_copy, y, parent_id="p", parent_spec=SPEC, mnist_before=0.9,
                         drawing_ids=ids, settings=TINY)
    x_copy[:] = 0  # the person deletes or relabels after queueing: the queued task keeps its copy
    events = []
    result = task(small_mnist, on_progress=events.append, control=TrainingControl())
    assert result.status == "completed" and result.label == "fine-tune of p" and type(events[-1]).__name__ == "Ended"
    assert result.spec == finetune_spec(SPEC, TINY) and result.user_digits > 0
    held = result.holdout
    assert held["drawing_ids"] == [ids[i] for i in held["indices"]] and held["drawing_ids"]
    with pytest.raises(FinetuneError):
        finetune_task(parent, x[:3], y[:3])


def test_teaching_not_a_digit_lowers_the_models_confidence_on_them(parent, small_mnist):
    # A class draws non-digits (the synthetic ones of data/negatives.py stand in for them) and
    # labels them "not a digit": on the held-out ones the fine-tuned model's top probability
    # is lower than after the same fine-tune without them (they move toward the uniform
    # distribution), and the report scores them.
    x, y = user_digits(small_mnist, 20)
    others = make_negatives(40, seed=3)
    parent_top = parent.predict(others[..., None].astype(np.float32) / 255, verbose=0).max(1)
    threshold = float(np.median(parent_top))
    settings = FinetuneSettings(steps=100, epochs=2, batch_size=32, learning_rate=3e-3)
    ids = list(range(1, 61))
    result = finetune(parent, x, y, small_mnist, not_digits=others, parent_threshold=threshold,
                      drawing_ids=ids, settings=settings)
    assert result.status == "completed", result.message
    report = result.comparison()
    held = np.array(result.holdout["indices"])
    held_others = held[held >= 20]
    assert report["not_digits"]["n"] == len(held_others) == 8  # 20% of 40
    assert report["user_not_digits_trained"] == 32 and report["user_digits_trained"] == 20 - (len(held) - 8)
    assert report["not_digits"]["before"] == pytest.approx(
        np.mean(parent_top[held_others - 20] < threshold))
    held_images = others[held_others - 20][..., None].astype(np.float32) / 255
    after = result.model.predict(held_images, verbose=0).max(1)
    control = finetune(parent, x, y, small_mnist, settings=settings).model  # the same without them
    assert after.mean() < control.predict(held_images, verbose=0).max(1).mean() - 0.1
    assert report["not_digits"]["after"] == pytest.approx(np.mean(after < result.not_sure["threshold"]))
    assert result.holdout["drawing_ids"] == [ids[i] for i in held]
    assert "32 not-a-digit drawings" in result.data_source
    # only not-a-digit drawings: the MNIST half keeps the digits; nothing to score per digit
    only = finetune(parent, np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), small_mnist,
                    not_digits=others[:12], settings=TINY)
    assert only.status == "completed" and only.comparison()["user_before"] is None
    assert only.not_digits["before"] is None and only.not_digits["n"] == 2
    # no held-out digit: no validation curves (an "accuracy" over no digits would read 0%)
    assert "val_accuracy" not in only.history and "val_loss" not in only.history
