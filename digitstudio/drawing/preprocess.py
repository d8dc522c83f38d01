"""Canvas drawing → a 28×28 digit made the way MNIST's digits were made.

MNIST's digits (LeCun et al.) were scanned pen strokes, size-normalised to fit a
20×20 box keeping their aspect ratio (the anti-aliasing gives grey edges), then
placed in a 28×28 field so that their centre of mass is at the centre. A model
trained on MNIST only knows digits that look like that, so a drawing is put
through the same steps:

1. ink intensity in [0, 1] from the canvas (alpha, or distance to the background colour);
2. crop to the ink's bounding box;
3. normalise the stroke width: people draw small with a fat brush or large with a
   thin one, MNIST strokes are ~12% of the digit's size (2.4 px at 28×28);
4. scale the longer side to 20 px with area averaging (worked at 4× and reduced by
   4×4 block means, which is exact area averaging);
5. paste into 28×28 with the centre of mass at (14, 14) (whole-pixel shift, as MNIST).

`naive_resize()` is the baseline that squeezes the whole canvas to 28×28.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digitstudio.pixels import to_uint8, to_unit

OUT_SIZE = 28
BOX_SIZE = 20  # MNIST's digits fill a 20×20 box...
CENTER = 14.0  # ...with their centre of mass at pixel (14, 14) (measured: 13.995, 14.009)
SUPERSAMPLE = 4  # work at 4× so stroke changes and area averaging are fine-grained
WORK_SIZE = BOX_SIZE * SUPERSAMPLE

# Median stroke width / longer side of MNIST digits (3,000 training digits upsampled
# 4×, this module's estimator): 0.122, i.e. 2.4 px at 28×28; quartiles 0.10–0.14.
TARGET_STROKE_RATIO = 0.122
STROKE_TOLERANCE = 0.10  # within ±10% of the target the stroke is left alone
MAX_DILATION = 12.0  # working px (3 px at 28×28): a hairline gets thick, not a blob

INK_THRESHOLD = 0.1  # fainter than this is anti-aliasing haze, not part of the bounding box
MIN_CONTRAST = 32 / 255  # opaque images: a colour this close to the background is not ink
TINY_SIDE_FRACTION = 0.08  # bounding box's longer side under 8% of the canvas → "tiny"
TINY_INK_FRACTION = 0.002  # less ink than 0.2% of the canvas → "tiny"
# Stroke wider than 45% of the digit's longer side: loops have closed into a blob
# (drawn-digit benchmark: ~55% read right beyond it, 90–98% below) → "tiny".
THICK_RATIO = 0.45
# The widest part of the ink (diameter of the largest disc inside it) over 55% of the
# digit's longer side: a loop or flag has closed into a filled head. Drawn-digit bench
# (issue 10): at 60 px with a 28 px brush the 5th percentile is 0.49–0.54 and European
# ones read as 9s; at every other size and brush the 95th percentile is ≤ 0.49.
WIDEST_RATIO = 0.55
WIDEST_GRID = 64  # px: the disc is measured on the ink's mask shrunk to at most this size
FILLED_FRACTION = 0.5  # more than half the canvas inked: no digit looks like that → "filled"

MESSAGES = {
    "ok": "",
    "empty": "Draw a digit on the canvas.",
    "tiny": "That is very small: draw the digit bigger, filling most of the canvas.",
    "thick": "The strokes are too thick for such a small digit: draw it bigger, filling most of the canvas.",
    "filled": "The canvas is mostly ink: clear it and draw one digit.",
}


@dataclass(frozen=True)
class Preprocessed:
    """A drawing made MNIST-like, and whether it is fit to classify.

    status:
      "ok"     a digit-sized drawing; `image` is what the model should see.
      "empty"  no ink at all; `image` is all zeros.
      "tiny"   too small to be read: a dot or scribble (longer side < 8% of the canvas, or
               very little ink), or a digit so small for its brush that its strokes
               are over 45% of its size or its widest ink over 55% (loops closed into
               a blob; `message` then says so). `image` is still computed so the app
               can show it, but the app should ask for a bigger drawing rather than
               name a digit.
      "filled" more than half of the canvas is ink (e.g. flooded with the brush);
               `image` is all zeros and the app should ask to clear the canvas.
    """

    image: np.ndarray  # float32 (28, 28) in [0, 1], white ink on black
    status: str
    ink_fraction: float  # mean ink intensity over the whole canvas
    bbox: tuple[int, int, int, int] | None  # (left, top, right, bottom) in canvas px, right/bottom exclusive
    message: str
    stroke_width: float | None = None  # estimated stroke width in canvas px


# --- ink ------------------------------------------------------------------------------

def ink_intensity(canvas: np.ndarray, ink_from_alpha: bool | None = None, background: int | None = None) -> np.ndarray:
    """float32 (H, W) in [0, 1]: how much ink each pixel holds.

    Accepts (H, W, 4) RGBA, (H, W, 3) RGB or (H, W) grey, uint8 or float in [0, 1].
    RGBA whose alpha varies: alpha is the ink (a transparent canvas with strokes of any
    colour). Otherwise the ink is the distance from the background colour (the median
    of the border), so dark-on-white and white-on-black both work. `ink_from_alpha=True`
    forces the alpha reading; use it for a transparent canvas, where a canvas flooded
    with one colour is all ink rather than an opaque, empty picture. `background` (a grey
    level 0–255, the same in every channel) replaces the border's median when the caller
    knows it, e.g. 0 for the app's black canvas: a stroke drawn along the whole edge then
    stays ink instead of turning the rest of the canvas into ink.
    """
    pixels = _as_uint8(canvas)
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        alpha = pixels[..., 3]
        low, high = int(alpha.min()), int(alpha.max())
        if ink_from_alpha or (ink_from_alpha is None and low != high):
            return to_unit(alpha)
        if high == 0:  # fully transparent: whatever the RGB holds is invisible
            return np.zeros(alpha.shape, np.float32)
        pixels = pixels[..., :3]
    return _distance_from_background(pixels, background)


def _as_uint8(canvas: np.ndarray) -> np.ndarray:
    pixels = np.asarray(canvas)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    if not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] in (3, 4))):
        raise ValueError(f"Expected an (H, W), (H, W, 3) or (H, W, 4) image, not shape {pixels.shape}.")
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"The image is empty (shape {pixels.shape}).")
    if pixels.dtype == np.uint8:
        return pixels
    values = pixels.astype(np.float32)
    if pixels.dtype == bool or (np.issubdtype(pixels.dtype, np.floating) and values.max(initial=0.0) <= 1.0):
        return to_uint8(values)  # True/False, or float images in [0, 1]
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _distance_from_background(pixels: np.ndarray, known: int | None = None) -> np.ndarray:
    """Largest per-channel difference from the background (`known`, else the border's
    median colour), scaled so the strongest ink is 1 (a grey pen reads like a black one)."""
    channels = [pixels] if pixels.ndim == 2 else [pixels[..., c] for c in range(pixels.shape[2])]
    distance = None
    for channel in channels:
        background = int(np.median(_border(channel))) if known is None else int(known)
        # A lookup table is ~30× faster than int16 arithmetic on the whole image.
        table = np.abs(np.arange(256) - background).astype(np.uint8)
        diff = table[channel]
        distance = diff if distance is None else np.maximum(distance, diff)
    peak = int(distance.max())
    if peak < to_uint8(MIN_CONTRAST):
        return np.zeros(distance.shape, np.float32)
    return distance.astype(np.float32) * np.float32(1 / peak)


def _border(channel: np.ndarray) -> np.ndarray:
    return np.concatenate([channel[0], channel[-1], channel[1:-1, 0], channel[1:-1, -1]])


def ink_bbox(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the pixels above `threshold`, right/bottom exclusive;
    None when there are none."""
    mask = ink > threshold
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def stroke_width(ink: np.ndarray, threshold: float = 0.5) -> float:
    """Estimated stroke width in pixels of the ink above `threshold` (ink in [0, 1],
    or uint8 0–255 with the threshold scaled to match).

    Model the ink as round-brush strokes of width w and total length l (a capsule):
    area A = w·l + πw²/4 and half-perimeter h = l + πw/2, so πw²/4 − h·w + A = 0.
    The perimeter is the geometric mean of two pixel counts: edges between ink and
    background (over-counts slanted edges by up to √2) and boundary pixels
    (under-counts them by as much), so it is exact at 0° and 45°, within ~10% between.
    """
    ink = np.asarray(ink)
    if ink.dtype == np.uint8:  # 0–255 ink
        threshold *= 255
    mask = ink > threshold
    area = int(np.count_nonzero(mask))
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    edges = (np.count_nonzero(padded[1:] != padded[:-1])
             + np.count_nonzero(padded[:, 1:] != padded[:, :-1]))
    interior = (mask & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:])
    boundary = area - int(np.count_nonzero(interior))
    half_perimeter = math.sqrt(edges * boundary) / 2
    discriminant = half_perimeter ** 2 - math.pi * area
    return float((half_perimeter - math.sqrt(max(discriminant, 0.0))) / (math.pi / 2))


