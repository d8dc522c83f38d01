"""A class challenge's trainings, all submitted at once: the embedded queue against Ray.

12 students press Train within a few seconds of each other, each with a setup inside the
default challenge budget (5,000 images, 3 epochs, ≤ 50,000 parameters: Dense 16–64 with and
without dropout, three optimizers). Measured on this machine:

  embedded   the app's own queue: one training at a time in a worker process (the default)
  Ray        a local Ray head with 2 CPUs: two trainings at once, one CPU (one TensorFlow
             thread) each, in warm actors (training/cluster.py)

and, for Ray: the overhead per training (its submit → its first batch, minus the same on the
embedded queue when nothing waits), and the resident memory of the head's processes
(gcs_server, raylet, and Ray's own Python helpers). Ray runs in a loopback-only network
namespace (the script re-runs itself under `unshare -n` as root, as the tests do).

    python bench/class_challenge.py [--students 12]
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digitstudio.data.mnist import load_mnist  # noqa: E402
from digitstudio.modeling.layers import CATALOGUE, OUTPUT  # noqa: E402
from digitstudio.modeling.spec import ModelSpec, parse_layers  # noqa: E402

DROPOUT = next(kind.name for kind in CATALOGUE.values() if kind.keras_class == "Dropout")
DENSE = OUTPUT.name  # the layer catalogue's Dense kind (modeling/layers.py is its one home)
LAYERS = [f"{DENSE}:16", f"{DENSE}:32", f"{DENSE}:64", f"{DENSE}:32,{DROPOUT}:0.2", f"{DENSE}:48",
          f"{DENSE}:24,{DENSE}:24"]
OPTIMIZERS = [("adam", 0.001), ("rmsprop", 0.001), ("sgd", 0.05)]


def setups(count: int) -> list[ModelSpec]:
    return [ModelSpec(layers=parse_layers(LAYERS[k % len(LAYERS)]), optimizer=OPTIMIZERS[k % 3][0],
                      learning_rate=OPTIMIZERS[k % 3][1], epochs=3, train_size=5000, validation_split=0.1, seed=k)
            for k in range(count)]


def run_class(manager, specs) -> dict:
    submitted = {}
    started = time.perf_counter()
    jobs = []
    for k, spec in enumerate(specs):
        job = manager.submit(spec, label=f"student-{k}", owner=f"student-{k}", snapshots=False)
        submitted[job] = time.perf_counter()
        jobs.append(job)
    first_batch = {}
    while len(first_batch) < len(jobs) or not all(manager.snapshot(j).state.final for j in jobs):
        for job in jobs:
            snapshot = manager.snapshot(job)
            if job not in first_batch and (snapshot.progress.batch > 0 or snapshot.state.final):
                first_batch[job] = time.perf_counter() - submitted[job]
        time.sleep(0.02)
    wall = time.perf_counter() - started
    states = [manager.snapshot(j).state.value for j in jobs]
    return {"wall": wall, "first_batch": first_batch, "states": states}


def head_memory_mb() -> float:
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = open(f"/proc/{entry}/cmdline", "rb").read()
            if any(name in command for name in (b"gcs_server", b"raylet", b"ray/dashboard", b"log_monitor",
                                                 b"ray_client_server", b"runtime_env/agent")):
                for line in open(f"/proc/{entry}/status"):
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--data", help="MNIST .npz (default: $MNIST_NPZ, else Keras's download)")
    args = parser.parse_args(argv)
    names = {name for _, name in socket.if_nameindex()}
    if names != {"lo"}:
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            print("error: Ray must run in a loopback-only network namespace: run as root (unshare -n).",
                  file=sys.stderr)
            return 2
        return subprocess.call(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable,
                                *sys.argv])
    data = load_mnist(args.data)
    specs = setups(args.students)

    from digitstudio.storage.runs import RunStore
    from digitstudio.training.cluster import RayCluster
    from digitstudio.training.queue import TrainingManager

    with tempfile.TemporaryDirectory() as tmp:
        embedded = TrainingManager(RunStore(Path(tmp) / "embedded"), lambda: data,
                                   process_data=functools.partial(load_mnist, args.data))
        embedded.wait(embedded.submit(specs[0].replace(epochs=1), owner="warm-up"), 300)  # the worker's imports
        alone = run_class(embedded, specs[:1])["first_batch"]
        local = run_class(embedded, specs)
        embedded.shutdown()

        ray = Path(sys.executable).with_name("ray")
        port = 6400
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        subprocess.run([str(ray), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
                        "--include-dashboard=false", "--disable-usage-stats"], check=True, env=env,
                       capture_output=True)
        try:
            on_ray = TrainingManager(RunStore(Path(tmp) / "ray"), lambda: data,
                                     cluster=RayCluster(f"127.0.0.1:{port}", lambda: data))
            warm = [on_ray.submit(spec.replace(epochs=1), owner=f"warm-{k}") for k, spec in enumerate(specs[:2])]
            for job in warm:
                on_ray.wait(job, 300)
            ray_alone = run_class(on_ray, specs[:1])["first_batch"]
            remote = run_class(on_ray, specs)
            memory = head_memory_mb()
            on_ray.shutdown()
        finally:
            import ray as ray_api

            ray_api.shutdown()  # the driver leaves before the head stops (else its exit fails)
            subprocess.run([str(ray), "stop", "--force"], env=env, capture_output=True)

    one_local = next(iter(alone.values()))
    one_ray = next(iter(ray_alone.values()))
    print(f"{args.students} class-challenge trainings (5,000 images, 3 epochs, Dense 16–64) submitted at once, "
          f"{os.cpu_count()} CPU cores.\n")
    print("| | wall time until all finish | first batch, the first student | first batch, the last student "
          "| all completed |")
    print("|---|---:|---:|---:|---:|")
    for name, result in (("embedded queue, 1 worker process", local), ("Ray, 2 CPUs (2 actors)", remote)):
        waits = sorted(result["first_batch"].values())
        print(f"| {name} | {result['wall']:.1f} s | {waits[0]:.1f} s | {waits[-1]:.1f} s | "
              f"{result['states'].count('completed')}/{len(result['states'])} |")
    print(f"\nRatio (embedded / Ray): {local['wall'] / remote['wall']:.2f}×.")
    print(f"Submit → first batch with nothing waiting: embedded {one_local:.2f} s, Ray {one_ray:.2f} s "
          f"(Ray's overhead per training: {one_ray - one_local:+.2f} s).")
    print(f"Ray head processes' resident memory: {memory:.0f} MB.")
    print(f"Wall time per training: embedded {local['wall'] / len(specs):.1f} s, Ray "
          f"{remote['wall'] / len(specs):.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
