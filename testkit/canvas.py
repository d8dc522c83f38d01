"""Pictures on the app's 280×280 RGBA canvas, as the canvas component sends them."""

from __future__ import annotations

import numpy as np
from PIL import Image

SIZE = 280  # the canvas, square (ui/drawing.py CANVAS_SIZE)


def canvas_from_digit(digit28: np.ndarray, transparent: bool = False) -> np.ndarray:
    """An MNIST digit drawn 200 px tall on the 280×280 canvas: white ink on opaque black
    (what the app's canvas sends), or ink only in the alpha channel (a transparent canvas)."""
    canvas = np.zeros((SIZE, SIZE, 4), np.uint8)
    big = np.asarray(Image.fromarray(digit28).resize((200, 200), Image.BILINEAR))
    if transparent:
        canvas[..., :3] = 255
        canvas[40:240, 40:240, 3] = big
    else:
        canvas[..., 3] = 255
        canvas[40:240, 40:240, :3] = big[..., None]
    return canvas


def dot_canvas(transparent: bool = False) -> np.ndarray:
    """A 6×6 dot in the middle of the canvas (too small to read), opaque or transparent."""
    canvas = np.zeros((SIZE, SIZE, 4), np.uint8)
    if transparent:
        canvas[..., :3] = 255
        canvas[138:144, 138:144, 3] = 255
    else:
        canvas[..., 3] = 255
        canvas[138:144, 138:144, :3] = 255
    return canvas
