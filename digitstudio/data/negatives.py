"""Synthetic non-digits for outlier exposure, and the Keras pieces to train on them.

Outlier exposure (Hendrycks, Mazeika & Dietterich, "Deep Anomaly Detection with
Outlier Exposure", ICLR 2019): besides the digits, the model sees inputs that are
not digits, with the uniform distribution over the ten classes as their target, so
it learns to spread its probability on them. The output stays a 10-way softmax:
every other feature, preset and uploaded model works unchanged, and "not a digit"
is read off a low top probability (`digitstudio.drawing.predict.describe`).

The non-digits (`make_negatives`) are drawn as pen strokes and put through the app's
MNIST recipe (`preprocess.mnist_from_crop`), so they look like what the app feeds
the model: letters (A E F H K M N R T V W X Y, shapes that no digit has), signs
(+ − × = ÷ % # * < > → ≠ ±), two MNIST digits side by side, shapes (triangle,
square, star, zigzag, wave, tick), random closed polygons of 3 or 4 corners, words of
two or three of those letters, scattered dots and dashes, a few random strokes and
dense scribbles, and glyphs of the Hershey vector fonts (`digitstudio.data.glyphs`:
Latin in four hands, Greek, Cyrillic, Japanese, pictograms), alone and as short words.
Letters and shapes that are also digits (O, I, l, S, Z, B, G, circles) are left out.

Training with them: targets are soft (one-hot rows for digits, 0.1 everywhere for
non-digits; `soft_targets`), the loss is categorical cross-entropy (equal to the
sparse form on one-hot rows), and the "accuracy" metric counts digits only
(`digit_accuracy`), so accuracy curves keep meaning "digits read right".
"""

from __future__ import annotations

import math

import numpy as np

from digitstudio.data.extra import NOT_A_DIGIT
from digitstudio.data.glyphs import pick_glyph, pick_glyph_word
from digitstudio.data.strokes import draw_strokes, ellipse_points
from digitstudio.drawing.preprocess import mnist_from_crop
from digitstudio.pixels import to_uint8, to_unit

# kind → share of the non-digits. Hershey glyphs (glyphs.py) take 70%: on hand-made non-digits
# unlike any template here they lifted "not sure" from 65.5% to 70.1% with MNIST test at 99.53%
# (40%: 67.3%, 99.52%; four more fonts: 75.2% but 99.47%).
# Tried and left out (README, The shipped model): MNIST digits mirrored or turned a quarter,
# with 20% non-digits instead of 10%: hand-made non-digits unlike any template here went from
# 65.5% to 70.3% named no digit, but MNIST test accuracy fell to 99.36–99.44% (3 seeds).
# Also tried: more letters, 3-digit numbers, a digit beside a letter, random-primitive glyphs:
# 65.7% and MNIST 99.50% at 10% non-digits, 70.3% and 99.34% at 20%.
KINDS: dict[str, float] = {
    "letter": 0.06, "sign": 0.055, "pair": 0.055, "shape": 0.035, "polygon": 0.025, "word": 0.02, "marks": 0.01,
    "strokes": 0.02, "scribble": 0.02, "glyph": 0.525, "glyph_word": 0.175,
}

