"""How does a model read real people's drawings it never trained on?

Through the app's own canvas recipe (`digitstudio.data.real_drawings`: drawn on the
280 px canvas, then `preprocess`), per model:

  non-digits   held-out real drawings: the Quick, Draw! classes no training saw
               (`real.QUICKDRAW_HELD_OUT`, 200 doodles each at 3 sizes × 2 places) and
               Omniglot's test split (1,000 characters at the 18 sizes, places and brushes
               of bench/drawn_digits.py); digit-like ones are left out by the same rule as
               training (`DigitLikeness`) and counted apart. Score: named no digit
               (refused as too small, or "not sure"). Goal ≥ 95%.
  digits       Semeion's held-out fifth (writers not trained on) at 3 sizes × 2 places:
               read right (not "not sure") and "not sure". Goal ≥ 98% right, ≤ 1% not sure.
  MNIST        the 10,000 test digits: accuracy and "not sure". Goal ≥ 99.5%.

`--compare OLD.keras` adds another model's column (before → after). `--grid FILE.png`
saves what the training's real non-digits look like: the ones that went in and the ones
the left-out rule kept out (docs/real_handwriting.png).

    python bench/real_handwriting.py --compare /tmp/old_cnn.keras --grid docs/real_handwriting.png
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

from digitstudio.data.mnist import load_mnist  # noqa: E402
from digitstudio.data.real import QUICKDRAW_HELD_OUT, load_real  # noqa: E402
from digitstudio.data.real_drawings import (  # noqa: E402
    CANVAS,
    DigitLikeness,
    doodle_canvas,
    drawn_non_digits,
    omniglot_canvas,
    read_canvas,
)

SIZES = (60.0, 150.0, 250.0)  # px, as bench/drawn_digits.py
BRUSHES = (6.0, 14.0, 28.0)
MARGIN = 10.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "model" / "digit_cnn.keras"))
    parser.add_argument("--compare", help="another .keras model (e.g. the one shipped before)")
    parser.add_argument("--data", help="MNIST .npz (default: $MNIST_NPZ, else Keras's download)")
    parser.add_argument("--real-data", help="real_handwriting.npz (default: $DIGIT_STUDIO_REAL_DATA, else the cache)")
    parser.add_argument("--doodles", type=int, default=200, help="doodles per held-out class (default 200)")
    parser.add_argument("--grid", help="save a PNG of training's real non-digits: went in, and left out")
    return parser.parse_args(argv)


def corners(size: float) -> list[np.ndarray]:
    """Centred, and near the top-left corner (as drawn_digits.py's positions)."""
    return [np.full(2, (CANVAS - size) / 2), np.full(2, MARGIN)]


def held_out_non_digits(real, likeness: DigitLikeness, doodles_per_class: int):
    """{set name: (images (n, 28, 28) float, refused bool (n,))} of the held-out real
    non-digits that are not digit-like, and {set name: (kept, left out)} counts."""
    rng = np.random.default_rng(0)
    sets, counts = {}, {}
    for name in QUICKDRAW_HELD_OUT:
        k = real.quickdraw_classes.index(name)
        picks = np.flatnonzero(real.quickdraw_labels == k)[:doodles_per_class]
        results = [read_canvas(doodle_canvas(real.quickdraw_images[i], rng, size, corner))
                   for i in picks for size in SIZES for corner in corners(size)]
        sets[f"doodles: {name}"] = results
    characters = real.omniglot_part("test")
    sets["Omniglot test split"] = [
        read_canvas(omniglot_canvas(real.omniglot_strokes(i), rng, size, brush, corner))
        for i in characters for size in SIZES for brush in BRUSHES for corner in corners(size)]
    out = {}
    for name, results in sets.items():
        images = np.stack([r.image for r in results])
        refused = np.array([r.status != "ok" for r in results])
        like = likeness.digit_like(images) & ~refused
        out[name] = (images[~like], refused[~like])
        counts[name] = (int((~like).sum()), int(like.sum()))
    return out, counts


def semeion_canvases(real, x_mnist, y_mnist):
    """Semeion's held-out digits as the app would see them: each given a digit's
    proportions (as training does), drawn at 3 sizes × 2 places, then preprocessed."""
    from digitstudio.data.real_drawings import _aspect_ratios

    rng = np.random.default_rng(1)
    ratios = _aspect_ratios(x_mnist, y_mnist)
    images, labels, refused = [], [], []
    for index in real.semeion_part("held_out"):
        label = int(real.semeion_labels[index])
        width = max(4, round(28 * float(rng.choice(ratios[label]))))
        bitmap = np.asarray(Image.fromarray(real.semeion_images[index]).resize((width, 28), Image.BILINEAR))
        for size in SIZES:
            for corner in corners(size):
                result = read_canvas(doodle_canvas(bitmap, rng, size, corner))
                images.append(result.image)
                labels.append(label)
                refused.append(result.status != "ok")
    return np.stack(images), np.array(labels), np.array(refused)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    from digitstudio.storage.model_files import load_predictor

    mnist = load_mnist(args.data)
    real = load_real(args.real_data)
    likeness = DigitLikeness(mnist.x_train, mnist.y_train, mnist.x_test)
    models = [(Path(args.model).name, load_predictor(args.model))]
    if args.compare:
        models.insert(0, (f"{Path(args.compare).name} (before)", load_predictor(args.compare)))
    for name, predictor in models:
        print(f"{name}: 'not sure' threshold {predictor.threshold}")
    if args.grid:
        save_grid(real, likeness, args.grid)

    sets, counts = held_out_non_digits(real, likeness, args.doodles)
    names = [name for name, _ in models]
    print("\nHeld-out real non-digits named no digit (refused or 'not sure'); digit-like ones left out by the "
          "training's rule. Goal ≥ 95%.\n")
    print("| set | canvases scored | left out as digit-like | " + " | ".join(names) + " |")
    print("|---|---:|---:|" + "---:|" * len(names))
    totals = np.zeros((len(models), 2))
    for set_name, (images, refused) in sets.items():
        cells = []
        for k, (_, predictor) in enumerate(models):
            no_digit = refused | (predictor.probabilities(images).max(axis=1) < (predictor.threshold or 0))
            totals[k] += (no_digit.sum(), len(no_digit))
            cells.append(f"{no_digit.mean():.1%}")
        kept, left = counts[set_name]
        print(f"| {set_name} | {kept} | {left} | " + " | ".join(cells) + " |")
    doodle_rows = [v for key, v in sets.items() if key.startswith("doodles")]
    for label, rows in (("all held-out doodles", doodle_rows),):
        images = np.concatenate([r[0] for r in rows])
        refused = np.concatenate([r[1] for r in rows])
        cells = [f"{(refused | (p.probabilities(images).max(axis=1) < (p.threshold or 0))).mean():.1%}"
                 for _, p in models]
        print(f"| **{label}** | {len(images)} | | " + " | ".join(f"**{c}**" for c in cells) + " |")
    print("| **all** | | | " + " | ".join(f"**{a / n:.1%}**" for a, n in totals) + " |")

    images, labels, refused = semeion_canvases(real, mnist.x_train, mnist.y_train)
    print(f"\nSemeion's held-out digits ({len(real.semeion_part('held_out'))} digits × 6 canvases). Goal ≥ 98% "
          "right, ≤ 1% 'not sure' (over the canvases the app answers).\n")
    print("| model | answered | right | not sure | wrong digit |")
    print("|---|---:|---:|---:|---:|")
    ok = ~refused
    for name, predictor in models:
        probs = predictor.probabilities(images[ok])
        unsure = probs.max(axis=1) < (predictor.threshold or 0)
        right = (probs.argmax(axis=1) == labels[ok]) & ~unsure
        print(f"| {name} | {ok.mean():.1%} | {right.mean():.1%} | {unsure.mean():.2%} | "
              f"{(~right & ~unsure).mean():.1%} |")
        if name == models[-1][0]:
            wrong = ~right & ~unsure
            pairs = [f"{t}→{p}" for t, p in zip(labels[ok][wrong], probs.argmax(axis=1)[wrong])]
            common = sorted(set(pairs), key=pairs.count, reverse=True)[:8]
            print("\nMost common misreads: " + ", ".join(f"{p} ×{pairs.count(p)}" for p in common))

    print("\nMNIST test digits (10,000).\n")
    print("| model | accuracy | not sure |")
    print("|---|---:|---:|")
    for name, predictor in models:
        probs = predictor.probabilities(mnist.x_test / 255.0)
        print(f"| {name} | {(probs.argmax(axis=1) == mnist.y_test).mean():.2%} | "
              f"{(probs.max(axis=1) < (predictor.threshold or 0)).mean():.2%} |")
    print(f"\nTime {time.perf_counter() - started:.0f} s on {os.cpu_count()} CPU cores, "
          f"load average {os.getloadavg()[0]:.1f}.")
    return 0


def save_grid(real, likeness: DigitLikeness, out: str, per_row: int = 24) -> None:
    """Four rows of training's real non-digits that went in, then four rows of those the
    left-out rule kept out (digit-like), 28×28 at 2×, a grey band between."""
    images, _ = drawn_non_digits(real, 1500, seed=3)
    like = likeness.digit_like(images)
    went_in, left_out = images[~like][: 4 * per_row], images[like][: 4 * per_row]

    def rows(tiles: np.ndarray) -> np.ndarray:
        tiles = list(tiles) + [np.zeros((28, 28), np.uint8)] * (-len(tiles) % per_row)
        return np.vstack([np.hstack(tiles[i:i + per_row]) for i in range(0, len(tiles), per_row)])

    band = np.full((8, 28 * per_row), 90, np.uint8)
    grid = np.vstack([rows(went_in), band, rows(left_out)])
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(out)
    print(f"Wrote {out}: {len(images)} drawn, {like.mean():.1%} left out as digit-like; top: went in, "
          "bottom: left out.")


if __name__ == "__main__":
    sys.exit(main())
