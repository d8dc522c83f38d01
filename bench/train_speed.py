"""Seconds per epoch: Digit Studio's training path vs a bare `model.fit`.

    python bench/train_speed.py                       # seed-mlp on all 60,000, cnn on 20,000
    python bench/train_speed.py --presets cnn --epochs 5 --train-size 20000
    python bench/train_speed.py --epochs 1 --train-size 2000 --json bench/results/speed.json

For each preset the same spec (augmentation off, so both paths see the same arrays) is
trained by every path in `PATHS`, each with its own freshly built model:

  fit    build_model + prepare_data + `model.fit(..., verbose=0)` with only an epoch
         timer callback (epoch hooks only: Keras keeps dispatching batches asynchronously)
  train  `digitstudio.training.train` with a progress callback that keeps every event,
         as train.py does
  app    the Streamlit app's path: a job submitted to `digitstudio.jobs.TrainingManager`
         (worker thread, progress under a lock, run saved to a runs folder) while this
         thread polls `snapshot()` twice a second, as the app's live panel does;
         snapshots of the insides off
  snapshots  the app's path as the app runs it: snapshots on (one inference pass over
         ~510 images per epoch, see digitstudio/training/snapshots.py), with a drawing

Two more measurements, on their own:
  --paused SECONDS   CPU time this process uses while a job is paused (goal: ~0)
  --snapshot-cost    seconds one snapshot takes (median of 20) and its size on disk, per
                     preset: the snapshots path's whole overhead is this once per epoch
  --lr-finder        wall time of the learning-rate range test for each preset (goal < 20 s
                     for seed-mlp), through the queue as the app runs it

The first epoch of every run is a warm-up (tracing, caches) and is excluded; the
figure reported is the median of the timed epochs (robust to a busy moment). The
ratio train/fit is the overhead of our path; the goal is <= 1.05. Timings are only
meaningful on an otherwise idle machine: the load average is printed with the results.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitstudio.data.mnist import ENV_VAR, MnistData, load_mnist  # noqa: E402
from digitstudio.modeling.presets import PRESETS  # noqa: E402
from digitstudio.modeling.spec import ModelSpec, validate  # noqa: E402

# Training-set size per preset unless --train-size is given (None = all 60,000).
DEFAULT_TRAIN_SIZE = {"seed-mlp": None, "cnn": 20_000}
GOAL = 1.05


def time_fit(spec: ModelSpec, data: MnistData) -> list[float]:
    """Baseline: the same model and arrays through a bare model.fit."""
    import keras

    from digitstudio.modeling.build import build_model
    from digitstudio.training.data import prepare_data
    from digitstudio.training.fit import set_determinism

    set_determinism(spec.seed)  # train() does this too; op determinism is process-wide
    prepared = prepare_data(spec, data)
    model = build_model(spec, steps_per_epoch=math.ceil(len(prepared.x_train) / spec.batch_size))
    seconds: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.started)

    model.fit(prepared.x_train, prepared.y_train, batch_size=spec.batch_size, epochs=spec.epochs,
              shuffle=True, validation_data=prepared.validation, callbacks=[EpochTimer()], verbose=0)
    return seconds


def time_train(spec: ModelSpec, data: MnistData) -> list[float]:
    """Our path: training.train with a progress callback (history['seconds'] is per epoch)."""
    from digitstudio.training.fit import train

    events: list[dict] = []
    result = train(spec, data, on_progress=events.append)
    if result.status != "completed":
        raise SystemExit(f"training.train ended {result.status}: {result.message}")
    return result.history["seconds"]


def time_app(spec: ModelSpec, data: MnistData, snapshots: bool = False) -> list[float]:
    """The app's path: TrainingManager job + a poller like the live panel (every 0.5 s)."""
    import tempfile

    from digitstudio.storage.runs import RunStore
    from digitstudio.training.queue import TrainingManager

    with tempfile.TemporaryDirectory() as runs:
        manager = TrainingManager(RunStore(runs), lambda: data, max_concurrent=1)
        drawing = data.x_test[0] / 255.0 if snapshots else None
        job = manager.submit(spec, label="bench", snapshots=snapshots, drawing=drawing)
        while (snapshot := manager.snapshot(job)).state.active:
            time.sleep(0.5)
        manager.shutdown()
    if snapshot.state != "completed":
        raise SystemExit(f"the app's job ended {snapshot.state}: {snapshot.message}")
    return snapshot.history["seconds"]


