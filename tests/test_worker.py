"""Trainings in a worker process (training/worker.py through the queue): the same weights
as in the app's own process, every control across the process boundary, and a worker that
dies mid-training."""

from __future__ import annotations

import functools
import os
import signal
import time

import numpy as np
import pytest

from digitstudio.data.mnist import load_npz
from digitstudio.modeling.spec import ModelSpec, parse_layers
from digitstudio.storage.model_files import load_model
from digitstudio.storage.runs import RunStore
from digitstudio.training.queue import TrainingManager

SPEC = ModelSpec(layers=parse_layers("dense:16:relu,dropout:0.2"), epochs=2, batch_size=32, train_size=600,
                 validation_split=0.1, seed=3)
WAIT = 240


def wait_until(predicate, timeout=WAIT, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError("timed out")


@pytest.fixture
def managers(tmp_path, mnist_path, small_mnist):
    made = []

    def make(process: bool) -> TrainingManager:
        manager = TrainingManager(RunStore(tmp_path / ("process" if process else "thread")), lambda: small_mnist,
                                  process_data=functools.partial(_small, str(mnist_path)) if process else None)
        made.append(manager)
        return manager

    yield make
    for manager in made:
        manager.shutdown()


def _small(path: str):
    """The same 2,000/500 subset as the small_mnist fixture, loaded in the worker process."""
    from conftest import SMALL_TEST, SMALL_TRAIN

    from digitstudio.data.mnist import MnistData

    full = load_npz(path)
    rng = np.random.default_rng(0)
    train = np.sort(rng.permutation(len(full.x_train))[:SMALL_TRAIN])
    test = np.sort(rng.permutation(len(full.x_test))[:SMALL_TEST])
    return MnistData(full.x_train[train], full.y_train[train], full.x_test[test], full.y_test[test],
                     source=f"{full.source} (subset {SMALL_TRAIN}/{SMALL_TEST})")


def weights(manager: TrainingManager, run_id: str) -> list[np.ndarray]:
    return load_model(manager.store.model_path(run_id)).get_weights()


def test_a_training_in_a_worker_process_learns_exactly_what_it_learns_here(managers):
    here, there = managers(False), managers(True)
    local = here.wait(here.submit(SPEC, label="here", drawing=np.zeros((28, 28))), WAIT)
    remote = there.wait(there.submit(SPEC, label="there", drawing=np.zeros((28, 28))), WAIT)
    assert local.state == remote.state == "completed", (local.message, remote.message)
    for a, b in zip(weights(here, local.run_id), weights(there, remote.run_id), strict=True):
        np.testing.assert_array_equal(a, b)
    same = {key for key in local.history if key != "seconds"}  # seconds differ, the metrics do not
    assert {k: remote.history[k] for k in same} == {k: local.history[k] for k in same}
    assert len(remote.insides) == len(local.insides) > 0
    assert there.store.logs_path(remote.run_id).is_dir()  # TensorBoard logs moved into the run


def test_pause_step_learning_rate_and_stop_reach_the_worker_process(managers):
    manager = managers(True)
    job = manager.submit(SPEC.replace(epochs=20, train_size=2000), label="controlled")
    wait_until(lambda: manager.snapshot(job).progress.batch > 0)
    assert manager.pause(job)
    wait_until(lambda: manager.snapshot(job).insides and manager.snapshot(job).insides[-1].kind == "step")
    held = manager.snapshot(job).progress
    time.sleep(0.5)
    assert manager.snapshot(job).progress == held, "nothing runs while paused"
    manager.set_learning_rate(job, 0.01)
    assert manager.step(job)
    wait_until(lambda: manager.snapshot(job).lr_changes)
    step, rate = manager.snapshot(job).lr_changes[-1]
    assert rate == 0.01 and step == (held.epoch - 1) * held.batches + held.batch
    assert manager.resume(job) and manager.stop(job)
    done = manager.wait(job, WAIT)
    assert done.state == "stopped" and done.run_id and done.spec.lr_changes == f"{step}:0.01"


def test_a_worker_process_killed_mid_training_fails_that_job_in_one_line_and_the_next_runs(managers):
    manager = managers(True)
    job = manager.submit(SPEC.replace(epochs=50, train_size=2000), label="doomed")
    wait_until(lambda: manager.snapshot(job).progress.batch > 0)
    pids = [pid for pid in _children() if b"spawn_main" in open(f"/proc/{pid}/cmdline", "rb").read()]
    assert pids, "the training runs in a child process"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    failed = manager.wait(job, WAIT)
    assert failed.state == "failed" and "stopped unexpectedly" in failed.message and "\n" not in failed.message
    after = manager.wait(manager.submit(SPEC, label="next"), WAIT)
    assert after.state == "completed", after.message


def _children() -> list[int]:
    """Process ids of this process's children (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.append(int(entry))
    return found


def test_a_fine_tune_of_a_model_file_runs_in_the_worker_process_like_here(managers):
    """Teach the model's fine-tune is plain data (the parent's .keras file's bytes, the
    drawings), so it runs where trainings run (a worker process, a Ray actor on another
    machine), and learns what it learns here."""
    import pickle

    from digitstudio.training.finetune import (
        FinetuneError,
        FinetuneSettings,
        FinetuneTask,
        finetune_spec,
        finetune_task,
    )
    from digitstudio.training.jobs import JobKind

    here, there = managers(False), managers(True)
    parent = here.wait(here.submit(SPEC, label="parent"), WAIT)
    assert parent.state == "completed", parent.message
    path = str(here.store.model_path(parent.run_id))
    data = here._get_data()
    x, y = data.x_test[:60], data.y_test[:60]
    settings = FinetuneSettings(steps=4, epochs=2, batch_size=16, seed=1)
    task = finetune_task(path, x, y, parent_id=parent.run_id, parent_spec=SPEC, settings=settings)
    assert isinstance(task, FinetuneTask) and pickle.loads(pickle.dumps(task)).model_file == open(path, "rb").read()
    results = []
    for manager in (here, there):
        job = manager.submit(finetune_spec(SPEC, settings), label="fine-tune", task=task, kind=JobKind.FINETUNE)
        results.append(manager.wait(job, WAIT))
    assert [r.state for r in results] == ["completed", "completed"], [r.message for r in results]
    for a, b in zip(weights(here, results[0].run_id), weights(there, results[1].run_id), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(FinetuneError, match=r"could not be read \(gone\.keras: No such file"):
        finetune_task(path.replace("model.keras", "gone.keras"), x, y, settings=settings)


def test_a_learning_rate_search_runs_in_the_worker_process(managers):
    from digitstudio.training.lr_finder import submit_range_test

    there = managers(True)
    done = there.wait(submit_range_test(there, SPEC, owner="me", num_batches=30), WAIT)
    assert done.state == "completed", done.message
    assert len(done.details["rates"]) == len(done.details["losses"]) > 10
