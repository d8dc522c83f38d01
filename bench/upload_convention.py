"""A tutorial's raw-pixel model uploaded to the app: MNIST accuracy before and after
input-convention detection, and what accepting an upload costs.

    python bench/upload_convention.py --model mnist_dnn_v1.h5
    python bench/upload_convention.py              # trains a small raw-pixel model first (~1 min)

"Before" is what the app did until now: the model read [0, 1] pixels (Predictor with
no input_scale). "After" is the app with storage/uploads.accept_upload: the convention
is detected on 1,000 MNIST test digits and Predictor gets input_scale from the run.
Both are measured through Predictor on all 10,000 MNIST test digits.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from digitstudio.data.mnist import ENV_VAR, load_mnist  # noqa: E402
from digitstudio.drawing.predict import Predictor  # noqa: E402
from digitstudio.explain.convention import pixel_factor  # noqa: E402
from digitstudio.storage.model_files import load_model  # noqa: E402
from digitstudio.storage.runs import RunStore  # noqa: E402
from digitstudio.storage.uploads import accept_upload  # noqa: E402


def tutorial_model(data, folder: Path) -> Path:
    """The deep sigmoid tutorial's recipe, shortened: raw 0–255 pixels, flat 784 input,
    BatchNormalization first, sigmoid layers, SGD; saved as legacy .h5 as the tutorial does."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), keras.layers.BatchNormalization(),
                              keras.layers.Dense(200, activation="sigmoid"),
                              keras.layers.Dense(100, activation="sigmoid"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data.x_train.reshape(-1, 784).astype(np.float32), data.y_train, batch_size=32, epochs=2, verbose=0)
    path = folder / "mnist_dnn_v1.h5"
    model.save(path)
    return path


def accuracy(predictor: Predictor, data) -> float:
    probs = predictor.probabilities(data.x_test.astype(np.float32) / 255.0)
    return float((probs.argmax(1) == data.y_test).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a .keras or .h5 model file (default: train a small raw-pixel one)")
    parser.add_argument("--data", help=f"local MNIST .npz (default: ${ENV_VAR}, else Keras download)")
    args = parser.parse_args(argv)
    data = load_mnist(args.data)
    print(f"data {data.source}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.model) if args.model else tutorial_model(data, Path(folder))
        store = RunStore(Path(folder) / "runs")
        started = time.perf_counter()
        run = accept_upload(store, path.name, path.read_bytes(), data)
        accept_seconds = time.perf_counter() - started
        model = load_model(store.model_path(run["id"]))
        before = accuracy(Predictor(model), data)
        after = accuracy(Predictor(model, input_scale=pixel_factor(run)), data)
    print(f"{path.name}: {run['input_words']}")
    print(f"accept_upload (checks, load, detection on 1,000 digits, scoring on 10,000, save): {accept_seconds:.1f} s")
    print(f"MNIST test accuracy through the app's Predictor: before detection {before:.2%}, after {after:.2%} "
          f"(run.json test_accuracy {run['test_accuracy']:.2%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
