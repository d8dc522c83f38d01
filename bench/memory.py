"""Memory over consecutive retrains: does the server's RSS keep growing?

    python bench/memory.py                    # 20 retrains each of a small MLP and a small CNN
    python bench/memory.py --retrains 5 --quick

Each retrain is a job on the app's `TrainingManager` (worker thread, run saved to a
temporary runs folder), exactly as the Streamlit app runs it; between retrains the
finished model is loaded back from disk and used for one prediction, as a session
switching to the new model would. RSS is read from /proc after every job.

Before the first retrain the shipped model is loaded and used once, as the app does
when its first page opens (loading a .keras file and tracing a predictor the first
time pulls in code and allocator pools once per process; without this the bench
would book that one-off cost on retrain 1). The queue keeps no Keras model: a run's
model lives in its file.

Two growth figures are printed. "Total" runs from the end of retrain 1 to the end of
the last one; "steady" from the end of retrain 2. With a leak either would keep
climbing, and the slope (least squares, MB per retrain) says whether it does.
Goal: ≤ 50 MB over 20 retrains, counted from retrain 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from digitstudio.data.mnist import ENV_VAR, load_mnist  # noqa: E402
from digitstudio.drawing.predict import Predictor  # noqa: E402
from digitstudio.modeling.presets import PRESETS  # noqa: E402
from digitstudio.modeling.spec import ModelSpec, validate  # noqa: E402
from digitstudio.storage.model_files import load_model  # noqa: E402
from digitstudio.storage.runs import RunStore  # noqa: E402
from digitstudio.training.queue import TrainingManager  # noqa: E402
from testkit.memory import rss_mb  # noqa: E402

GOAL_MB = 50
SPECS = {"mlp": "seed-dropout", "cnn": "cnn"}  # the presets' layers: Dense 128 + Dropout, and the shipped CNN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"local MNIST .npz (default: ${ENV_VAR}, else Keras download)")
    parser.add_argument("--retrains", type=int, default=20, help="retrains per architecture (default 20)")
    parser.add_argument("--train-size", type=int, default=2000, help="training images per retrain (default 2000)")
    parser.add_argument("--models", default="mlp,cnn", help="comma-separated: mlp, cnn (default both)")
    parser.add_argument("--model", default=str(Path(__file__).resolve().parents[1] / "model" / "digit_cnn.keras"),
                        help="the model the app loads at start (default: the shipped one)")
    args = parser.parse_args(argv)

    data = load_mnist(args.data)
    digit = data.x_test[:1]
    shipped = Predictor(load_model(args.model))  # the app's start: the shipped model, warmed up
    shipped.probabilities(digit.astype(np.float32) / 255.0)
    print(f"data {data.source}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; "
          f"RSS at start {rss_mb():.0f} MB", flush=True)
    verdicts = []
    with tempfile.TemporaryDirectory() as runs:
        manager = TrainingManager(RunStore(runs), lambda: data, max_concurrent=1)
        for name in [m.strip() for m in args.models.split(",") if m.strip()]:
            spec = validate(ModelSpec(layers=PRESETS[SPECS[name]].spec.layers, optimizer="adam", learning_rate=1e-3,
                                      epochs=1, batch_size=128, validation_split=0.1,
                                      train_size=args.train_size, seed=0))
            readings = []
            for i in range(1, args.retrains + 1):
                snapshot = manager.wait(manager.submit(spec.replace(seed=i), label=f"{name}-{i}"), timeout=600)
                if snapshot.state != "completed":
                    raise SystemExit(f"retrain {i} ended {snapshot.state}: {snapshot.message}")
                model = load_model(manager.store.model_path(snapshot.run_id))  # as the app does: from the run's file
                Predictor(model).probabilities(digit.astype(np.float32) / 255.0)
                del model
                readings.append(rss_mb())
                print(f"{name} retrain {i:>2}: RSS {readings[-1]:7.1f} MB  "
                      f"(test accuracy {snapshot.test_accuracy:.3f})", flush=True)
            total = readings[-1] - readings[0]
            start = min(1, len(readings) - 1)  # from the end of retrain 2
            steady = readings[-1] - readings[start]
            slope = float(np.polyfit(np.arange(len(readings) - start), readings[start:], 1)[0]) \
                if len(readings) - start >= 2 else 0.0
            verdict = "ok" if steady <= GOAL_MB else f"over the {GOAL_MB} MB goal"
            verdicts.append(f"{name}: total {readings[0]:.0f} → {readings[-1]:.0f} MB ({total:+.1f} MB over "
                            f"{len(readings)} retrains); steady from retrain {start + 1}: {steady:+.1f} MB "
                            f"({verdict}), slope {slope:+.2f} MB/retrain; max {max(readings):.0f} MB")
        manager.shutdown()
    print("\n".join(verdicts))
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
