"""Watching a training: pause/step/resume leave the result unchanged, a learning rate
changed mid-run is applied, recorded and replayed, and the insides are snapshotted.
Real (tiny) trainings on the 2,000-image subset, on a thread as in the app."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from digitstudio.modeling.cli import command_line
from digitstudio.modeling.spec import ModelSpec, SpecError, parse_layers, validate
from digitstudio.storage.runs import RunStore
from digitstudio.training.control import TrainingControl
from digitstudio.training.events import Batch, LearningRate, Snapshot
from digitstudio.training.fit import train
from digitstudio.training.jobs import ControlError
from digitstudio.training.queue import TrainingManager
from digitstudio.training.snapshots import MAX_UNITS, load_insides
from testkit.waiting import WAIT, wait_until

# 600 images, 10% validation → 540 training images = 17 batches of 32 per epoch.
TINY = ModelSpec(layers=parse_layers("dense:16:relu"), optimizer="adam", epochs=2, batch_size=32,
                 train_size=600, validation_split=0.1, seed=7)
BATCHES = 17


def weights_of(result) -> list[np.ndarray]:
    return [np.asarray(w) for w in result.model.get_weights()]


class Watched:
    """train() on a thread, started paused, with its events collected."""

    def __init__(self, spec: ModelSpec, data, snapshots: bool = False, drawing=None):
        self.control = TrainingControl()
        self.control.pause()
        self.events: list[dict] = []
        self.result = None

        def run():
            self.result = train(spec, data, on_progress=self.events.append, control=self.control,
                                snapshots=snapshots, drawing=drawing)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def holds(self) -> int:
        return sum(1 for event in self.events if isinstance(event, Batch) and event.eta is None
                   and event.point is None)

    def step_and_wait(self) -> None:
        before = self.holds()
        self.control.step()
        wait_until(lambda: self.holds() > before)

    def finish(self):
        self.control.resume()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        return self.result


def test_pause_step_resume_gives_the_same_final_weights_as_an_uninterrupted_run(small_mnist):
    """With dropout (seeded randomness in every batch) and snapshots on in the watched run:
    neither the holds nor the snapshots' inference passes change what is learned."""
    spec = TINY.replace(layers=parse_layers("dense:16:relu,dropout:0.3"))
    plain = train(spec, small_mnist)
    watched = Watched(spec, small_mnist, snapshots=True)
    wait_until(lambda: watched.holds() == 1)  # held before the very first batch
    for _ in range(3):
        watched.step_and_wait()
    held = [event for event in watched.events if isinstance(event, Batch) and event.point is None]
    assert [event.batch for event in held] == [0, 1, 2, 3]  # exactly one batch per Step
    time.sleep(0.3)
    assert watched.holds() == 4  # nothing runs while held
    result = watched.finish()
    assert plain.status == result.status == "completed"
    for a, b in zip(weights_of(plain), weights_of(result), strict=True):
        np.testing.assert_array_equal(a, b)
    assert result.spec.lr_changes == ""  # nothing changed, nothing recorded


def test_a_learning_rate_changed_while_paused_applies_at_the_next_batch_and_replays(small_mnist):
    plain = train(TINY, small_mnist)
    watched = Watched(TINY, small_mnist)
    wait_until(lambda: watched.holds() == 1)
    for _ in range(5):
        watched.step_and_wait()
    watched.control.set_learning_rate(0.05)
    watched.step_and_wait()  # batch 5 (the sixth) is the first with the new rate
    lr_events = [event for event in watched.events if isinstance(event, LearningRate)]
    assert [(event.step, event.lr) for event in lr_events] == [(5, 0.05)]
    live = watched.finish()
    assert live.spec.lr_changes == "5:0.05"
    assert float(np.asarray(live.model.optimizer.learning_rate)) == pytest.approx(0.05)
    assert "--lr-changes 5:0.05" in command_line(live.spec)

    replayed = train(ModelSpec.from_dict(live.spec.to_dict()), small_mnist)  # as from run.json
    for a, b in zip(weights_of(live), weights_of(replayed), strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(weights_of(plain), weights_of(live), strict=True))


