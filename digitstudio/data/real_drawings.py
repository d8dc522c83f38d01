"""Real handwriting put through the app's own canvas recipe, for training and the bench.

Three uses of `data/real.py`'s arrays:

- **Real non-digits** (`real_non_digits`), for outlier exposure as `negatives.py`'s
  synthetic ones: Quick, Draw! doodles of the training classes and Omniglot's training
  characters, each drawn as a person would draw it on the 280 px canvas (`omniglot_canvas`:
  the strokes at a random size and place with the app's 18 px brush or another pen of
  6–28 px; `doodle_canvas`: the doodle's bitmap enlarged to a random size), then
  `preprocess` — crop, stroke normalisation, 20 px box, centre of mass — exactly as a
  drawing is. Canvases the app would refuse (too small for their brush) are not used.
- **The left-out rule** (`DigitLikeness`): some doodles and characters are drawn like a
  digit (a circle, an l, an S, a Z). They are not taught as non-digits. The rule is
  stated on the data, not on any model's answer (which would throw away exactly the
  hard cases): an image is *digit-like* when its nearest MNIST training digit is at
  least as near as it is for 90% of MNIST's own test digits (Euclidean distance of the
  28×28 images in the first 50 principal components of MNIST's training digits). The
  `circle` class is a drawn zero and is left out whole (`real.QUICKDRAW_DIGITS`).
- **Real digits** (`semeion_digits`): Semeion's 16×16 digits are stretched to fill their
  box, so each is given back a digit's proportions (a width/height ratio drawn from
  MNIST's own digits of that class), enlarged and put through the MNIST recipe.

`docs/real_handwriting.png` shows what went in and what was left out
(`python bench/real_handwriting.py --grid docs/real_handwriting.png`).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digitstudio.data.real import RealHandwriting
from digitstudio.data.strokes import draw_strokes
from digitstudio.drawing.preprocess import Preprocessed, mnist_from_crop, preprocess
from digitstudio.pixels import to_uint8, to_unit

CANVAS = 280  # px: the app's drawing canvas
APP_BRUSH = 18  # px: the app's brush (ui/drawing.py BRUSH_WIDTH)
SIZES = (60.0, 250.0)  # px: the longer side of a drawing on the canvas, drawn uniformly
PENS = (6.0, 28.0)  # px: other pens (a stylus to a fat finger), half the drawings
PCA_COMPONENTS = 50
DIGIT_LIKE_PERCENTILE = 90  # nearer to MNIST than this percentile of MNIST's test digits: digit-like


# --- drawing on the canvas ---------------------------------------------------------------

def _place(extent: np.ndarray, size: float, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """Scale for a drawing of `extent` (x, y) so its longer side is `size` px, and a
    random top-left corner that keeps it on the canvas."""
    scale = size / max(float(extent.max()), 1e-6)
    room = np.maximum(CANVAS - extent * scale, 0)
    return scale, rng.uniform(0, 1, 2) * room


def omniglot_canvas(strokes: list[np.ndarray], rng: np.random.Generator, size: float | None = None,
                    brush: float | None = None, corner: np.ndarray | None = None) -> np.ndarray:
    """Pen strokes (float (k, 2) x, y arrays) drawn on a 280×280 canvas as the app draws:
    float32 (280, 280) ink in {0, 1}, white on black. The longer side is `size` px
    (random in SIZES), the brush `brush` px (the app's 18 px or, half the time, a random
    pen in PENS), the top-left corner `corner` (random on the canvas)."""
    brush = brush if brush is not None else (APP_BRUSH if rng.random() < 0.5 else rng.uniform(*PENS))
    size = size if size is not None else rng.uniform(*SIZES)
    points = np.vstack(strokes)
    low = points.min(axis=0)
    scale, origin = _place(points.max(axis=0) - low, max(size - brush, 1.0), rng)
    origin = corner if corner is not None else origin
    moved = [[(float(x), float(y)) for x, y in (stroke - low) * scale + origin + brush / 2] for stroke in strokes]
    return draw_strokes((CANVAS, CANVAS), moved, brush)


def doodle_canvas(image: np.ndarray, rng: np.random.Generator, size: float | None = None,
                  corner: np.ndarray | None = None) -> np.ndarray:
    """A 28×28 doodle bitmap (uint8, white on black) enlarged (bilinear) so its ink's
    longer side is `size` px (random in SIZES) and placed on a 280×280 canvas at
    `corner` (random): float32 (280, 280) in [0, 1]."""
    ys, xs = np.nonzero(image > 25)
    canvas = np.zeros((CANVAS, CANVAS), np.float32)
    if ys.size == 0:
        return canvas
    crop = image[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    size = size if size is not None else rng.uniform(*SIZES)
    scale, origin = _place(np.array([crop.shape[1], crop.shape[0]], np.float64), size, rng)
    origin = corner if corner is not None else origin
    width, height = (max(1, min(CANVAS, round(n * scale))) for n in (crop.shape[1], crop.shape[0]))
    big = to_unit(np.asarray(Image.fromarray(crop).resize((width, height), Image.BILINEAR)))
    left, top = (int(min(max(v, 0), CANVAS - n)) for v, n in zip(origin, (width, height)))
    canvas[top:top + height, left:left + width] = big
    return canvas


def read_canvas(canvas: np.ndarray) -> Preprocessed:
    """The app's recipe on a black canvas of float ink: `preprocess(canvas, background=0)`."""
    return preprocess(canvas, background=0)


