"""Trainings on a real local Ray cluster (training/cluster.py through the queue).

Ray advertises the machine's own network address even when told 127.0.0.1, so these
tests run only inside a network namespace that holds nothing but loopback (scripts/test.sh
runs them as root under `unshare -n` with `ip link set lo up`); anywhere else they skip
and say so. The fixture starts a Ray head of its own and stops it at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from digitstudio.modeling.spec import ModelSpec, parse_layers
from digitstudio.storage.model_files import load_model
from digitstudio.storage.runs import RunStore
from digitstudio.training.queue import TrainingManager

pytestmark = pytest.mark.ray

SPEC = ModelSpec(layers=parse_layers("dense:16:relu,dropout:0.2"), epochs=2, batch_size=32, train_size=600,
                 validation_split=0.1, seed=3)
WAIT = 300


def loopback_only() -> bool:
    """True when every network interface here is loopback (a `unshare -n` namespace)."""
    try:
        names = {name for _, name in socket.if_nameindex()}  # this network namespace's interfaces
    except OSError:
        return False
    return names == {"lo"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ray_command() -> str | None:
    here = Path(os.sys.executable).with_name("ray")
    return str(here) if here.exists() else shutil.which("ray")


@pytest.fixture(scope="module")
def ray_head():
    if not loopback_only():
        pytest.skip("Ray tests SKIPPED: they need a loopback-only network namespace (as root: unshare -n, then "
                    "ip link set lo up; scripts/test.sh does this)")
    ray = ray_command()
    if ray is None:
        pytest.fail("ray is not installed (it is pinned in requirements.txt)")
    port = free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    subprocess.run([ray, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
                    "--include-dashboard=false", "--disable-usage-stats"], check=True, env=env,
                   capture_output=True, timeout=120)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True, timeout=120)


@pytest.fixture
def managers(ray_head, tmp_path, small_mnist):
    from digitstudio.training.cluster import RayCluster

    made = []

    def make(on_ray: bool) -> TrainingManager:
        cluster = RayCluster(ray_head, lambda: small_mnist) if on_ray else None
        manager = TrainingManager(RunStore(tmp_path / ("ray" if on_ray else "here")), lambda: small_mnist,
                                  cluster=cluster)
        made.append(manager)
        return manager

    yield make
    for manager in made:
        manager.shutdown()


def weights(manager, run_id):
    return load_model(manager.store.model_path(run_id)).get_weights()


def wait_until(predicate, timeout=WAIT, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError("timed out")


def test_two_trainings_at_once_on_ray_learn_what_they_learn_here(managers):
    here, there = managers(False), managers(True)
    specs = [SPEC, SPEC.replace(seed=4, layers=parse_layers("dense:24:relu"))]
    remote = [there.submit(spec, label=f"ray-{i}", owner=f"student-{i}") for i, spec in enumerate(specs)]
    wait_until(lambda: sum(there.snapshot(j).state == "running" for j in remote) == 2 or all(
        there.snapshot(j).state.final for j in remote))
    assert there.max_concurrent == 2, "as many at once as the cluster has CPUs"
    for job, spec in zip(remote, specs, strict=True):
        done = there.wait(job, WAIT)
        local = here.wait(here.submit(spec, label="here"), WAIT)
        assert done.state == local.state == "completed", (done.message, local.message)
        for a, b in zip(weights(there, done.run_id), weights(here, local.run_id), strict=True):
            np.testing.assert_array_equal(a, b)
        assert done.insides and done.curve, "live snapshots and curves came back from the cluster"



def test_teach_the_models_fine_tune_runs_on_ray_and_learns_what_it_learns_here(managers):
    """The fine-tune carries its parent's file as bytes: a lab PC needs no shared folder."""
    from digitstudio.training.finetune import FinetuneSettings, finetune_spec, finetune_task
    from digitstudio.training.jobs import JobKind

    here, there = managers(False), managers(True)
    parent = here.wait(here.submit(SPEC, label="parent"), WAIT)
    assert parent.state == "completed", parent.message
    data = here._get_data()
    settings = FinetuneSettings(steps=4, epochs=2, batch_size=16, seed=1)
    task = finetune_task(here.store.model_path(parent.run_id), data.x_test[:60], data.y_test[:60],
                         parent_id=parent.run_id, parent_spec=SPEC, settings=settings)
    done = [manager.wait(manager.submit(finetune_spec(SPEC, settings), task=task, kind=JobKind.FINETUNE), WAIT)
            for manager in (here, there)]
    assert [d.state for d in done] == ["completed", "completed"], [d.message for d in done]
    for a, b in zip(weights(here, done[0].run_id), weights(there, done[1].run_id), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)

