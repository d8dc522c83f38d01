"""Digits, weights and maps as pictures: colour maps and crisp enlarged pixels."""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from digitstudio.explain.inspection import as_image28
from digitstudio.pixels import to_uint8

# ColorBrewer RdBu (blue = negative, white = 0, red = positive) and viridis anchors.
_RDBU = np.array([[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]], float)
_VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float)


def _colormap(values: np.ndarray, anchors: np.ndarray, lo: float, hi: float) -> np.ndarray:
    values = np.nan_to_num(np.asarray(values, float))  # a diverged model's NaN weights draw as 0
    t = np.clip((values - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    points = np.linspace(0, 1, len(anchors))
    rgb = np.stack([np.interp(t, points, anchors[:, c]) for c in range(3)], axis=-1)
    return rgb.astype(np.uint8)


def robust_scale(values: np.ndarray, percentile: float = 99.5) -> float:
    """A robust 'largest magnitude' so one extreme pixel does not wash out the rest."""
    mag = np.abs(values[np.isfinite(values)])
    if mag.size == 0:
        return 1.0
    scale = float(np.percentile(mag, percentile))
    return scale if scale > 0 else (float(mag.max()) or 1.0)


def diverging(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Signed values → RGB: red positive, white zero, blue negative (symmetric)."""
    scale = robust_scale(values) if scale is None else scale
    return _colormap(values, _RDBU, -scale, scale)


def sequential(values: np.ndarray, hi: float | None = None) -> np.ndarray:
    """Non-negative values → viridis RGB (dark = 0, yellow = largest)."""
    values = np.asarray(values, float)
    lo = min(0.0, float(values.min())) if values.size else 0.0
    hi = float(values.max()) if hi is None and values.size else (hi or 1.0)
    return _colormap(values, _VIRIDIS, lo, hi if hi > lo else lo + 1.0)


def enlarge(pixels: np.ndarray, size: int) -> Image.Image:
    """uint8 grey (h, w) or RGB (h, w, 3) → a size-wide image with crisp square pixels."""
    image = Image.fromarray(np.ascontiguousarray(pixels))
    h, w = pixels.shape[:2]
    return image.resize((size, max(1, round(size * h / w))), Image.NEAREST)


def digit_pixels(image28: np.ndarray) -> np.ndarray:
    """A 28×28 digit (float 0–1 or uint8) as uint8 grey, white ink on black."""
    return to_uint8(as_image28(image28))


def model_view_image(image28: np.ndarray, size: int = 140) -> Image.Image:
    """The 28×28 input enlarged without smoothing, so each pixel stays a visible square."""
    return enlarge(digit_pixels(image28), size)


def picture_row(pictures: list[np.ndarray], captions: list[str], size: int, gap: int = 8,
                marks: list[str | None] | None = None) -> None:
    """Several small pictures side by side, size px wide each. Streamlit lays an image list
    edge to edge, so each picture gets a transparent margin: tiles stay apart in any theme.
    `marks`: a CSS-style hex colour per picture (or None) for a frame around it, e.g. red
    around the digits the model misread."""
    tiles = []
    for index, pixels in enumerate(pictures):
        tile = enlarge(pixels, size).convert("RGBA")
        mark = marks[index] if marks else None
        if mark:
            width = max(3, size // 16)
            framed_tile = Image.new("RGBA", tile.size, mark)
            framed_tile.paste(tile.resize((tile.width - 2 * width, tile.height - 2 * width), Image.NEAREST),
                              (width, width))
            tile = framed_tile
        framed = Image.new("RGBA", (tile.width + gap, tile.height), (0, 0, 0, 0))
        framed.paste(tile, (gap // 2, 0))
        tiles.append(framed)
    st.image(tiles, caption=captions, width=size + gap)


def saliency_overlay(image28: np.ndarray, sal: np.ndarray) -> np.ndarray:
    """The digit as pale grey ink on white, tinted red/blue where the saliency is strong."""
    ink = as_image28(image28)
    base = np.repeat((255 - 70 * ink)[..., None], 3, axis=-1)
    scale = robust_scale(sal)
    colour = diverging(sal, scale).astype(float)
    alpha = np.clip(np.abs(sal) / scale, 0, 1)[..., None] ** 0.7
    return (base * (1 - alpha) + colour * alpha).astype(np.uint8)
