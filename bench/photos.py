"""How well does the app read photos of digits on paper, and does it refuse bad photos?

The photo set is synthetic (testkit/photo_samples.py: MNIST test digits rendered as ink on
paper with uneven light, shadows, blur, rotation, JPEG, EXIF orientation, 12 MP files;
plus blank pages, several digits, faces, a scene, a dark and a faint photo). Each photo
goes through digitstudio.drawing.photo.read_photo and, when it finds one digit, the
model. Goal: ≥ 95% of the good photos read right, 100% of the bad ones refused.

    python bench/photos.py --n-good 40 --grid docs/photo_steps.png
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digitstudio.data.mnist import load_npz  # noqa: E402
from digitstudio.drawing.photo import read_photo  # noqa: E402
from testkit.photo_samples import photo_set  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-good", type=int, default=40, help="good photos (default 40; the classes in turn)")
    parser.add_argument("--bad-rounds", type=int, default=2, help="bad photos: 12 kinds × this many (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=str(ROOT / "model" / "digit_cnn.keras"), help=".keras model file")
    parser.add_argument("--data", help="MNIST .npz (default: $MNIST_NPZ, else ../shared/data/mnist.npz)")
    parser.add_argument("--grid", help="also save a PNG of example photos and their steps")
    parser.add_argument("--save", help="also write every photo into this folder (to look at them)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from digitstudio.storage.model_files import load_predictor

    data = load_npz(args.data or os.environ.get("MNIST_NPZ") or ROOT.parent / "shared" / "data" / "mnist.npz")
    started = time.perf_counter()
    samples = photo_set(data.x_test, data.y_test, args.n_good, args.seed, args.bad_rounds)
    print(f"{len(samples)} photos made in {time.perf_counter() - started:.1f} s")
    predictor = load_predictor(args.model)
    if args.save:
        Path(args.save).mkdir(parents=True, exist_ok=True)
        for sample in samples:
            suffix = ".png" if sample.data.startswith(b"\x89PNG") else ".jpg"
            (Path(args.save) / f"{sample.name}{suffix}").write_bytes(sample.data)

    rows = []
    for sample in samples:
        started = time.perf_counter()
        reading = read_photo(sample.data)
        seconds = time.perf_counter() - started
        prediction = predictor.predict(reading.image) if reading.ok else None
        rows.append((sample, reading, prediction, seconds))

    originals = np.stack([data.x_test[row[0].mnist_index] for row in rows if row[0].good])
    labels = np.array([row[0].label for row in rows if row[0].good])
    reference = float((predictor.probabilities(originals / 255.0).argmax(axis=1) == labels).mean())
    print_table(rows, reference)
    if args.grid:
        save_grid(rows, args.grid)
        print(f"Wrote {args.grid}")
    return 0


def print_table(rows, reference: float) -> None:
    good = [row for row in rows if row[0].good]
    bad = [row for row in rows if not row[0].good]
    found = [row for row in good if row[1].ok]
    right = [row for row in found if row[2].digit == row[0].label]
    sure = [row for row in right if not row[2].close]
    refused = [row for row in bad if not row[1].ok]
    times = np.array([row[3] for row in rows]) * 1000

    print("\n| photos | n | result |")
    print("|---|---:|---|")
    print(f"| good: one digit found | {len(good)} | {len(found)} ({100 * len(found) / len(good):.1f}%) |")
    print(f"| good: read right | {len(good)} | **{len(right)} ({100 * len(right) / len(good):.1f}%)**"
          f", {len(sure)} of them not marked close |")
    print(f"| (the same digits' MNIST 28×28 originals, read right) | {len(good)} | {100 * reference:.1f}% |")
    print(f"| bad: refused | {len(bad)} | **{len(refused)} ({100 * len(refused) / len(bad):.0f}%)** |")
    print(f"| time per photo (ms) | {len(rows)} | median {np.median(times):.0f}, max {times.max():.0f} |")

    misses = [row for row in good if not row[1].ok or row[2].digit != row[0].label]
    if misses:
        print("\nGood photos missed:")
        for sample, reading, prediction, _ in misses:
            said = f"read {prediction.digit} ({prediction.confidence:.0%})" if prediction else reading.status
            print(f"  {sample.name} (a {sample.label}; {sample.note}): {said}")
    print("\nBad photos:")
    for sample, reading, prediction, _ in bad:
        said = reading.status if not reading.ok else f"NOT REFUSED: read {prediction.digit}"
        print(f"  {sample.note:32s} {said}")
    print("\nGood photos' refusals by status:", dict(Counter(row[1].status for row in good if not row[1].ok)) or "none")


GRID_BAD = ("blank page", "two digits apart", "a drawn smiley face", "a natural-image-like scene", "very dark")


def save_grid(rows, out: str, n_good: int = 5) -> None:
    """Rows of examples: the photo, the ink found, the crop, the 28×28, and the verdict."""
    good = [row for row in rows if row[0].good][:n_good]
    bad = {row[0].note: row for row in reversed(rows) if not row[0].good}
    picks = [bad[note] for note in GRID_BAD if note in bad]
    tile, gap, label_width = 120, 6, 230
    header = 22
    width = 4 * (tile + gap) + label_width
    grid = Image.new("RGB", (width, header + len(good + picks) * (tile + gap)), "white")
    pen = ImageDraw.Draw(grid)
    for col, name in enumerate(("photo (grey)", "ink", "crop", "28 x 28")):
        pen.text((col * (tile + gap) + 4, 4), name, fill="black")
    pen.text((4 * (tile + gap) + 4, 4), "result", fill="black")
    for row, (sample, reading, prediction, _) in enumerate(good + picks):
        y = header + row * (tile + gap)
        for col, image in enumerate(reading.steps().values()):
            picture = Image.fromarray(image).convert("RGB")
            if image.shape == (28, 28):  # pixels shown as blocks, as the model sees them
                picture = picture.resize((tile - 8, tile - 8), Image.NEAREST)
            else:
                picture.thumbnail((tile, tile), Image.BILINEAR)
            grid.paste(picture, (col * (tile + gap), y))
        if prediction is not None:
            verdict = f"a {sample.label}: read {prediction.digit} ({prediction.confidence:.0%})"
        else:
            verdict = f"refused ({reading.status})"
        pen.multiline_text((4 * (tile + gap) + 4, y + 4), _wrap(f"{verdict}\n{sample.note}", 34), fill="black")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    grid.convert("L").save(out, optimize=True)  # every step is grey


def _wrap(text: str, width: int) -> str:
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