def widest_stroke(ink: np.ndarray, threshold: float = 0.5) -> float:
    """Diameter in pixels of the largest disc that fits inside the ink above `threshold`
    (ink in [0, 1]): twice the largest Euclidean distance from an ink pixel to the
    background (SciPy's distance_transform_edt). For pen strokes it is about the brush
    width (more where strokes cross); where loops have closed into a blob it is the
    blob's width. Measured on the mask shrunk by whole blocks to at most WIDEST_GRID px
    a side (a block is ink when most of it is), so it is exact to about ±1 px below
    WIDEST_GRID px and to a WIDEST_GRID-th of the longer side above, and costs well
    under a millisecond at any size (bench/predict_latency.py times preprocessing)."""
    mask = np.asarray(ink) > threshold
    factor = max(1, math.ceil(max(mask.shape) / WIDEST_GRID))
    if factor > 1:
        mask = _area_reduce(mask.astype(np.float32), factor) > 0.5
    if not mask.any():
        return 0.0
    return float(2 * ndimage.distance_transform_edt(np.pad(mask, 1)).max() * factor)


# --- the MNIST recipe -------------------------------------------------------------------

def preprocess(canvas: np.ndarray, ink_from_alpha: bool | None = None, background: int | None = None
               ) -> Preprocessed:
    """A canvas image → the 28×28 digit the model should see, with a status saying
    whether it is fit to classify (see `Preprocessed`). `ink_from_alpha` and `background`:
    as in `ink_intensity`."""
    ink = ink_intensity(canvas, ink_from_alpha, background)
    height, width = ink.shape
    ink_fraction = float(ink.mean())
    bbox = ink_bbox(ink)
    if bbox is None:
        return _refusal("empty", ink_fraction, None)
    if ink_fraction > FILLED_FRACTION:
        return _refusal("filled", ink_fraction, bbox)
    left, top, right, bottom = bbox
    crop = ink[top:bottom, left:right]
    stroke = stroke_width(crop)
    image = mnist_from_crop(crop, stroke)
    longer = max(right - left, bottom - top)
    if longer < TINY_SIDE_FRACTION * max(height, width) or ink_fraction < TINY_INK_FRACTION:
        return Preprocessed(image, "tiny", ink_fraction, bbox, MESSAGES["tiny"], stroke)
    if stroke > THICK_RATIO * longer or _filled_in(crop, longer):
        return Preprocessed(image, "tiny", ink_fraction, bbox, MESSAGES["thick"], stroke)
    return Preprocessed(image, "ok", ink_fraction, bbox, MESSAGES["ok"], stroke)


