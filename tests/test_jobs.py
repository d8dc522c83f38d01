"""The process-wide training queue: real (tiny) trainings on the 2,000-image subset,
stop / cancel / queue positions, NaN, faults inside training, data errors, and that
the worker thread survives all of them."""

from __future__ import annotations

import time

import numpy as np
import pytest

from digitstudio import runtime
from digitstudio.data.mnist import DataError, load_mnist
from digitstudio.modeling import build as models_module
from digitstudio.modeling.spec import ModelSpec, SpecError, parse_layers
from digitstudio.storage.model_files import load_model
from digitstudio.storage.runs import RunStore
from digitstudio.training.jobs import JobLimitError
from digitstudio.training.queue import TrainingManager
from testkit.waiting import WAIT, wait_until

TINY = ModelSpec(layers=parse_layers("dense:16:relu"), optimizer="adam", epochs=1, batch_size=32,
                 train_size=600, validation_split=0.1)
# Long enough to be caught running (each batch is tiny, so stop reacts at once).
LONG = TINY.replace(epochs=200, batch_size=8, train_size=2000)
# SGD at the top of the allowed learning-rate range through four ReLU layers: the
# activations overflow within the first few batches (diverged for 10 of 10 seeds tried).
EXPLODING = ModelSpec(layers=parse_layers("dense:128:relu," * 3 + "dense:128:relu"), optimizer="sgd",
                      learning_rate=10.0, momentum=0.9, epochs=1, batch_size=32, train_size=500,
                      validation_split=0.0, seed=42)


@pytest.fixture
def make_manager(tmp_path, small_mnist):
    managers = []

    def make(load_data=lambda: small_mnist, **kwargs) -> TrainingManager:
        manager = TrainingManager(RunStore(tmp_path / "runs"), load_data, **kwargs)
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        manager.shutdown(wait=True, timeout=WAIT)


