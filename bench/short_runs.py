"""Short trainings and BatchNormalization: how honest is the model a class demo gets?

For a few short setups (the cnn preset's layers for 1 epoch on 5,000 images, as the
README suggests for a class; seed-deep-sigmoid for 1 epoch), one training each, scored
on MNIST's 10,000 test digits three ways:

  as trained       Keras's moving averages (momentum 0.99) as they are after the last step
  momentum         the same training with BatchNormalization momentum 1 − 5/steps (so the
                   averages forget their start values within the run)
  re-estimated     as trained, then `training.batchnorm.reestimate` (precise BN, over up to
                   200 training batches, dropout off)

and the training curve's last accuracy beside them (what the panel showed).

    python bench/short_runs.py [--data mnist.npz]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digitstudio.data.mnist import load_mnist  # noqa: E402
from digitstudio.modeling.presets import PRESETS  # noqa: E402

SETUPS = {
    "cnn, 1 epoch, 5,000 images": PRESETS["cnn"].spec.replace(epochs=1, train_size=5000),
    "cnn, 3 epochs, 5,000 images": PRESETS["cnn"].spec.replace(epochs=3, train_size=5000),
    "seed-deep-sigmoid, 1 epoch": PRESETS["seed-deep-sigmoid"].spec.replace(epochs=1),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="MNIST .npz (default: $MNIST_NPZ, else Keras's download)")
    args = parser.parse_args(argv)
    data = load_mnist(args.data)

    from digitstudio.modeling import build
    from digitstudio.training.batchnorm import batchnorm_layers, reestimate
    from digitstudio.training.data import prepare_data
    from digitstudio.training.fit import train

    print("| setup | curve's last accuracy | test: as trained | test: momentum 1 − 5/steps | test: re-estimated "
          "| re-estimation time |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, spec in SETUPS.items():
        plain = train(spec.replace(real_negatives=0.0, real_digits=0), data, reestimate_batchnorm=False)
        spec = plain.spec
        prepared = prepare_data(spec, data)
        _, as_trained = plain.model.evaluate(prepared.x_test, prepared.y_test, batch_size=1024, verbose=0)
        started = time.perf_counter()
        used = reestimate(plain.model, prepared.x_train, spec.batch_size)
        seconds = time.perf_counter() - started
        _, reestimated = plain.model.evaluate(prepared.x_test, prepared.y_test, batch_size=1024, verbose=0)

        steps = spec.epochs * math.ceil(len(prepared.x_train) / spec.batch_size)
        original = build.build_model

        def with_momentum(spec_, steps_per_epoch=1, _steps=steps, _build=original):
            model = _build(spec_, steps_per_epoch)
            for layer in batchnorm_layers(model):
                layer.momentum = max(0.0, 1 - 5 / _steps)
            return model

        build.build_model = with_momentum
        try:
            momentum = train(spec, data, reestimate_batchnorm=False)
        finally:
            build.build_model = original
        curve = plain.curve[-1]["accuracy"] if plain.curve else float("nan")
        print(f"| {name} ({steps} steps) | {curve:.1%} | {as_trained:.1%} | {momentum.test_accuracy:.1%} | "
              f"{reestimated:.1%} | {seconds:.1f} s ({used} batches) |", flush=True)
    print(f"\n{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
