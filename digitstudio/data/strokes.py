"""Pen strokes as pixels: polylines drawn with a round brush (Pillow), for synthetic data.

Strokes are drawn binary at a working resolution several times finer than 28×28;
`digitstudio.drawing.preprocess.mnist_from_crop` then area-averages them down,
which gives the grey, anti-aliased edges MNIST's scanned strokes have.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from digitstudio.pixels import to_unit

Point = tuple[float, float]


def draw_strokes(shape: tuple[int, int], strokes: Iterable[Sequence[Point]], width: float) -> np.ndarray:
    """float32 (H, W) in {0, 1}: each stroke a polyline of (x, y) pixel points, drawn
    `width` px wide with round caps and joints (a single point is a dot)."""
    height, wide = shape
    picture = Image.new("L", (wide, height), 0)
    pen = ImageDraw.Draw(picture)
    r = max(width, 1.0) / 2
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke]
        if len(points) > 1:
            pen.line(points, fill=255, width=max(1, round(width)), joint="curve")
        for x, y in (points[0], points[-1]) if points else ():
            pen.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return to_unit(np.asarray(picture))


def ellipse_points(cx: float, cy: float, rx: float, ry: float, start: float = -90.0, sweep: float = 360.0,
                   tilt: float = 0.0, n: int = 48) -> list[Point]:
    """Points along an ellipse (angles in degrees, y down, `start` -90 = top, clockwise
    for positive `sweep`), rotated by `tilt` degrees about its centre."""
    angles = np.radians(start + np.linspace(0.0, sweep, n))
    x, y = rx * np.cos(angles), ry * np.sin(angles)
    t = np.radians(tilt)
    return [(cx + a * np.cos(t) - b * np.sin(t), cy + a * np.sin(t) + b * np.cos(t)) for a, b in zip(x, y)]