def _filled_in(crop: np.ndarray, longer: int) -> bool:
    """Whether the widest ink is over WIDEST_RATIO of the digit's longer side. A disc that
    wide holds about π(WIDEST_RATIO·longer)²/4 px of ink (at least 80% of that on a pixel
    grid, a margin for small discs), so most digits (thin strokes on a big drawing) are
    cleared by counting ink, without the distance transform."""
    wide = WIDEST_RATIO * longer
    if np.count_nonzero(crop > 0.5) < 0.8 * math.pi * wide * wide / 4:
        return False
    return widest_stroke(crop) > wide


def _refusal(status: str, ink_fraction: float, bbox) -> Preprocessed:
    return Preprocessed(np.zeros((OUT_SIZE, OUT_SIZE), np.float32), status, ink_fraction, bbox,
                        MESSAGES[status], None)


def mnist_from_crop(crop: np.ndarray, stroke: float | None = None) -> np.ndarray:
    """Ink cropped to its bounding box → float32 (28, 28): stroke normalised, longer
    side 20 px, centre of mass at (14, 14)."""
    if stroke is None:
        stroke = stroke_width(crop)
    work = _working_image(crop, stroke)
    box = _area_reduce(work, SUPERSAMPLE)
    return _paste_centred(box)


def _working_image(crop: np.ndarray, stroke: float) -> np.ndarray:
    """The crop at 4× the 20-px box (longer side 80), its stroke ~12% of that side.

    Growing a stroke by r on each side also grows the digit by 2r, so the scale is
    chosen to land on both targets at once: (L·s + 2r) = 80 and (w·s + 2r) = 0.122·80
    give s = 80·(1 − 0.122) / (L − w)."""
    longer = max(crop.shape)
    target = TARGET_STROKE_RATIO
    ratio = stroke / longer
    if stroke <= 0 or abs(ratio / target - 1) <= STROKE_TOLERANCE or ratio > 1 - 2 * target:
        return _resize(crop, WORK_SIZE / longer)  # already MNIST-like, or a dot: only scale
    scale = WORK_SIZE * (1 - target) / (longer - stroke)
    grow = (target * WORK_SIZE - stroke * scale) / 2  # per side; negative = thin
    grow = min(grow, MAX_DILATION)
    work = _resize(crop, scale)
    adjusted = _thicken(work, grow) if grow > 0 else _thin(work, -grow, target * WORK_SIZE)
    bbox = ink_bbox(adjusted)
    if bbox is None:  # cannot happen: thinning keeps every stroke's core
        return _resize(crop, WORK_SIZE / longer)
    left, top, right, bottom = bbox
    adjusted = adjusted[top:bottom, left:right]
    if max(adjusted.shape) != WORK_SIZE:  # a capped change or rounding left it off 80 px
        adjusted = _resize(adjusted, WORK_SIZE / max(adjusted.shape))
    return adjusted


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    """Area averaging when shrinking (a box filter over each output pixel's footprint),
    bilinear when enlarging; at least 1 px per side."""
    height, width = image.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if size == (width, height):
        return np.ascontiguousarray(image, np.float32)
    resample = Image.BOX if scale < 1 else Image.BILINEAR
    picture = Image.fromarray(np.ascontiguousarray(image, np.float32), mode="F")
    return np.asarray(picture.resize(size, resample), np.float32)


