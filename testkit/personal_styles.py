"""Hand-made stroke digits in a few consistent personal styles, drawn like the app's canvas.

Each style is a digit written one quirky way (pen strokes as polylines in a unit box,
y down). `draw_style()` makes random instances of it the way a person repeats their
own handwriting: the same strokes, each time a little rotated, slanted, squashed,
wobbly, bigger or smaller and somewhere else on the 280×280 canvas, with a round
18-px brush (the app's default), as transparent RGBA like streamlit-drawable-canvas.
`bench/finetune_benefit.py`, `bench/labelling.py` and tests/test_browser_teach.py use them.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from testkit import style_strokes
from testkit.style_strokes import BRUSH, CANVAS


def _arc(cx, cy, rx, ry, start, end, n=24):
    """Points on an ellipse from angle `start` to `end` (degrees, 0 = right, 90 = down)."""
    return style_strokes._arc(cx, cy, rx, ry, start, end, n)


# One person's handwriting, one quirky style per digit: (digit, description, strokes);
# a stroke is a list of (x, y) in [0, 1], y down. The shipped model misreads ball-6 and stub-9.
STYLES = {
    "dotted-0": (0, "a zero with a dot in the middle (as some programmers write it)",
                 [_arc(0.5, 0.5, 0.3, 0.48, 0, 360, 40), [(0.49, 0.49), (0.51, 0.51)]]),
    "footed-1": (1, "a 1 standing on a wide base bar, without a flag",
                 [[(0.5, 0.0), (0.5, 0.95)], [(0.15, 0.97), (0.85, 0.97)]]),
    "looped-2": (2, "a 2 with a loop where the diagonal meets the base",
                 [_arc(0.5, 0.28, 0.35, 0.25, 200, 360) + _arc(0.5, 0.28, 0.35, 0.25, 0, 40)[1:]
                  + [(0.3, 0.78)] + _arc(0.32, 0.85, 0.12, 0.12, 270, 630)[1:] + [(0.95, 0.92)]]),
    "flat-top-3": (3, "a 3 with a flat top bar and a sharp zig-zag (like a Ʒ)",
                   [[(0.1, 0.05), (0.85, 0.05), (0.4, 0.42)] + _arc(0.45, 0.68, 0.4, 0.28, -80, 150)[1:]]),
    "cursive-4": (4, "a 4 written like a 'y': a cup on the left joined to a long right stem",
                  [[(0.12, 0.05)] + _arc(0.4, 0.35, 0.28, 0.25, 180, 90)[1:] + [(0.7, 0.55)],
                   [(0.75, 0.0), (0.72, 0.5), (0.65, 1.0)]]),
    "s-5": (5, "a 5 written like an S: a round top instead of the corner",
            [_arc(0.55, 0.22, 0.3, 0.2, 340, 180) + _arc(0.5, 0.66, 0.34, 0.3, 250, 500)[1:]]),
    "ball-6": (6, "a 6 that is mostly a big ball with a short tick on top",
               [[(0.55, 0.0), (0.2, 0.45)] + _arc(0.5, 0.62, 0.36, 0.36, 180, 540, 40)[1:]]),
    "hooked-7": (7, "a 7 whose stem curls back left into a hook at the bottom",
                 [[(0.1, 0.05), (0.9, 0.05), (0.55, 0.6), (0.45, 0.85)]
                  + _arc(0.3, 0.82, 0.15, 0.13, 0, 200)[1:]]),
    "snowman-8": (8, "an 8 drawn as two separate stacked circles",
                  [_arc(0.5, 0.24, 0.26, 0.22, 0, 360, 32), _arc(0.5, 0.72, 0.34, 0.26, 0, 360, 32)]),
    "stub-9": (9, "a 9 that is a big circle with a tiny stub of a stem",
               [_arc(0.5, 0.4, 0.4, 0.38, 0, 360, 40) + [(0.9, 0.4), (0.88, 0.75)]]),
}


def _transform(strokes, rng: np.random.Generator):
    """One person's repeat of the style: small rotation, slant, squash and wobble."""
    angle = math.radians(rng.normal(0, 4))
    shear = rng.normal(0, 0.08)
    sx, sy = rng.normal(1, 0.06), rng.normal(1, 0.06)
    out = []
    for stroke in strokes:
        points = np.array(stroke, np.float64) - 0.5
        points += rng.normal(0, 0.012, points.shape)  # hand wobble
        points[:, 0] = (points[:, 0] + shear * points[:, 1]) * sx
        points[:, 1] *= sy
        rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        out.append(points @ rotation.T)
    return out


def place(strokes, rng: np.random.Generator, brush: int = BRUSH) -> list[list[tuple[float, float]]]:
    """One repeat of the style (see _transform) as pen paths in canvas pixels: the digit
    120–220 px tall somewhere on the 280×280 canvas (a browser test draws these)."""
    strokes = _transform(strokes, rng)
    allpts = np.concatenate(strokes)
    low, high = allpts.min(0), allpts.max(0)
    height = rng.uniform(120, 220)
    scale = height / max(high[1] - low[1], 1e-6)
    size = (high - low) * scale
    room = np.maximum(CANVAS - 2 * brush - size, 0)
    origin = brush + rng.uniform(0, 1, 2) * room
    return [[tuple(float(v) for v in origin + (p - low) * scale) for p in stroke] for stroke in strokes]


def render(strokes, rng: np.random.Generator, brush: int = BRUSH) -> np.ndarray:
    """Strokes in a unit box → (280, 280, 4) uint8 RGBA canvas: black ink, transparent
    background, the digit 120–220 px tall somewhere on the canvas."""
    picture = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    pen = ImageDraw.Draw(picture)
    radius = brush / 2
    for points in place(strokes, rng, brush):
        pen.line(points, fill=(0, 0, 0, 255), width=brush, joint="curve")
        for x, y in (points[0], points[-1]):
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(0, 0, 0, 255))
    return np.asarray(picture)


def draw_style(name: str, n: int, seed: int) -> list[np.ndarray]:
    """n random canvases (280, 280, 4) of one style."""
    rng = np.random.default_rng(seed)
    strokes = STYLES[name][2]
    return [render(strokes, rng) for _ in range(n)]
