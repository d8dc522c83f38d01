"""How fast do Pause, Step and Stop act on a running training, with the app busy?

The seed MLP (Dense 512, batch 128) trains on 20,000 MNIST images through the app's
training queue, in the app's process ("thread") and in a worker process ("process",
the default; training/worker.py), while LOAD threads keep the app's process busy the
way drawing students do (each predicts a digit with the shipped model in a loop). Each
control is timed from the call (what a button's callback does) to its effect:

  Pause   until the training holds (its hold event arrives)
  Step    until exactly one more batch has run and it holds again
  Stop    until the job has ended (stopped, its model saved)

and the batches that ran after Pause was asked. Goal: each within one batch, ≤ 0.5 s.

    python bench/control_latency.py [--repeats 5] [--load 4]
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digitstudio.data.mnist import load_mnist  # noqa: E402
from digitstudio.modeling.presets import PRESETS  # noqa: E402

SPEC = PRESETS["seed-mlp"].spec.replace(epochs=50, train_size=20_000)


def wait_for(predicate, timeout=120.0, step=0.002):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return time.perf_counter()
        time.sleep(step)
    raise TimeoutError


def holds(manager, job) -> int:
    snapshot = manager.snapshot(job)
    return sum(1 for shot in snapshot.insides if shot.kind == "step") if snapshot else 0


def measure(manager, repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"pause": [], "step": [], "stop": [], "batches after pause": []}
    for _ in range(repeats):
        _measure_once(manager, times)
    return times


def _measure_once(manager, times: dict[str, list[float]]) -> None:
    job = manager.submit(SPEC, label="latency", owner="bench")
    wait_for(lambda: manager.snapshot(job).progress.batch > 5)
    before = holds(manager, job)
    progress = manager.snapshot(job).progress
    asked = time.perf_counter()
    manager.pause(job, owner="bench")
    held = wait_for(lambda: holds(manager, job) > before)
    times["pause"].append(held - asked)
    after = manager.snapshot(job).progress
    times["batches after pause"].append((after.epoch - progress.epoch) * after.batches + after.batch
                                        - progress.batch)
    before = holds(manager, job)
    asked = time.perf_counter()
    manager.step(job, owner="bench")
    stepped = wait_for(lambda: holds(manager, job) > before)
    times["step"].append(stepped - asked)
    manager.resume(job, owner="bench")
    time.sleep(0.5)
    asked = time.perf_counter()
    manager.stop(job, owner="bench")
    manager.wait(job, 120)
    times["stop"].append(time.perf_counter() - asked)


def busy(stop: threading.Event) -> None:
    """A drawing student: one prediction after another with the shipped model."""
    import numpy as np

    from digitstudio.storage.model_files import load_predictor

    predictor = load_predictor(ROOT / "model" / "digit_cnn.keras")
    image = np.zeros((28, 28), np.float32)
    while not stop.is_set():
        predictor.probabilities(image)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--load", type=int, default=4, help="busy threads in the app's process (default 4)")
    parser.add_argument("--data", help="MNIST .npz (default: $MNIST_NPZ, else Keras's download)")
    args = parser.parse_args(argv)
    data = load_mnist(args.data)

    from digitstudio.storage.runs import RunStore
    from digitstudio.training.queue import TrainingManager

    stop = threading.Event()
    load = [threading.Thread(target=busy, args=(stop,), daemon=True) for _ in range(args.load)]
    for thread in load:
        thread.start()
    print(f"Seed MLP, batch {SPEC.batch_size}, {SPEC.train_size:,} images; {args.load} busy threads in the app's "
          f"process; {args.repeats} repeats; median (max) seconds.\n")
    print("| where the training runs | Pause | Step | Stop | batches after Pause |")
    print("|---|---:|---:|---:|---:|")
    try:
        for mode in ("thread", "process"):
            with tempfile.TemporaryDirectory() as tmp:
                manager = TrainingManager(RunStore(tmp), lambda: data, process_data=functools.partial(
                    load_mnist, args.data) if mode == "process" else None)
                if mode == "process":  # start the worker (imports TensorFlow) before timing anything
                    manager.wait(manager.submit(SPEC.replace(epochs=1, train_size=500), owner="warm-up"), 300)
                times = measure(manager, args.repeats)
                manager.shutdown()
            cells = [f"{statistics.median(v):.2f} ({max(v):.2f})" for k, v in times.items()
                     if k != "batches after pause"]
            after = times["batches after pause"]
            print(f"| {mode} | " + " | ".join(cells) + f" | {statistics.median(after):.0f} ({max(after):.0f}) |",
                  flush=True)
    finally:
        stop.set()
    print(f"\n{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
