"""Latency of one drawing → one prediction, as the app does it on every stroke.

MNIST test digits are enlarged onto 280×280 transparent RGBA canvases (varied
sizes and places, as white ink), then each canvas is timed through
`preprocess()` and `Predictor.probabilities()` one image at a time. For
comparison, `model.predict` is timed on the same images. Goal: total p50 ≤ 5 ms.

    python bench/predict_latency.py --n 1000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digitstudio.drawing.preprocess import ink_bbox, preprocess  # noqa: E402

CANVAS = 280
GOAL_MS = 5.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "model" / "digit_cnn.keras"), help=".keras model file")
    parser.add_argument("--data", help="MNIST .npz (default: $MNIST_NPZ, else ../shared/data/mnist.npz)")
    parser.add_argument("--n", type=int, default=1000, help="canvases timed one by one (default 1000)")
    parser.add_argument("--predict-n", type=int, default=100,
                        help="of those, images also timed through model.predict (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def data_path(arg: str | None) -> Path:
    return Path(arg or os.environ.get("MNIST_NPZ") or ROOT.parent / "shared" / "data" / "mnist.npz")


def make_canvases(digits: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Each digit enlarged to 60–250 px (longer side) at a random place: white ink on a
    transparent RGBA canvas, as the app's canvas returns it."""
    canvases = []
    for digit in digits:
        left, top, right, bottom = ink_bbox(digit, threshold=0)
        crop = Image.fromarray(digit[top:bottom, left:right])
        scale = int(rng.integers(60, 251)) / max(crop.size)
        crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                           Image.BILINEAR)
        y = int(rng.integers(0, CANVAS - crop.height + 1))
        x = int(rng.integers(0, CANVAS - crop.width + 1))
        canvas = np.zeros((CANVAS, CANVAS, 4), np.uint8)
        canvas[..., :3] = 255
        canvas[y:y + crop.height, x:x + crop.width, 3] = np.asarray(crop)
        canvases.append(canvas)
    return canvases


def ms(seconds: list[float], q: float) -> float:
    return float(np.percentile(seconds, q) * 1000)


def main(argv=None) -> int:
    args = parse_args(argv)
    path = data_path(args.data)
    if not path.is_file():
        print(f"error: MNIST not found at {path} (pass --data or set MNIST_NPZ).", file=sys.stderr)
        return 2
    if not Path(args.model).is_file():
        print(f"error: model not found: {args.model}.", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    with np.load(path) as data:
        order = rng.permutation(len(data["y_test"]))[: args.n]
        digits, labels = data["x_test"][order], data["y_test"][order]
    canvases = make_canvases(digits, rng)

    from digitstudio.storage.model_files import load_predictor

    t0 = time.perf_counter()
    predictor = load_predictor(args.model)  # loads and warms up
    load_seconds = time.perf_counter() - t0

    stages = {"preprocess": [], "predict": [], "total": []}
    images, correct = [], 0
    for canvas, label in zip(canvases, labels):
        t0 = time.perf_counter()
        image = preprocess(canvas).image
        t1 = time.perf_counter()
        probs = predictor.probabilities(image)
        t2 = time.perf_counter()
        stages["preprocess"].append(t1 - t0)
        stages["predict"].append(t2 - t1)
        stages["total"].append(t2 - t0)
        images.append(image)
        correct += int(probs.argmax() == label)

    model = predictor.model
    batch = np.stack(images[: args.predict_n])[..., None]
    model.predict(batch[:1], verbose=0)  # its own warm-up
    keras_predict = []
    for image in batch:
        t0 = time.perf_counter()
        model.predict(image[None], verbose=0)
        keras_predict.append(time.perf_counter() - t0)

    print(f"{args.n} canvases 280×280 RGBA, one at a time; model {Path(args.model).name} "
          f"(load + warm-up {load_seconds:.1f}s); {os.cpu_count()} CPU cores, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| stage | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for name, seconds in stages.items():
        print(f"| {name} | {ms(seconds, 50):.2f} | {ms(seconds, 95):.2f} |")
    direct = [t for t in stages["predict"][: args.predict_n]]
    print(f"| model.predict ({len(keras_predict)} images) | {ms(keras_predict, 50):.2f} "
          f"| {ms(keras_predict, 95):.2f} |")
    ratio = ms(keras_predict, 50) / ms(direct, 50)
    print(f"\nmodel.predict / direct call (p50, same {len(direct)} images): {ratio:.0f}×")
    total_p50 = ms(stages["total"], 50)
    verdict = "meets" if total_p50 <= GOAL_MS else "misses"
    print(f"Total p50 {total_p50:.2f} ms {verdict} the {GOAL_MS:g} ms goal. "
          f"Accuracy on these canvases: {correct / args.n:.1%}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