def test_pause_step_learning_rate_and_stop_work_across_ray(managers):
    manager = managers(True)
    job = manager.submit(SPEC.replace(epochs=20, train_size=2000), label="controlled", owner="student")
    wait_until(lambda: manager.snapshot(job).progress.batch > 0)
    assert manager.pause(job, owner="student")
    wait_until(lambda: manager.snapshot(job).insides and manager.snapshot(job).insides[-1].kind == "step")
    held = manager.snapshot(job).progress
    time.sleep(0.5)
    assert manager.snapshot(job).progress == held, "nothing runs while paused"
    manager.set_learning_rate(job, 0.01, owner="student")
    assert manager.step(job, owner="student")
    wait_until(lambda: manager.snapshot(job).lr_changes)
    step, rate = manager.snapshot(job).lr_changes[-1]
    assert rate == 0.01 and step == (held.epoch - 1) * held.batches + held.batch
    assert manager.resume(job, owner="student") and manager.stop(job, owner="student")
    done = manager.wait(job, WAIT)
    assert done.state == "stopped" and done.run_id and done.spec.lr_changes == f"{step}:0.01"


def test_a_lost_ray_worker_fails_its_job_in_one_line_and_the_next_one_runs(managers):
    manager = managers(True)
    job = manager.submit(SPEC.replace(epochs=50, train_size=2000), label="doomed", owner="student")
    wait_until(lambda: manager.snapshot(job).progress.batch > 0)
    actors = [pid for pid in _pids() if b"TrainingActor" in _cmdline(pid)]
    assert actors, "the training runs in a Ray actor"
    for pid in actors:
        os.kill(pid, signal.SIGKILL)
    failed = manager.wait(job, WAIT)
    assert failed.state == "failed" and "Ray worker" in failed.message and "\n" not in failed.message
    after = manager.wait(manager.submit(SPEC, label="next", owner="student"), WAIT)
    assert after.state == "completed", after.message


UNREACHABLE = """
import sys
from digitstudio.data.mnist import MnistData
import numpy as np
from digitstudio.modeling.spec import ModelSpec, parse_layers
from digitstudio.storage.runs import RunStore
from digitstudio.training import cluster
from digitstudio.training.queue import TrainingManager
cluster.CONNECT_TIMEOUT = 5.0
data = MnistData(np.zeros((20, 28, 28), np.uint8), np.arange(20) % 10, np.zeros((10, 28, 28), np.uint8),
                 np.arange(10) % 10, "none")
manager = TrainingManager(RunStore(sys.argv[2]), lambda: data, cluster=cluster.RayCluster(sys.argv[1], lambda: data))
done = manager.wait(manager.submit(ModelSpec(layers=parse_layers("dense:4"), epochs=1)), 120)
print(done.state.value, "|", done.message)
"""


def test_an_unreachable_cluster_fails_the_job_in_one_line(ray_head, tmp_path):
    """In a process of its own: a process joins one Ray cluster at most."""
    done = subprocess.run([os.sys.executable, "-c", UNREACHABLE, f"127.0.0.1:{free_port()}", str(tmp_path)],
                          capture_output=True, text=True, timeout=240, cwd=Path(__file__).resolve().parents[1],
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    assert line.startswith("failed |") and "Could not reach the Ray cluster" in line, line


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _cmdline(pid: int) -> bytes:
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return b""