def test_lr_changes_are_checked_and_need_the_constant_schedule():
    assert validate(TINY.replace(lr_changes="40:0.001, 3:1e-2")).lr_changes == "3:0.01,40:0.001"
    for bad in ("3", "3:fast", "-1:0.1", "3:0.1,3:0.2", "3:50"):
        with pytest.raises(SpecError, match="Learning-rate changes"):
            validate(TINY.replace(lr_changes=bad))
    with pytest.raises(SpecError, match="constant LR schedule"):
        validate(TINY.replace(lr_changes="3:0.01", lr_schedule="cosine"))


def test_snapshots_every_epoch_and_every_hold_with_the_drawing(small_mnist):
    drawing = small_mnist.x_test[0].astype(np.float32) / 255
    watched = Watched(TINY, small_mnist, snapshots=True, drawing=drawing)
    wait_until(lambda: watched.holds() == 1)
    watched.step_and_wait()
    result = watched.finish()
    kinds = [(shot.kind, shot.step) for shot in result.insides]
    assert kinds == [("step", 0), ("step", 1), ("epoch", BATCHES), ("epoch", 2 * BATCHES)]
    last = result.insides[-1]
    assert last.epoch == 2.0 and last.confusion.shape == (10, 10)
    assert last.confusion.sum() == 60  # the 10% validation split of 600
    assert last.weights.shape == (MAX_UNITS, 28, 28) and last.weights.dtype == np.float16
    assert last.probabilities.shape == (11, 10)  # one of each digit, then the drawing
    np.testing.assert_allclose(last.probabilities.astype(np.float32).sum(axis=1), 1, atol=0.01)
    assert not np.array_equal(result.insides[0].weights, last.weights)
    events = [event.insides for event in watched.events if isinstance(event, Snapshot)]
    assert events == result.insides


def test_snapshots_are_saved_with_the_run_and_read_back(small_mnist, tmp_path):
    manager = TrainingManager(RunStore(tmp_path / "runs"), lambda: small_mnist, max_concurrent=1)
    try:
        conv = TINY.replace(layers=parse_layers("conv2d:4:3,maxpool:2,dense:8:relu"), epochs=1)
        snap = manager.wait(manager.submit(conv, owner="a", drawing=np.ones((28, 28)) * 0.5), WAIT)
    finally:
        manager.shutdown()
    assert snap.state == "completed" and len(snap.insides) == 1
    path = manager.store.insides_path(snap.run_id)
    size = path.stat().st_size
    print(f"\ninsides.npz for a 1-epoch conv2d:4:3 run: {size} bytes")
    replay = load_insides(path)
    shot, saved = snap.insides[0], replay.insides[0]
    assert saved.kind == "epoch" and saved.step == shot.step and saved.epoch == 1.0
    np.testing.assert_array_equal(saved.confusion, shot.confusion)
    assert saved.weights.shape == (4, 3, 3)  # the four 3×3 filters
    scale = np.abs(shot.weights.astype(np.float32)).max()
    np.testing.assert_allclose(saved.weights.astype(np.float32), shot.weights.astype(np.float32),
                               atol=scale / 127 + 1e-3)
    assert replay.digits.shape == (11, 28, 28) and list(replay.digit_labels) == [*range(10), -1]
    assert replay.digits[-1].max() == pytest.approx(0.5, abs=0.01)


def _paused_job(manager, spec, owner):
    job = manager.submit(spec, owner=owner)
    wait_until(lambda: manager.snapshot(job).state == "running")
    assert manager.pause(job, owner=owner)
    wait_until(lambda: any(shot.kind == "step" for shot in manager.snapshot(job).insides))  # it holds
    return job