# Polylines in a unit box (x right, y down), as a hand would draw them.
LETTERS: dict[str, list[list[tuple[float, float]]]] = {
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.22, 0.6), (0.78, 0.6)]],
    "E": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "F": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "H": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.9, 1.0)], [(0.1, 0.5), (0.9, 0.5)]],
    "K": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.15, 0.55)], [(0.35, 0.4), (0.9, 1.0)]],
    "M": [[(0.0, 1.0), (0.1, 0.0), (0.5, 0.7), (0.9, 0.0), (1.0, 1.0)]],
    "N": [[(0.1, 1.0), (0.1, 0.0), (0.9, 1.0), (0.9, 0.0)]],
    "R": [[(0.15, 1.0), (0.15, 0.0), (0.7, 0.02), (0.85, 0.25), (0.7, 0.48), (0.15, 0.5)],
          [(0.45, 0.5), (0.9, 1.0)]],
    "T": [[(0.0, 0.0), (1.0, 0.0)], [(0.5, 0.0), (0.5, 1.0)]],
    "V": [[(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)]],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.0)]],
    "X": [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]],
    "Y": [[(0.0, 0.0), (0.5, 0.5), (1.0, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
}
SIGNS: dict[str, list[list[tuple[float, float]]]] = {
    "plus": [[(0.5, 0.0), (0.5, 1.0)], [(0.0, 0.5), (1.0, 0.5)]],
    "minus": [[(0.0, 0.5), (1.0, 0.5)]],
    "times": [[(0.1, 0.1), (0.9, 0.9)], [(0.9, 0.1), (0.1, 0.9)]],
    "equals": [[(0.0, 0.3), (1.0, 0.3)], [(0.0, 0.7), (1.0, 0.7)]],
    "divide": [[(0.0, 0.5), (1.0, 0.5)], [(0.5, 0.12)], [(0.5, 0.88)]],
    "percent": [[(0.9, 0.0), (0.1, 1.0)], ellipse_points(0.2, 0.18, 0.15, 0.18, n=16),
                ellipse_points(0.8, 0.82, 0.15, 0.18, n=16)],
    "hash": [[(0.35, 0.0), (0.25, 1.0)], [(0.75, 0.0), (0.65, 1.0)], [(0.0, 0.33), (1.0, 0.33)],
             [(0.0, 0.67), (1.0, 0.67)]],
    "asterisk": [[(0.5, 0.0), (0.5, 1.0)], [(0.07, 0.25), (0.93, 0.75)], [(0.93, 0.25), (0.07, 0.75)]],
    "less": [[(1.0, 0.0), (0.0, 0.5), (1.0, 1.0)]],
    "greater": [[(0.0, 0.0), (1.0, 0.5), (0.0, 1.0)]],
    "arrow": [[(0.0, 0.5), (1.0, 0.5)], [(0.7, 0.2), (1.0, 0.5), (0.7, 0.8)]],
    "not_equal": [[(0.0, 0.35), (1.0, 0.35)], [(0.0, 0.65), (1.0, 0.65)], [(0.7, 0.0), (0.3, 1.0)]],
    "plus_minus": [[(0.5, 0.0), (0.5, 0.6)], [(0.1, 0.3), (0.9, 0.3)], [(0.1, 0.9), (0.9, 0.9)]],
}
SHAPES: dict[str, list[list[tuple[float, float]]]] = {
    "triangle": [[(0.5, 0.0), (1.0, 0.9), (0.0, 0.9), (0.5, 0.0)]],
    "square": [[(0.05, 0.05), (0.95, 0.05), (0.95, 0.95), (0.05, 0.95), (0.05, 0.05)]],
    "star": [[(0.5, 0.0), (0.79, 0.9), (0.02, 0.35), (0.98, 0.35), (0.21, 0.9), (0.5, 0.0)]],
    "zigzag": [[(0.0, 0.3), (0.2, 0.7), (0.4, 0.3), (0.6, 0.7), (0.8, 0.3), (1.0, 0.7)]],
    "wave": [[(t, 0.5 - 0.3 * math.sin(t * 4 * math.pi)) for t in np.linspace(0, 1, 24)]],
    "tick": [[(0.0, 0.55), (0.3, 0.95), (1.0, 0.0)]],
}
# Width / height of each template when drawn (1 = square); signs and shapes vary.
ASPECT = {"minus": 4.0, "equals": 1.6, "arrow": 1.6, "zigzag": 2.0, "wave": 2.2, "M": 1.1, "W": 1.3}


def _draw(strokes, rng: np.random.Generator, aspect: float = 1.0) -> np.ndarray:
    """Strokes in a unit box → float32 (28, 28) as the app would make it: random size,
    brush, rotation (±15°) and hand jitter, then the MNIST recipe."""
    size = rng.uniform(60, 160)  # longer side, canvas px
    aspect *= rng.uniform(0.75, 1.3)
    w, h = (size, size / aspect) if aspect >= 1 else (size * aspect, size)
    angle = math.radians(rng.uniform(-15, 15))
    cos, sin = math.cos(angle), math.sin(angle)
    jitter = 0.04 * size
    moved = []
    for stroke in strokes:
        points = []
        for x, y in stroke:
            px, py = (x - 0.5) * w + rng.normal(0, jitter / 2), (y - 0.5) * h + rng.normal(0, jitter / 2)
            points.append((px * cos - py * sin, px * sin + py * cos))
        moved.append(points)
    return _rasterize(moved, brush=rng.uniform(0.05, 0.15) * size)


def _rasterize(strokes, brush: float) -> np.ndarray:
    points = np.array([p for stroke in strokes for p in stroke], np.float64)
    offset = points.min(axis=0) - brush
    extent = points.max(axis=0) - offset + brush
    shifted = [[(x - offset[0], y - offset[1]) for x, y in stroke] for stroke in strokes]
    ink = draw_strokes((int(math.ceil(extent[1])), int(math.ceil(extent[0]))), shifted, brush)
    return _recipe(ink)


def _recipe(ink: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(ink > 0.1)
    if ys.size == 0:
        return np.zeros((28, 28), np.float32)
    return mnist_from_crop(ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1])


def _pair(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two MNIST digits side by side (0–5 px apart at 28×28, ±2 px up or down)."""
    a, b = (to_unit(digits[i]) for i in rng.integers(0, len(digits), 2))
    crops = []
    for digit in (a, b):
        ys, xs = np.nonzero(digit > 25 / 255)
        crops.append(digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1] if ys.size else digit)
    gap, lift = int(rng.integers(0, 6)), int(rng.integers(-2, 3))
    height = max(c.shape[0] for c in crops) + 2 * abs(lift)
    width = crops[0].shape[1] + gap + crops[1].shape[1]
    both = np.zeros((height, width), np.float32)
    both[abs(lift):abs(lift) + crops[0].shape[0], :crops[0].shape[1]] = crops[0]
    top = abs(lift) + lift
    np.maximum(both[top:top + crops[1].shape[0], width - crops[1].shape[1]:], crops[1],
               out=both[top:top + crops[1].shape[0], width - crops[1].shape[1]:])
    big = np.kron(both, np.ones((4, 4), np.float32))  # mnist_from_crop expects a canvas-sized crop
    return _recipe(big)


def _random_strokes(rng: np.random.Generator, scribble: bool) -> np.ndarray:
    """3–5 short random polylines, or one dense back-and-forth scribble of 12–30 points."""
    if scribble:
        strokes = [[tuple(p) for p in rng.uniform(0, 1, (int(rng.integers(12, 31)), 2))]]
    else:
        strokes = [[tuple(p) for p in rng.uniform(0, 1, (int(rng.integers(2, 4)), 2))]
                   for _ in range(int(rng.integers(3, 6)))]
    return _draw(strokes, rng)


def _polygon(rng: np.random.Generator) -> np.ndarray:
    """A closed polygon of 3 or 4 corners, spread around the centre (evenly spaced angles,
    jittered by up to a third of the spacing) at radii 0.55–1 of the box's half side:
    never a sliver that passes for a one, and too few corners to pass for a zero (a
    pentagon drawn with a round brush already can). Drawn in one stroke back to its
    first corner."""
    corners = int(rng.integers(3, 5))
    spacing = 2 * math.pi / corners
    angles = rng.uniform(0, 2 * math.pi) + spacing * np.arange(corners) + rng.uniform(-1, 1, corners) * spacing / 3
    radii = rng.uniform(0.55, 1.0, corners) / 2
    points = [(0.5 + r * math.cos(a), 0.5 + r * math.sin(a)) for a, r in zip(angles, radii)]
    return _draw([points + points[:1]], rng)


def _word(rng: np.random.Generator) -> np.ndarray:
    """Two or three of the LETTERS side by side, as a short written word."""
    names = [list(LETTERS)[int(i)] for i in rng.integers(len(LETTERS), size=int(rng.integers(2, 4)))]
    gap = rng.uniform(0.05, 0.3)
    strokes = [[((x + k * (1 + gap)), y) for x, y in stroke] for k, name in enumerate(names)
               for stroke in LETTERS[name]]
    width = len(names) * (1 + gap) - gap
    return _draw([[(x / width, y) for x, y in stroke] for stroke in strokes], rng, aspect=width)


def _marks(rng: np.random.Generator) -> np.ndarray:
    """2–5 dots and short dashes spread over the box (at least 0.6 of its side apart, a
    dash at most 0.2 long): a colon, an ellipsis, dashes; never one bar that reads as 1."""
    count = int(rng.integers(2, 6))
    spots = rng.uniform(0, 1, (count, 2))
    while np.ptp(spots, axis=0).max() < 0.6:
        spots = rng.uniform(0, 1, (count, 2))
    strokes = []
    for x, y in spots:
        length = rng.uniform(0, 0.2) * (rng.random() < 0.5)
        angle = rng.uniform(0, math.pi)
        strokes.append([(x, y), (x + length * math.cos(angle), y + length * math.sin(angle))])
    return _draw(strokes, rng)


def make_negatives(n: int, seed: int = 0, digits: np.ndarray | None = None) -> np.ndarray:
    """uint8 (n, 28, 28) non-digits, kinds mixed as in KINDS (seeded). `digits`
    (uint8 (m, 28, 28) MNIST images) supply the two-digit pairs; without them the
    pairs' share goes to the other kinds."""
    rng = np.random.default_rng(seed)
    kinds = {k: v for k, v in KINDS.items() if k != "pair" or digits is not None and len(digits) > 1}
    names, shares = list(kinds), np.array(list(kinds.values()))
    picks = rng.choice(len(names), size=n, p=shares / shares.sum())
    out = np.zeros((n, 28, 28), np.uint8)
    for i, pick in enumerate(picks):
        image = draw_negative(names[pick], rng, digits)
        out[i] = to_uint8(image)
    return out


def draw_negative(kind: str, rng: np.random.Generator, digits: np.ndarray | None = None) -> np.ndarray:
    """One non-digit of `kind` (a KINDS key): float32 (28, 28) in [0, 1]; "pair" needs
    `digits` (uint8 (m, 28, 28) MNIST images). Raises KeyError for an unknown kind."""
    if kind == "pair":
        return _pair(digits, rng)
    if kind == "polygon":
        return _polygon(rng)
    if kind == "word":
        return _word(rng)
    if kind == "marks":
        return _marks(rng)
    if kind in ("glyph", "glyph_word"):
        strokes, aspect = pick_glyph(rng) if kind == "glyph" else pick_glyph_word(rng)
        return _draw(strokes, rng, aspect)
    if kind in ("strokes", "scribble"):
        return _random_strokes(rng, scribble=kind == "scribble")
    table = {"letter": LETTERS, "sign": SIGNS, "shape": SHAPES}[kind]
    name = list(table)[int(rng.integers(len(table)))]
    return _draw(table[name], rng, ASPECT.get(name, 1.0))


def soft_targets(y: np.ndarray, n_negatives: int = 0) -> np.ndarray:
    """float32 (len(y) + n_negatives, 10): a one-hot row for each label 0–9 in `y`, a
    uniform row (0.1 each) for each NOT_A_DIGIT (10) in `y`, then `n_negatives` uniform
    rows for the non-digits appended after them."""
    labels = np.concatenate([np.asarray(y, np.int64).reshape(-1), np.full(n_negatives, NOT_A_DIGIT, np.int64)])
    targets = np.full((len(labels), 10), 0.1, np.float32)
    digits = labels != NOT_A_DIGIT
    targets[digits] = np.eye(10, dtype=np.float32)[labels[digits]]
    return targets


def digit_accuracy():
    """A Keras metric named "accuracy": the fraction of digit rows (one-hot targets)
    whose argmax is right; uniform (non-digit) rows are not counted. Built lazily so
    importing this module does not import Keras."""
    import keras
    from keras import ops

    class DigitAccuracy(keras.metrics.Metric):
        def __init__(self, name="accuracy", **kwargs):
            super().__init__(name=name, **kwargs)
            self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            is_digit = ops.cast(ops.max(y_true, axis=-1) > 0.5, "float32")
            hit = ops.cast(ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1)), "float32")
            self.correct.assign_add(ops.sum(hit * is_digit))
            self.count.assign_add(ops.sum(is_digit))

        def result(self):
            return ops.divide_no_nan(self.correct, self.count)

        def reset_state(self):
            self.correct.assign(0.0)
            self.count.assign(0.0)

    return DigitAccuracy()
