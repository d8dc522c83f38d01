"""How well does the app read digits drawn the way people draw them?

A proxy for people drawing: each MNIST test digit is thinned to its pen path
(Zhang–Suen skeleton of the 4× enlarged digit) and redrawn with a round brush on
a 280×280 transparent canvas, at several sizes, places and brush widths. Each
canvas is read two ways with the same model:

  app    digitstudio.preprocess (crop, stroke normalisation, 20-px box, centre of mass)
  naive  the whole canvas squeezed to 28×28

and the table shows accuracy per condition. "refused" counts canvases the app
would answer with "draw bigger" instead of a digit; they count as wrong in
"app accuracy", and the last column is the accuracy on the canvases it answers.

    python bench/drawn_digits.py --n 1000 --grid /tmp/preprocess_grid.png
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digitstudio.drawing.preprocess import naive_resize, preprocess  # noqa: E402

CANVAS = 280
UPSCALE = 4  # skeletons of 4× digits give smooth pen paths
MARGIN = 10  # px from the canvas edge for the corner position

SIZES = {"small": 60, "medium": 150, "large": 250}
POSITIONS = ("centre", "corner")
BRUSHES = {"thin": 6, "medium": 14, "thick": 28}


@dataclass(frozen=True)
class Condition:
    size: str
    position: str
    brush: str

    @property
    def name(self) -> str:
        return f"{self.size} {self.position} {self.brush}"


CONDITIONS = [Condition(s, p, b) for s in SIZES for p in POSITIONS for b in BRUSHES]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="MNIST test digits per condition (default 1000)")
    parser.add_argument("--model", default=str(ROOT / "model" / "digit_cnn.keras"), help=".keras model file")
    parser.add_argument("--data", help="MNIST .npz (default: $MNIST_NPZ, else ../shared/data/mnist.npz)")
    parser.add_argument("--grid", help="also save a PNG of example canvases and what each reading sees")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def data_path(arg: str | None) -> Path:
    return Path(arg or os.environ.get("MNIST_NPZ") or ROOT.parent / "shared" / "data" / "mnist.npz")


# --- pen paths ----------------------------------------------------------------------------

def zhang_suen(masks: np.ndarray) -> np.ndarray:
    """Zhang–Suen thinning of a stack of binary images (n, H, W) → one-pixel skeletons.
    Vectorised over the whole stack; each pass peels one layer from every stroke."""
    image = np.pad(masks, ((0, 0), (1, 1), (1, 1))).astype(np.uint8)
    centre = image[:, 1:-1, 1:-1]  # a view: writes go to `image`
    while True:
        changed = False
        for step in (0, 1):
            p2, p3, p4 = image[:, :-2, 1:-1], image[:, :-2, 2:], image[:, 1:-1, 2:]
            p5, p6, p7 = image[:, 2:, 2:], image[:, 2:, 1:-1], image[:, 2:, :-2]
            p8, p9 = image[:, 1:-1, :-2], image[:, :-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            neighbours = sum(ring[:-1])
            transitions = sum(((a == 0) & (b == 1)).astype(np.uint8) for a, b in zip(ring, ring[1:]))
            remove = (centre == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1)
            if step == 0:
                remove &= (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                remove &= (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            if remove.any():
                centre[remove] = 0
                changed = True
        if not changed:
            return centre.astype(bool)


def pen_paths(digits: np.ndarray) -> list[np.ndarray]:
    """Each digit's skeleton as (k, 2) float (x, y) points in the 4× grid."""
    size = 28 * UPSCALE
    big = np.stack([np.asarray(Image.fromarray(d).resize((size, size), Image.BILINEAR)) for d in digits])
    skeletons = zhang_suen(big >= 128)
    paths = []
    for skeleton, digit in zip(skeletons, big):
        ys, xs = np.nonzero(skeleton)
        if len(xs) == 0:  # a digit thinner than the threshold: use its brightest pixel
            y, x = np.unravel_index(np.argmax(digit), digit.shape)
            xs, ys = np.array([x]), np.array([y])
        paths.append(np.column_stack([xs, ys]).astype(np.float32))
    return paths


def draw_canvas(path: np.ndarray, condition: Condition) -> np.ndarray:
    """The pen path drawn with a round brush: white ink on a transparent RGBA canvas,
    the ink's longer side `size` px, centred or near the top-left corner."""
    size, brush = SIZES[condition.size], BRUSHES[condition.brush]
    low, high = path.min(axis=0), path.max(axis=0)
    extent = float((high - low).max())
    scale = (size - brush) / extent if extent > 0 else 1.0
    points = (path - low) * scale
    drawn = (high - low) * scale + brush  # ink extent (x, y)
    if condition.position == "centre":
        origin = (CANVAS - drawn) / 2
    else:
        origin = np.array([MARGIN, MARGIN], np.float32)
    points = points + origin + brush / 2
    # Dabs closer than a quarter brush add nothing: keep one per cell, where it was.
    cell = max(1.0, brush / 4)
    _, first = np.unique(np.floor(points / cell), axis=0, return_index=True)
    points = points[first]
    picture = Image.new("L", (CANVAS, CANVAS), 0)
    pen = ImageDraw.Draw(picture)
    r = brush / 2
    for x, y in points:
        pen.ellipse([x - r, y - r, x + r, y + r], fill=255)
    canvas = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    canvas[..., :3] = 255
    canvas[..., 3] = np.asarray(picture)
    return canvas