# --- the left-out rule ---------------------------------------------------------------------

class DigitLikeness:
    """Whether 28×28 images are drawn like a digit, judged against MNIST itself.

    Fitted on MNIST: the first PCA_COMPONENTS principal components of the training
    digits (an SVD of every 6th one), and the distance from MNIST test digits (a seeded
    2,000) to their nearest training digit; the threshold is that distance's
    DIGIT_LIKE_PERCENTILE-th percentile. `digit_like(images)` is True where an image's
    nearest training digit is nearer than the threshold: it sits among real digits as
    closely as 90% of real digits do. `nearest(images)` gives the distance and that
    digit's label. Costs ~2 s to fit and ~2 ms per image on two CPU cores."""

    def __init__(self, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, seed: int = 0):
        train = _flat(x_train)
        self.mean = train[::6].mean(axis=0)
        _, _, vt = np.linalg.svd(train[::6] - self.mean, full_matrices=False)
        self.basis = vt[:PCA_COMPONENTS].T.astype(np.float32)
        self.codes = (train - self.mean) @ self.basis
        self.norms = (self.codes ** 2).sum(axis=1)
        self.labels = np.asarray(y_train).astype(np.int64)
        sample = np.random.default_rng(seed).permutation(len(x_test))[:2000]
        distance, _ = self.nearest(np.asarray(x_test)[sample])
        self.threshold = float(np.percentile(distance, DIGIT_LIKE_PERCENTILE))

    def nearest(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """float32 (n,) distance of each image (uint8 0–255 or float 0–1, (n, 28, 28))
        to its nearest MNIST training digit in PCA space, and int64 (n,) that digit's label."""
        codes = (_flat(images) - self.mean) @ self.basis
        distances, labels = [], []
        for start in range(0, len(codes), 1024):
            chunk = codes[start:start + 1024]
            squared = (chunk ** 2).sum(axis=1)[:, None] - 2 * chunk @ self.codes.T + self.norms[None]
            best = squared.argmin(axis=1)
            distances.append(np.sqrt(np.maximum(squared[np.arange(len(chunk)), best], 0)))
            labels.append(self.labels[best])
        if not distances:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        return np.concatenate(distances).astype(np.float32), np.concatenate(labels)

    def digit_like(self, images: np.ndarray) -> np.ndarray:
        """bool (n,): drawn like a digit (see the class's rule)."""
        distance, _ = self.nearest(images)
        return distance < self.threshold


def _flat(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    x = to_unit(x) if x.dtype == np.uint8 else x.astype(np.float32)
    return x.reshape(len(x), -1)


# --- training sets ---------------------------------------------------------------------------

def drawn_non_digits(real: RealHandwriting, n: int, seed: int, part: str = "train"
                     ) -> tuple[np.ndarray, np.ndarray]:
    """`n` real drawings put through the app's recipe, before the left-out rule: uint8
    (m ≤ n, 28, 28) images and int64 (m,) where each came from (≥ 0: a Quick, Draw!
    index; < 0: −1 − an Omniglot index). Half doodles, half characters, picked at random
    (seeded) from `part` ("train": the training classes and Omniglot's train split;
    "held_out": the held-out classes and Omniglot's test split). Canvases the app would
    refuse (too small for their brush) are dropped, so m may be a little under n."""
    rng = np.random.default_rng(seed)
    doodles = real.quickdraw_part(part)
    characters = real.omniglot_part("train" if part == "train" else "test")
    n_doodles = n // 2
    picks = [(int(i), True) for i in rng.choice(doodles, n_doodles, replace=n_doodles > len(doodles))]
    picks += [(int(i), False) for i in rng.choice(characters, n - n_doodles, replace=n - n_doodles > len(characters))]
    picks = [picks[k] for k in rng.permutation(len(picks))]
    images, origins = [], []
    for index, is_doodle in picks:
        canvas = (doodle_canvas(real.quickdraw_images[index], rng) if is_doodle
                  else omniglot_canvas(real.omniglot_strokes(index), rng))
        result = read_canvas(canvas)
        if result.status == "ok":
            images.append(to_uint8(result.image))
            origins.append(index if is_doodle else -1 - index)
    if not images:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    return np.stack(images), np.asarray(origins, np.int64)


def real_non_digits(real: RealHandwriting, n: int, seed: int, likeness: DigitLikeness,
                    part: str = "train") -> np.ndarray:
    """uint8 (n, 28, 28): real doodles and characters drawn through the app's recipe with
    the digit-like ones left out (`drawn_non_digits`, then `likeness.digit_like`), for
    outlier exposure. About 1 in 7 drawn is left out, so a few more are drawn than asked."""
    if n <= 0:
        return np.zeros((0, 28, 28), np.uint8)
    kept: list[np.ndarray] = []
    have, round_ = 0, 0
    while have < n:
        images, _ = drawn_non_digits(real, int((n - have) * 1.25) + 8, seed * 1000 + round_, part)
        images = images[~likeness.digit_like(images)]
        kept.append(images)
        have += len(images)
        round_ += 1
    return np.concatenate(kept)[:n]


def semeion_digits(real: RealHandwriting, copies: int, seed: int, x_mnist: np.ndarray, y_mnist: np.ndarray,
                   part: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Semeion's digits of `part` ("train" or "held_out") made MNIST-like, `copies` times
    each with fresh proportions: uint8 (k·copies, 28, 28) and their labels uint8.

    Each 16×16 digit fills its box; it is resized to a width/height ratio drawn from the
    ink boxes of MNIST digits of its class (`x_mnist`, `y_mnist`: uint8 (n, 28, 28), labels),
    at 64 px tall, then put through `mnist_from_crop`."""
    rng = np.random.default_rng(seed)
    ratios = _aspect_ratios(x_mnist, y_mnist)
    indices = real.semeion_part(part)
    images, labels = [], []
    for _ in range(max(0, int(copies))):
        for index in indices:
            label = int(real.semeion_labels[index])
            ratio = float(rng.choice(ratios[label]))
            height = 64
            width = max(4, round(height * ratio))
            big = Image.fromarray(real.semeion_images[index]).resize((width, height), Image.BILINEAR)
            ink = to_unit(np.asarray(big))
            ys, xs = np.nonzero(ink > 0.1)
            if ys.size == 0:
                continue
            image = mnist_from_crop(ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1])
            images.append(to_uint8(image))
            labels.append(label)
    if not images:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)
    return np.stack(images), np.asarray(labels, np.uint8)


def _aspect_ratios(x: np.ndarray, y: np.ndarray, per_class: int = 500) -> dict[int, np.ndarray]:
    """Width/height of the ink box (pixels over 25) of up to `per_class` MNIST digits per class."""
    ratios = {}
    for digit in range(10):
        picks = np.flatnonzero(np.asarray(y) == digit)[:per_class]
        ink = np.asarray(x)[picks] > 25
        rows, cols = ink.any(axis=2), ink.any(axis=1)
        heights = 28 - rows[:, ::-1].argmax(axis=1) - rows.argmax(axis=1)
        widths = 28 - cols[:, ::-1].argmax(axis=1) - cols.argmax(axis=1)
        ratios[digit] = (widths / np.maximum(heights, 1)).astype(np.float64) if len(picks) else np.array([0.7])
    return ratios