def assert_plain(value) -> None:
    """Only JSON-like data may leave the manager (no Keras or NumPy objects)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            assert_plain(item)
    else:
        assert value is None or type(value) in (str, int, float, bool), repr(value)


def test_a_job_completes_and_is_saved_with_a_loadable_model(make_manager, tmp_path):
    manager = make_manager(max_concurrent=1)
    digits = np.zeros((3, 28, 28, 1), np.float32)
    other_model = models_module.build_model(TINY)  # another session's model, in use already
    before = other_model.predict(digits, verbose=0)

    gradients_before = runtime.custom_gradient_names()
    job_id = manager.submit(TINY, label="Tiny MLP", owner="alice")
    snap = manager.wait(job_id, WAIT)
    assert_plain(snap.history)
    assert_plain(snap.curve)
    assert snap.state == "completed", snap.message
    assert snap.queue_position == 0 and snap.owner == "alice"
    assert snap.progress.epoch == 1 and snap.progress.batch == snap.progress.batches
    assert len(snap.history["loss"]) == 1 and len(snap.history["val_accuracy"]) == 1
    assert snap.curve and 0 < snap.curve[-1]["epoch"] <= 1
    assert 0.2 < snap.test_accuracy <= 1  # better than chance (0.1) and snap.params == 16 * 784 + 16 + 170
    assert "test accuracy" in snap.message

    runs = manager.store.list()
    assert [run["id"] for run in runs] == [snap.run_id]
    assert runs[0]["has_model"] and runs[0]["status"] == "completed" and runs[0]["label"] == "Tiny MLP"
    assert load_model(manager.store.model_path(snap.run_id)).predict(digits, verbose=0).shape == (3, 10)
    # Training on the worker thread left the model that was already in use alone.
    np.testing.assert_allclose(other_model.predict(digits, verbose=0), before)
    # TensorFlow's per-trace gradient registrations (which pin each job's graphs in
    # memory) were cleaned up once the worker was idle.
    wait_until(lambda: runtime.custom_gradient_names() <= gradients_before, timeout=15)


def test_a_bad_spec_is_refused_and_nothing_is_queued(make_manager):
    manager = make_manager()
    with pytest.raises(SpecError, match="Learning rate"):
        manager.submit(TINY.replace(learning_rate=50.0))
    with pytest.raises(SpecError):
        manager.submit(TINY.replace(layers=[{"type": "conv2d", "kernel": 40}]))
    assert manager._jobs == {}


def test_stop_mid_run_keeps_and_saves_the_model(make_manager):
    manager = make_manager(max_concurrent=1)
    job_id = manager.submit(LONG, label="long")
    wait_until(lambda: manager.snapshot(job_id).progress.batch > 0)
    assert manager.snapshot(job_id).state == "running"
    assert manager.stop(job_id) is True
    snap = manager.wait(job_id, WAIT)
    assert snap.state == "stopped", snap.message
    assert len(snap.history.get("loss", [])) < LONG.epochs
    assert snap.run_id and manager.store.get(snap.run_id)["has_model"]
    assert manager.stop(job_id) is False  # already finished


def test_queue_positions_and_cancelling_a_queued_job(make_manager):
    manager = make_manager(max_concurrent=1)
    running = manager.submit(LONG, label="first", owner="a")
    second = manager.submit(TINY, label="second", owner="b")
    third = manager.submit(TINY, label="third", owner="c")
    wait_until(lambda: manager.snapshot(running).state == "running")

    assert manager.snapshot(running).queue_position == 0
    assert manager.snapshot(second).queue_position == 1
    assert manager.snapshot(third).queue_position == 2
    assert manager.active_job("c") == third and manager.active_job("nobody") is None

    assert manager.stop(second) is True
    assert manager.snapshot(second).state == "cancelled"
    assert manager.snapshot(third).queue_position == 1

    manager.stop(running)
    assert manager.wait(running, WAIT).state == "stopped"
    assert manager.wait(third, WAIT).state == "completed"
    statuses = sorted(run["status"] for run in manager.store.list())
    assert statuses == ["completed", "stopped"]  # the cancelled job never ran or saved


def test_nan_loss_is_diverged_recorded_without_a_model(make_manager):
    manager = make_manager()
    snap = manager.wait(manager.submit(EXPLODING, label="too fast"), WAIT)
    assert snap.state == "diverged", snap
    assert "NaN" in snap.message and "smaller learning rate" in snap.message
    assert snap.test_accuracy is None
    run = manager.store.get(snap.run_id)
    assert run["status"] == "diverged" and run["has_model"] is False
    assert not manager.store.model_path(snap.run_id).exists()


def test_an_exception_in_training_fails_the_job_and_the_worker_carries_on(make_manager, monkeypatch):
    def broken_build_model(*args, **kwargs):
        raise RuntimeError("graph exploded\nwith a second line nobody needs")

    manager = make_manager(max_concurrent=1)
    monkeypatch.setattr(models_module, "build_model", broken_build_model)
    snap = manager.wait(manager.submit(TINY, label="broken"), WAIT)
    assert snap.state == "failed"
    assert "RuntimeError: graph exploded" in snap.message and "\n" not in snap.message
    run = manager.store.get(snap.run_id)
    assert run["status"] == "failed" and not run["has_model"]
    monkeypatch.undo()

    # The same worker trains the next job; a run that cannot be saved (full disk)
    # completes and says so.
    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(manager.store, "save", full_disk)
    snap = manager.wait(manager.submit(TINY, label="fine"), WAIT)
    assert snap.state == "completed" and snap.run_id is None
    assert "could not be saved" in snap.message


def test_a_data_error_fails_with_how_to_set_mnist_npz(make_manager, tmp_path, small_mnist):
    manager = make_manager(load_data=lambda: load_mnist(tmp_path / "missing.npz"))
    snap = manager.wait(manager.submit(TINY), WAIT)
    assert snap.state == "failed" and "MNIST_NPZ" in snap.message
    assert "missing.npz" in snap.message

    # A data error whose own text does not mention MNIST_NPZ gets the hint added, and
    # the failure is not cached: once the data loads, the next job trains.
    calls = []

    def flaky_loader():
        calls.append(1)
        if len(calls) == 1:
            raise DataError("mnist.npz is missing y_test.")
        return small_mnist

    manager = make_manager(load_data=flaky_loader)
    snap = manager.wait(manager.submit(TINY), WAIT)
    assert snap.state == "failed" and "y_test" in snap.message and "MNIST_NPZ" in snap.message
    assert manager.wait(manager.submit(TINY), WAIT).state == "completed"


def test_finished_jobs_are_bounded_and_their_models_come_from_disk(make_manager):
    manager = make_manager(max_concurrent=1, max_finished=1)
    trained = manager.submit(TINY)
    wait_until(lambda: manager.snapshot(trained).state == "running")
    cancelled = [manager.submit(TINY) for _ in range(3)]
    for job_id in cancelled:
        assert manager.stop(job_id) is True
    assert [manager.snapshot(job_id) is None for job_id in cancelled] == [True, True, False]
    snap = manager.wait(trained, WAIT)
    assert snap.state == "completed"
    assert manager.snapshot(cancelled[-1]) is None  # forgotten: only the newest is kept
    reloaded = load_model(manager.store.model_path(snap.run_id))
    assert reloaded.predict(np.zeros((1, 28, 28, 1)), verbose=0).shape == (1, 10)


def test_one_active_job_per_owner_is_enforced_by_the_queue(make_manager):
    manager = make_manager(max_concurrent=1)
    first = manager.submit(LONG, owner="alice")
    with pytest.raises(JobLimitError, match="already queued or running"):
        manager.submit(TINY, owner="alice")
    other = manager.submit(TINY, owner="bob")  # another session is not held back
    manager.stop(first)
    assert manager.wait(first, WAIT).state in ("stopped", "cancelled")
    again = manager.submit(TINY, owner="alice")  # a finished job frees the place
    assert manager.wait(again, WAIT).state == "completed" and manager.wait(other, WAIT).state == "completed"


def test_pause_holds_between_batches_step_runs_one_and_resume_finishes(make_manager):
    manager = make_manager(max_concurrent=1)
    job_id = manager.submit(LONG.replace(epochs=1), owner="t")
    wait_until(lambda: manager.snapshot(job_id).progress.batch > 0)
    assert manager.pause(job_id) and manager.snapshot(job_id).state == "paused"
    time.sleep(0.5)  # a batch in flight when the pause came may still finish
    held = manager._jobs[job_id].progress.get("batch")
    time.sleep(1.0)
    assert manager.snapshot(job_id).progress.batch == held  # no batch ran while paused
    assert manager.step(job_id) and manager.step(job_id)  # two steps owed
    wait_until(lambda: manager._jobs[job_id].control._steps == 0, timeout=30)
    assert manager.resume(job_id) and not manager.resume(job_id)
    assert manager.wait(job_id, WAIT).state == "completed"


def test_the_worker_survives_a_fault_in_its_own_bookkeeping(make_manager, monkeypatch):
    manager = make_manager(max_concurrent=1)
    calls = []
    original = manager._next_job

    def flaky_next_job():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("bookkeeping broke")
        return original()

    monkeypatch.setattr(manager, "_next_job", flaky_next_job)
    job_id = manager.submit(TINY)
    assert manager.wait(job_id, WAIT).state == "completed"


def test_max_concurrent_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGIT_STUDIO_MAX_TRAININGS", "3")
    assert TrainingManager(RunStore(tmp_path), lambda: None).max_concurrent == 3
    monkeypatch.delenv("DIGIT_STUDIO_MAX_TRAININGS")
    assert TrainingManager(RunStore(tmp_path), lambda: None).max_concurrent == 1
    assert TrainingManager(RunStore(tmp_path), lambda: None, max_concurrent=2).max_concurrent == 2


def test_an_abandoned_pause_resumes_by_itself_so_the_queue_moves(make_manager):
    manager = make_manager(max_concurrent=1)
    job_id = manager.submit(LONG.replace(epochs=1), owner="left-the-room")
    waiting = manager.submit(TINY, owner="next")
    wait_until(lambda: manager.snapshot(job_id).progress.batch > 0)
    manager._jobs[job_id].control.max_hold = 0.5  # seconds, instead of minutes
    assert manager.pause(job_id)
    wait_until(lambda: manager.snapshot(job_id).state == "running", timeout=30)
    assert manager._jobs[job_id].control.resumed_by_itself
    assert manager.wait(job_id, WAIT).state == "completed" and manager.wait(waiting, WAIT).state == "completed"