# Every path timed, in order; ratios are against "fit".
# A path takes (spec, data) and returns seconds for each epoch, warm-up included.
PATHS: dict[str, Callable[[ModelSpec, MnistData], list[float]]] = {
    "fit": time_fit,
    "train": time_train,
    "app": time_app,
    "snapshots": lambda spec, data: time_app(spec, data, snapshots=True),
}


def paused_cpu(spec: ModelSpec, data: MnistData, seconds: float) -> dict:
    """CPU seconds (user + system, this whole process: every TF thread) used over
    `seconds` of wall time while a job is paused, after it has settled into its hold."""
    import tempfile

    from digitstudio.storage.runs import RunStore
    from digitstudio.training.queue import TrainingManager

    with tempfile.TemporaryDirectory() as runs:
        manager = TrainingManager(RunStore(runs), lambda: data, max_concurrent=1)
        job = manager.submit(spec.replace(epochs=100), label="bench")
        while manager.snapshot(job).progress.batch == 0:
            time.sleep(0.05)
        manager.pause(job)
        while not any(shot.kind == "step" for shot in manager.snapshot(job).insides):
            time.sleep(0.05)
        time.sleep(0.5)  # let the async batch-end callbacks drain
        before_batch, cpu, wall = manager.snapshot(job).progress, time.process_time(), time.perf_counter()
        time.sleep(seconds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after_batch = manager.snapshot(job).progress
        manager.stop(job)
        manager.shutdown()
    return {"cpu_seconds": round(cpu, 4), "wall_seconds": round(wall, 2),
            "batches_while_paused": (after_batch.epoch - before_batch.epoch) * after_batch.batches
            + after_batch.batch - before_batch.batch}


def snapshot_cost(spec: ModelSpec, data: MnistData) -> dict:
    """One snapshot's time (median of 20, after a warm-up) and bytes in insides.npz."""
    import tempfile

    from digitstudio.modeling.build import build_model
    from digitstudio.training.data import prepare_data
    from digitstudio.training.snapshots import make_probe, save_insides

    prepared = prepare_data(spec, data)
    model = build_model(spec)
    x_sample, y_sample = prepared.validation or (prepared.x_test, prepared.y_test)
    probe = make_probe(x_sample, y_sample, prepared.x_test, prepared.y_test, prepared.x_test[0, ..., 0])
    probe.take(model, 0, 0, "epoch")
    seconds = []
    for i in range(20):
        started = time.perf_counter()
        shot = probe.take(model, i, i, "epoch")
        seconds.append(time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as folder:
        one = save_insides(Path(folder) / "one.npz", [shot], probe)
    # Uncompressed bytes one more snapshot adds (uint8 weights, uint16 confusion, float16
    # probabilities, epoch/step/kind/scale): an upper bound (npz compression only shrinks it).
    raw = shot.weights.size + shot.confusion.size * 2 + shot.probabilities.size * 2 + 4 + 8 + 1 + 4
    return {"seconds": round(statistics.median(seconds), 4), "bytes_first": one, "bytes_per_snapshot_raw": raw}


def lr_finder_seconds(spec: ModelSpec, data: MnistData) -> dict:
    """Wall time of the range test through the queue (data already in memory)."""
    import tempfile

    from digitstudio.storage.runs import RunStore
    from digitstudio.training.lr_finder import submit_range_test
    from digitstudio.training.queue import TrainingManager

    with tempfile.TemporaryDirectory() as runs:
        manager = TrainingManager(RunStore(runs), lambda: data, max_concurrent=1)
        started = time.perf_counter()
        snapshot = manager.wait(submit_range_test(manager, spec), 600)
        seconds = time.perf_counter() - started
        manager.shutdown()
    return {"seconds": round(seconds, 2), "batches": len(snapshot.details.get("rates", [])),
            "suggestion": snapshot.details.get("suggestion"), "state": snapshot.state.value}


def bench_spec(name: str, epochs: int, train_size: int | None) -> ModelSpec:
    spec = PRESETS[name].spec.replace(augment=False, epochs=epochs + 1, train_size=train_size)
    return validate(spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"local MNIST .npz (default: ${ENV_VAR}, else Keras download)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per path, after one warm-up (default 3)")
    parser.add_argument("--train-size", type=int,
                        help="training images for every preset (default: all for seed-mlp, 20,000 for cnn)")
    parser.add_argument("--presets", default="seed-mlp,cnn", help="comma-separated presets (default seed-mlp,cnn)")
    parser.add_argument("--paths", default=",".join(PATHS), help=f"paths to time (default {','.join(PATHS)})")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time every path this many times, alternating their order (default 1)")
    parser.add_argument("--paused", type=float, metavar="SECONDS",
                        help="instead: measure the CPU a paused job uses over SECONDS (e.g. 5)")
    parser.add_argument("--snapshot-cost", action="store_true",
                        help="instead: time one snapshot of the insides and measure its size")
    parser.add_argument("--lr-finder", action="store_true",
                        help="instead: time the learning-rate range test for each preset")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.presets.split(",") if n.strip()]
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    for name in names:
        if name not in PRESETS:
            parser.error(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    for path in paths:
        if path not in PATHS:
            parser.error(f"unknown path {path!r}; choose from {', '.join(PATHS)}")
    if args.epochs < 1 or args.repeat < 1:
        parser.error("--epochs and --repeat must be at least 1")
    data = load_mnist(args.data)

    load_before = os.getloadavg()[0]
    print(f"data {data.source}; {os.cpu_count()} CPUs; load average {load_before:.2f}"
          + ("  (busy machine: timings unreliable)" if load_before > 0.5 * (os.cpu_count() or 1) else ""),
          flush=True)
    results = []
    if args.paused or args.lr_finder or args.snapshot_cost:
        for name in names:
            train_size = args.train_size if args.train_size is not None else DEFAULT_TRAIN_SIZE.get(name)
            spec = bench_spec(name, args.epochs, train_size)
            if args.paused:
                row = {"preset": name, "paused": paused_cpu(spec, data, args.paused)}
                print(f"{name:<18} paused job: {row['paused']['cpu_seconds']:.3f} s CPU over "
                      f"{row['paused']['wall_seconds']:.1f} s (whole process), "
                      f"{row['paused']['batches_while_paused']} batches ran", flush=True)
            elif args.snapshot_cost:
                row = {"preset": name, "snapshot": snapshot_cost(spec, data)}
                cost = row["snapshot"]
                print(f"{name:<18} one snapshot: {cost['seconds'] * 1000:.1f} ms; insides.npz "
                      f"{cost['bytes_first']:,} bytes with one (fixed digits included), at most "
                      f"{cost['bytes_per_snapshot_raw']:,} bytes per further snapshot", flush=True)
            else:
                row = {"preset": name, "lr_finder": lr_finder_seconds(spec, data)}
                found = row["lr_finder"]
                print(f"{name:<18} range test: {found['seconds']:.1f} s for {found['batches']} batches, "
                      f"suggests {found['suggestion']}", flush=True)
            results.append(row)
        names = []
    for name in names:
        train_size = args.train_size if args.train_size is not None else DEFAULT_TRAIN_SIZE.get(name)
        spec = bench_spec(name, args.epochs, train_size)
        row = {"preset": name, "train_size": spec.train_size or 60_000, "epochs_timed": args.epochs,
               "batch_size": spec.batch_size, "seconds_per_epoch": {}, "all_epochs": {}}
        timed: dict[str, list[float]] = {path: [] for path in paths}
        row["all_epochs"] = {path: [] for path in paths}
        for rep in range(args.repeat):
            # Alternate the order so neither path always runs first (warm caches, drift).
            for path in (paths if rep % 2 == 0 else paths[::-1]):
                seconds = PATHS[path](spec, data)
                timed[path] += seconds[1:]
                row["all_epochs"][path].append([round(s, 3) for s in seconds])
                print(f"{name:<18} {path:<6} run {rep + 1}: {statistics.median(seconds[1:]):8.3f} s/epoch  "
                      f"(epochs: {', '.join(f'{s:.2f}' for s in seconds)}; first is warm-up)", flush=True)
        for path in paths:
            row["seconds_per_epoch"][path] = statistics.median(timed[path])
            row.setdefault("mean_seconds_per_epoch", {})[path] = statistics.mean(timed[path])
            print(f"{name:<18} {path:<6} {row['seconds_per_epoch'][path]:8.3f} s/epoch "
                  f"(median of {len(timed[path])} timed epochs)", flush=True)
        base = row["seconds_per_epoch"].get("fit")
        row["ratio_to_fit"] = {p: s / base for p, s in row["seconds_per_epoch"].items()} if base else {}
        for path, ratio in row["ratio_to_fit"].items():
            if path != "fit":
                verdict = "ok" if ratio <= GOAL else f"over the {GOAL:.2f} goal"
                print(f"{name:<18} {path}/fit = {ratio:.3f}  ({verdict})", flush=True)
        results.append(row)

    load_after = os.getloadavg()[0]
    summary = {"data": data.source, "cpus": os.cpu_count(), "load_average": [load_before, load_after],
               "goal_ratio": GOAL, "results": results}
    print(f"load average at the end {load_after:.2f}")
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