def _thicken(image: np.ndarray, radius: float) -> np.ndarray:
    """Grow the ink by `radius` px on every side: a pixel's ink is how far inside the
    grown outline its centre lies (0 to 1), from the distance to the nearest ink."""
    pad = int(math.ceil(radius)) + 1
    padded = np.pad(image, pad)
    distance = ndimage.distance_transform_edt(padded <= 0.5)  # 0 on ink
    grown = np.clip(radius + 1 - distance, 0, 1).astype(np.float32)
    return np.maximum(grown, padded)


def _thin(image: np.ndarray, radius: float, min_width: float) -> np.ndarray:
    """Shrink the ink by `radius` px from every side, but never make a stroke thinner
    than `min_width`: a fat blob where a small digit's loops closed up would
    otherwise set a radius that erases the digit's ordinary strokes."""
    padded = np.pad(image, 1)  # the crop touches its edges: outside must count as background
    ink = padded > 0.5
    inside = ndimage.distance_transform_edt(ink)  # distance to the background
    # The stroke's half-width at each pixel: the depth of the nearest point of the
    # stroke's middle (the ridge of the distance map).
    ridge = ink & (inside >= ndimage.maximum_filter(inside, size=3))
    rows, cols = ndimage.distance_transform_edt(~ridge, return_distances=False, return_indices=True)
    half_width = inside[rows, cols]
    erode = np.minimum(radius, np.maximum(half_width - min_width / 2, 0))
    return np.clip(inside - erode, 0, 1).astype(np.float32)


def _area_reduce(image: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each factor×factor block (exact area averaging); the image is first
    padded evenly to a multiple of `factor`."""
    height, width = image.shape
    pad_h, pad_w = -height % factor, -width % factor
    if pad_h or pad_w:
        image = np.pad(image, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    height, width = image.shape
    blocks = image.reshape(height // factor, factor, width // factor, factor)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def _paste_centred(box: np.ndarray) -> np.ndarray:
    """Paste a ≤20×20 digit into 28×28 with its centre of mass on (14, 14), shifting by
    whole pixels as MNIST did. The shift is clamped so the digit stays whole in the
    frame (MNIST would cut it; a digit with its mass far off-centre is rare)."""
    box = np.clip(box[:OUT_SIZE, :OUT_SIZE], 0, 1)
    height, width = box.shape
    out = np.zeros((OUT_SIZE, OUT_SIZE), np.float32)
    total = float(box.sum())
    if total <= 0:
        return out
    cy = float(box.sum(axis=1) @ np.arange(height)) / total
    cx = float(box.sum(axis=0) @ np.arange(width)) / total
    top = min(max(int(math.floor(CENTER - cy + 0.5)), 0), OUT_SIZE - height)
    left = min(max(int(math.floor(CENTER - cx + 0.5)), 0), OUT_SIZE - width)
    out[top:top + height, left:left + width] = box
    return out


# --- the baseline -----------------------------------------------------------------------

def naive_resize(canvas: np.ndarray, ink_from_alpha: bool | None = None) -> np.ndarray:
    """The whole canvas squeezed to 28×28 (area averaging), no cropping or centring:
    the baseline that reads real drawings badly. float32 (28, 28) in [0, 1]."""
    ink = ink_intensity(canvas, ink_from_alpha)
    picture = Image.fromarray(ink, mode="F").resize((OUT_SIZE, OUT_SIZE), Image.BOX)
    return np.clip(np.asarray(picture, np.float32), 0, 1)