# --- the run ---------------------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    path = data_path(args.data)
    if not path.is_file():
        print(f"error: MNIST not found at {path} (pass --data or set MNIST_NPZ).", file=sys.stderr)
        return 2
    if not Path(args.model).is_file():
        print(f"error: model not found: {args.model} (train one: python train.py --preset cnn "
              f"--out {args.model}).", file=sys.stderr)
        return 2
    with np.load(path) as data:
        order = np.random.default_rng(args.seed).permutation(len(data["y_test"]))[: args.n]
        digits, labels = data["x_test"][order], data["y_test"][order].astype(int)

    from digitstudio.drawing.predict import Predictor

    predictor = Predictor.from_path(args.model)
    t0 = time.perf_counter()
    paths = pen_paths(digits)
    skeleton_seconds = time.perf_counter() - t0

    rows, examples = [], []
    draw_seconds = preprocess_seconds = predict_seconds = 0.0
    for condition in CONDITIONS:
        t0 = time.perf_counter()
        canvases = [draw_canvas(p, condition) for p in paths]
        t1 = time.perf_counter()
        results = [preprocess(c) for c in canvases]
        naive = np.stack([naive_resize(c) for c in canvases])
        t2 = time.perf_counter()
        app_pred = predictor.probabilities(np.stack([r.image for r in results])).argmax(axis=1)
        naive_pred = predictor.probabilities(naive).argmax(axis=1)
        t3 = time.perf_counter()
        draw_seconds += t1 - t0
        preprocess_seconds += t2 - t1
        predict_seconds += t3 - t2
        accepted = np.array([r.status == "ok" for r in results])
        rows.append({
            "condition": condition,
            "app": float(((app_pred == labels) & accepted).mean()),
            "app_accepted": float((app_pred == labels)[accepted].mean()) if accepted.any() else float("nan"),
            "naive": float((naive_pred == labels).mean()),
            "refused": float(1 - accepted.mean()),
        })
        examples.append((condition, canvases[:3], [r.image for r in results[:3]], naive[:3]))

    reference = float((predictor.probabilities(digits / 255.0).argmax(axis=1) == labels).mean())
    print_table(rows, args.n, reference)
    total = time.perf_counter() - started
    print(f"\nTime: {total:.1f}s in all (skeletons {skeleton_seconds:.1f}s, drawing {draw_seconds:.1f}s, "
          f"preprocess+naive {preprocess_seconds:.1f}s, model {predict_seconds:.1f}s) on {os.cpu_count()} CPU "
          f"cores, load average {os.getloadavg()[0]:.1f}.")
    if args.grid:
        save_grid(examples, digits[:3], args.grid)
        print(f"Wrote {args.grid}")
    return 0


def print_table(rows: list[dict], n: int, reference: float) -> None:
    print(f"Drawn-digit proxy: {n} MNIST test digits redrawn from their skeletons, per condition.\n")
    print("| size | position | brush | app accuracy | naive accuracy | app refused | app accuracy when it answers |")
    print("|---|---|---|---:|---:|---:|---:|")
    for row in rows:
        c = row["condition"]
        print(f"| {c.size} ({SIZES[c.size]} px) | {c.position} | {c.brush} ({BRUSHES[c.brush]} px) "
              f"| {row['app']:.1%} | {row['naive']:.1%} | {row['refused']:.1%} | {row['app_accepted']:.1%} |")
    app = np.mean([r["app"] for r in rows])
    naive = np.mean([r["naive"] for r in rows])
    answered = sum(r["app"] for r in rows) / sum(1 - r["refused"] for r in rows)
    print(f"\nOverall: app {app:.1%} (refusals count as wrong; {answered:.1%} of the canvases it answers), "
          f"naive {naive:.1%}, over {len(rows)} conditions × {n} digits. "
          f"The same model on the original MNIST digits: {reference:.1%}.")


GRID_CONDITIONS = ("small centre thin", "small corner medium", "small centre thick", "medium corner thin",
                   "medium centre thick", "large corner thin", "large centre medium", "large centre thick")


def save_grid(examples, originals: np.ndarray, out: str) -> None:
    """A PNG to eyeball: the first row holds the original MNIST digits; below, one row
    per condition with, for each example digit, the canvas, the app's 28×28 and the
    naive 28×28 (each tile 112 px, 28×28 images shown with square pixels)."""
    tile, gap = 112, 4
    chosen = [e for e in examples if e[0].name in GRID_CONDITIONS]
    count = len(originals)
    grid = Image.new("L", (3 * count * (tile + gap), (len(chosen) + 1) * (tile + gap)), 60)

    def put(array: np.ndarray, row: int, col: int, resample) -> None:
        cell = Image.fromarray(array).resize((tile, tile), resample)
        grid.paste(cell, (col * (tile + gap), row * (tile + gap)))

    for k, original in enumerate(originals):
        put(original, 0, 3 * k + 1, Image.NEAREST)
    for row, (_, canvases, apps, naives) in enumerate(chosen, start=1):
        for k in range(count):
            put(canvases[k][..., 3], row, 3 * k, Image.BOX)
            put((apps[k] * 255).astype(np.uint8), row, 3 * k + 1, Image.NEAREST)
            put((naives[k] * 255).astype(np.uint8), row, 3 * k + 2, Image.NEAREST)
    grid.save(out)
    print("Grid rows: MNIST originals, then " + "; ".join(e[0].name for e in chosen)
          + ". Columns per digit: canvas, app 28×28, naive 28×28.")


if __name__ == "__main__":
    sys.exit(main())