def test_the_queue_lets_only_the_owner_control_a_job_and_refuses_what_cannot_work(small_mnist, tmp_path):
    manager = TrainingManager(RunStore(tmp_path / "runs"), lambda: small_mnist, max_concurrent=1)
    try:
        job = _paused_job(manager, TINY.replace(epochs=50), "alice")
        assert not manager.resume(job, owner="bob") and not manager.step(job, owner="bob")
        assert not manager.stop(job, owner="bob") and not manager.pause(job, owner="bob")
        with pytest.raises(ControlError, match="not yours"):
            manager.set_learning_rate(job, 0.01, owner="bob")
        with pytest.raises(ControlError, match="Learning rate must be"):
            manager.set_learning_rate(job, 50, owner="alice")
        held = manager.snapshot(job).progress
        assert manager.step(job, owner="alice")
        wait_until(lambda: len(manager.snapshot(job).insides) >= 2)
        after = manager.snapshot(job).progress
        assert (after.epoch - 1) * after.batches + after.batch == (held.epoch - 1) * held.batches + held.batch + 1
        manager.set_learning_rate(job, 0.02, owner="alice")
        assert manager.step(job, owner="alice")
        wait_until(lambda: manager.snapshot(job).lr_changes)
        snap = manager.snapshot(job)
        assert snap.learning_rate == 0.02 and snap.lr_changes[0][1] == 0.02
        assert manager.stop(job, owner="alice")
        done = manager.wait(job, WAIT)
        assert done.state == "stopped" and done.spec.lr_changes == f"{snap.lr_changes[0][0]}:0.02"
        assert manager.store.get(done.run_id)["spec"]["lr_changes"] == done.spec.lr_changes
        with pytest.raises(ControlError, match="already ended"):
            manager.set_learning_rate(job, 0.01, owner="alice")

        cosine = _paused_job(manager, TINY.replace(epochs=50, lr_schedule="cosine"), "carol")
        with pytest.raises(ControlError, match="cosine"):
            manager.set_learning_rate(cosine, 0.01, owner="carol")
        manager.stop(cosine)
    finally:
        manager.shutdown()


def test_the_recorded_command_replays_the_learning_rate_changes():
    import shlex

    import train as cli

    spec = validate(TINY.replace(lr_changes="5:0.05,40:0.001"))
    argv = shlex.split(command_line(spec))
    assert "--lr-changes" in argv
    assert cli.spec_from_args(cli.parse_args(argv[2:])) == spec
    with pytest.raises(SystemExit):
        cli.parse_args(["--lr-changes"])  # the option needs a value


def test_hold_snapshots_are_capped_and_epoch_snapshots_all_kept(monkeypatch):
    from digitstudio.training import snapshots

    monkeypatch.setattr(snapshots, "MAX_HOLD_SNAPSHOTS", 3)
    empty = dict(confusion=np.zeros((10, 10), np.int32), weights=np.zeros((0, 28, 28)), probabilities=np.zeros((0, 10)))
    kept: list = []
    for step in range(10):
        snapshots.keep(kept, snapshots.Insides(epoch=step, step=step, kind="epoch" if step % 4 == 0 else "step",
                                               **empty))
    assert [s.step for s in kept] == [0, 4, 6, 7, 8, 9]  # epochs 0, 4, 8 and the newest three holds


def test_only_each_owners_newest_finished_job_keeps_its_snapshots_in_memory(small_mnist, tmp_path):
    manager = TrainingManager(RunStore(tmp_path / "runs"), lambda: small_mnist, max_concurrent=1)
    try:
        first = manager.wait(manager.submit(TINY.replace(epochs=1), owner="a"), WAIT)
        other = manager.wait(manager.submit(TINY.replace(epochs=1), owner="b"), WAIT)
        second = manager.wait(manager.submit(TINY.replace(epochs=1), owner="a"), WAIT)
    finally:
        manager.shutdown()
    assert first.insides and other.insides and second.insides
    assert manager.snapshot(first.job_id).insides == () and manager.snapshot(first.job_id).probe is None
    assert manager.snapshot(other.job_id).insides and manager.snapshot(second.job_id).insides
    assert manager.store.insides_path(first.run_id).is_file()  # still on disk


def test_run_json_has_what_the_curves_need_to_place_the_rate_changes(small_mnist):
    result = train(TINY.replace(epochs=1, lr_changes="3:0.01"), small_mnist)
    info = result.metrics()
    assert info["batches_per_epoch"] == BATCHES and info["spec"]["lr_changes"] == "3:0.01"
