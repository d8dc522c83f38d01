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
"not sure" is the share of canvases whose top probability is below the model's
threshold (issue 10; from the model's JSON, else chosen by the same rule on the
last 5% of MNIST's training digits, as training does).

More sections use the hand-made drawings of testkit/style_strokes.py, drawn at the
same sizes, places and brushes: **styles** (slashed and dotted zeros, crossed sevens,
flagged and European ones, open-top fours, straight-stem nines: % read right, where
refused and "not sure" count as wrong) and two tables of **non-digits** (% "not sure",
and % refused or "not sure"): NON_DIGITS (letters, signs, shapes, two-digit pairs,
scribbles), which shares templates with the training negatives of
digitstudio/data/negatives.py and so flatters a model trained on them, and
NON_DIGITS_UNSEEN (other letters and symbols, pictures, numbers of three and four
digits, hand-shaped scribbles), which shares none: the honest score, whose goal is
≥ 90% "not sure". Plus the share of all 10,000 MNIST test digits that get "not sure".
`--compare OLD.keras` adds the same numbers for another model (before/after).

    python bench/drawn_digits.py --n 1000 --grid /tmp/preprocess_grid.png --compare /tmp/old_cnn.keras
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
from testkit.style_strokes import NON_DIGITS, NON_DIGITS_UNSEEN, STYLE_DRAWINGS  # noqa: E402
from testkit.style_strokes import render as render_drawing  # noqa: E402

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
    parser.add_argument("--compare", help="another .keras model (e.g. the one before) for the styles and "
                        "non-digit sections and the MNIST 'not sure' rate")
    parser.add_argument("--styles-grid", help="also save a PNG grid of style-augmented MNIST training digits")
    parser.add_argument("--negatives-grid", help="also save a PNG grid of the synthetic non-digits, a row per kind")
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

    from digitstudio.storage.model_files import load_predictor

    predictor = load_predictor(args.model)
    with np.load(path) as data:
        x_test, y_test = data["x_test"], data["y_test"].astype(int)
        x_train, y_train = data["x_train"], data["y_train"]
    threshold, threshold_source = model_threshold(predictor, args.model, x_train)
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
        app_probs = predictor.probabilities(np.stack([r.image for r in results]))
        app_pred = app_probs.argmax(axis=1)
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
            "not_sure": float((app_probs.max(axis=1) < threshold)[accepted].mean()) if accepted.any() else 0.0,
        })
        examples.append((condition, canvases[:3], [r.image for r in results[:3]], naive[:3]))

    reference = float((predictor.probabilities(digits / 255.0).argmax(axis=1) == labels).mean())
    print_table(rows, args.n, reference)
    print(f"\n'Not sure' threshold of {Path(args.model).name}: {threshold:.4f} ({threshold_source}).")

    models = [(Path(args.model).name, predictor, threshold)]
    if args.compare:
        old = load_predictor(args.compare)
        old_threshold, old_source = model_threshold(old, args.compare, x_train)
        print(f"'Not sure' threshold of {Path(args.compare).name}: {old_threshold:.4f} ({old_source}).")
        models.insert(0, (Path(args.compare).name, old, old_threshold))
    print_mnist_not_sure(models, x_test, y_test)
    print_styles(models)
    print_non_digits(models, NON_DIGITS, "non-digits sharing templates with the training negatives")
    print_non_digits(models, NON_DIGITS_UNSEEN, "non-digits unlike any training template (the goal: ≥ 90% not sure)")
    if args.styles_grid:
        save_styles_grid(x_train, y_train, args.styles_grid)
        print(f"Wrote {args.styles_grid}")
    if args.negatives_grid:
        save_negatives_grid(x_train, args.negatives_grid)
        print(f"Wrote {args.negatives_grid}")
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
    print("| size | position | brush | app accuracy | naive accuracy | app refused | app accuracy when it answers "
          "| app not sure |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        c = row["condition"]
        print(f"| {c.size} ({SIZES[c.size]} px) | {c.position} | {c.brush} ({BRUSHES[c.brush]} px) "
              f"| {row['app']:.1%} | {row['naive']:.1%} | {row['refused']:.1%} | {row['app_accepted']:.1%} "
              f"| {row['not_sure']:.1%} |")
    app = np.mean([r["app"] for r in rows])
    naive = np.mean([r["naive"] for r in rows])
    answered = sum(r["app"] for r in rows) / sum(1 - r["refused"] for r in rows)
    # a share of all answered canvases (conditions weighted by how many they answered)
    not_sure = sum(r["not_sure"] * (1 - r["refused"]) for r in rows) / sum(1 - r["refused"] for r in rows)
    print(f"\nOverall: app {app:.1%} (refusals count as wrong; {answered:.1%} of the canvases it answers), "
          f"naive {naive:.1%}, over {len(rows)} conditions × {n} digits. "
          f"The same model on the original MNIST digits: {reference:.1%}. "
          f"'Not sure' on the answered canvases: {not_sure:.2%} of them.")


# --- issue 10: styles, non-digits, "not sure" -------------------------------------------------

def model_threshold(predictor, model_path: str, x_train: np.ndarray) -> tuple[float, str]:
    """The model's "not sure" threshold from its JSON; else the training rule applied here
    to the last 5% of MNIST's training digits (the cnn preset's validation split)."""
    from digitstudio.drawing.predict import DIGITS_REJECTED, choose_threshold
    from digitstudio.storage.model_files import threshold_for_model

    recorded = threshold_for_model(model_path)
    if recorded is not None:
        return recorded, "recorded in the model's JSON"
    held_out = x_train[-len(x_train) // 20:]
    value = choose_threshold(predictor.probabilities(held_out / 255.0), DIGITS_REJECTED)
    return value, f"none recorded: the same rule on the last {len(held_out)} MNIST training digits"


def drawing_canvas(drawing, condition: Condition) -> np.ndarray:
    """A hand-made drawing scaled so its ink's longer side is the condition's size, placed
    centred or near the corner, drawn with the condition's brush."""
    size, brush = SIZES[condition.size], BRUSHES[condition.brush]
    points = np.array([p for stroke in drawing for p in stroke], np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())
    scale = (size - brush) / extent if extent > 0 else 1.0
    drawn = (high - low) * scale + brush
    origin = (CANVAS - drawn) / 2 if condition.position == "centre" else np.array([MARGIN, MARGIN], np.float64)
    shift = origin + brush / 2
    placed = [[((x - low[0]) * scale + shift[0], (y - low[1]) * scale + shift[1]) for x, y in stroke]
              for stroke in drawing]
    return render_drawing(placed, brush=brush)


def read_drawings(drawings, models) -> list[dict[str, np.ndarray]]:
    """Each drawing at each condition through preprocess and each model: per model, the
    top digit and whether it is "not sure"; with `ok` = accepted by preprocess."""
    results = [preprocess(drawing_canvas(d, c)) for d in drawings for c in CONDITIONS]
    images = np.stack([r.image for r in results])
    ok = np.array([r.status == "ok" for r in results])
    out = []
    for _, predictor, threshold in models:
        probs = predictor.probabilities(images)
        out.append({"ok": ok, "digit": probs.argmax(axis=1), "not_sure": probs.max(axis=1) < threshold})
    return out


def print_mnist_not_sure(models, x_test: np.ndarray, y_test: np.ndarray) -> None:
    print(f"\nMNIST test digits ({len(y_test):,}): accuracy and share called 'not sure'.\n")
    print("| model | accuracy | not sure |")
    print("|---|---:|---:|")
    for name, predictor, threshold in models:
        probs = predictor.probabilities(x_test / 255.0)
        right, unsure = (probs.argmax(axis=1) == y_test).mean(), (probs.max(axis=1) < threshold).mean()
        print(f"| {name} | {right:.2%} | {unsure:.2%} |")


def print_styles(models) -> None:
    names = [name for name, _, _ in models]
    print(f"\nStyles: hand-made drawings (testkit/style_strokes.py) × {len(CONDITIONS)} conditions. Read right = "
          "the right digit, not 'not sure'; over all canvases (refusals count as wrong) and over the canvases "
          "the app answers (not refused as too small or too thick); 'not sure' over the answered ones.\n")
    print("| style | digit | canvases | answered | "
          + " | ".join(f"{n} read right | {n} right when answered | {n} not sure" for n in names) + " |")
    print("|---|---:|---:|---:|" + "---:|---:|---:|" * len(names))
    for style, (digit, drawings) in STYLE_DRAWINGS.items():
        cells = []
        for reading in read_drawings(drawings, models):
            ok = reading["ok"]
            right = ~reading["not_sure"] & (reading["digit"] == digit)
            cells.append(f"{(right & ok).mean():.1%} | {right[ok].mean():.1%} | {reading['not_sure'][ok].mean():.1%}")
        print(f"| {style} | {digit} | {len(ok)} | {ok.mean():.1%} | " + " | ".join(cells) + " |")


def print_non_digits(models, drawings_by_kind: dict[str, list], title: str) -> None:
    """One table: per kind of `drawings_by_kind` and over all of them, the share of canvases
    called "not sure", and the share refused or "not sure"."""
    names = [name for name, _, _ in models]
    print(f"\n{title[0].upper() + title[1:]}: hand-made drawings (testkit/style_strokes.py) × {len(CONDITIONS)} "
          "conditions; 'not sure' among all canvases, and 'refused or not sure' (the app names no digit "
          "either way).\n")
    print("| kind | drawings | " + " | ".join(f"{n} not sure | {n} refused or not sure" for n in names) + " |")
    print("|---|---:|" + "---:|---:|" * len(names))
    totals = [[0, 0, 0] for _ in models]
    for kind, drawings in drawings_by_kind.items():
        cells = []
        for k, reading in enumerate(read_drawings(drawings, models)):
            not_sure = reading["ok"] & reading["not_sure"]
            no_digit = ~reading["ok"] | reading["not_sure"]
            totals[k][0] += int(not_sure.sum())
            totals[k][1] += int(no_digit.sum())
            totals[k][2] += len(not_sure)
            cells.append(f"{not_sure.mean():.1%} | {no_digit.mean():.1%}")
        print(f"| {kind} | {len(drawings)} | " + " | ".join(cells) + " |")
    count = sum(len(d) for d in drawings_by_kind.values())
    print(f"| all | {count} | " + " | ".join(f"{a / n:.1%} | {b / n:.1%}" for a, b, n in totals) + " |")


def save_styles_grid(x: np.ndarray, y: np.ndarray, out: str, per_style: int = 8) -> None:
    """One row per style of augmented MNIST training digits (digitstudio.data.styles),
    the untouched digit on the left of each pair: 28×28 at 2× (square pixels)."""
    from digitstudio.data.styles import STYLE_RATES, stylize

    rng = np.random.default_rng(0)
    rows = []
    for style, (label, _) in STYLE_RATES.items():
        picks = np.flatnonzero(y[:5000] == label)[:per_style]
        rows.append(np.hstack([np.hstack([x[i], stylize(x[i], style, rng), np.full((28, 4), 60, np.uint8)])
                               for i in picks]))
    _save_rows(rows, out)
    print("Styles grid rows: " + ", ".join(STYLE_RATES) + "; each pair: MNIST digit, then the same restyled.")


def _save_rows(rows: list[np.ndarray], out: str) -> None:
    """Stack uint8 rows of 28×28 tiles with 4 px grey gaps and save them at 2× (square pixels)."""
    grid = np.vstack([np.vstack([row, np.full((4, row.shape[1]), 60, np.uint8)]) for row in rows])
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(out)


def save_negatives_grid(x: np.ndarray, out: str, per_kind: int = 16) -> None:
    """One row per kind of the synthetic non-digits training adds (digitstudio.data.negatives,
    trained toward the uniform distribution): 28×28 at 2×."""
    from digitstudio.data.negatives import KINDS, draw_negative

    rng = np.random.default_rng(0)
    rows = [np.hstack([np.hstack([np.rint(draw_negative(kind, rng, x[:5000]) * 255).astype(np.uint8),
                                  np.full((28, 4), 60, np.uint8)]) for _ in range(per_kind)]) for kind in KINDS]
    _save_rows(rows, out)
    print("Non-digits grid rows: " + ", ".join(KINDS) + ".")


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
