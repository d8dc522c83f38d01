"""A photo of a digit on paper → the 28×28 digit the model should see, with every step.

Drawings come from a clean canvas; photos do not. A phone photo of a digit written on
paper has uneven light, paper texture, shadows, blur, JPEG noise and a digit that fills
only part of the frame. The path, each step kept so a class can see it:

1. **grey**: decode by content, not by file name (any format Pillow opens: JPEG however
   named — .jpg, .jpeg, .jfif, .jpe —, PNG, WebP, TIFF, BMP, GIF, and HEIC/HEIF through
   pillow-heif), at its real bit depth (16-bit and float greys scaled to 8 bits by their
   range, see `_eight_bit`), EXIF orientation applied, transparency on white; downscale so
   the longer side is at most `MAX_SIDE` px, convert to luma (ITU-R 601, Pillow's "L").
2. **ink**: estimate the paper's brightness under the photo's light with a grey
   *closing* (maximum then minimum filter, SciPy) over a window wider than any pen
   stroke: the closing removes dark marks narrower than the window and keeps the
   light's slow changes and hard shadow edges. Ink is how much darker than its paper a
   pixel is, 1 − grey / paper (reflectance, so a shadow dims ink and paper alike).
   Threshold with Otsu's method (Otsu 1979, on the ink's histogram), never below
   `MIN_INK` so a blank page's texture is not ink.
3. **find one digit**: connected ink components (8-connected); specks (longer side under
   `SPECK_FRACTION` of the photo) are dropped; marks touching the photo's edge are the
   frame (paper edge, table, fingers), not the digit. The largest mark plus the pieces
   near it (a 5's bar, a broken stroke) is the digit. Another sizeable mark elsewhere,
   two tall pieces side by side, a mark wider than any MNIST digit, marks inside a loop
   (eyes in a face), or no blank paper around it (a scene) mean it is not one digit on
   paper, and the path says so instead of guessing.
4. **crop**: the digit's ink (scaled so its strokes are 1, its edges stay soft) cropped
   to its bounding box, then **28×28** through `preprocess.mnist_from_crop`, the same
   MNIST recipe as drawings (stroke normalised, 20-px box, centre of mass at 14, 14).

`read_photo()` never raises for a bad photo: every refusal is a status with a one-line
message that says what to do.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from digitstudio.drawing.preprocess import OUT_SIZE, THICK_RATIO, mnist_from_crop, stroke_width
from digitstudio.pixels import to_uint8

try:  # HEIC/HEIF (an iPhone's photos) through libheif; without it they are refused with what to do
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_READABLE = True
except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
    HEIF_READABLE = False

# File name endings the uploader offers (Streamlit checks them in the browser; the file is
# then read by its content). JPEG's four endings: Windows and Chrome save .jfif.
PHOTO_TYPES = ("jpg", "jpeg", "jfif", "jpe", "png", "webp", "heic", "heif", "tif", "tiff", "bmp", "gif")
# ISO base media file brands of HEIF images (ISO/IEC 23008-12), at bytes 8–12 after b"ftyp".
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1")

# Longer side of the working image. A digit that fills 5% of the frame's longer side
# (a normal-size digit on a whole A4 sheet) still spans 32 px, 1.6× MNIST's 20-px box, so
# nothing the model could use is lost; a 12-megapixel phone photo (4032×3024) shrinks
# 6.3× and the whole path takes tens of milliseconds instead of seconds.
MAX_SIDE = 640
MAX_PIXELS = 64_000_000  # 48–50 MP phone cameras fit; larger files are refused unread
MAX_BYTES = 30 * 1024 * 1024  # a 50 MP JPEG is ~20 MB

BACKGROUND_WINDOW = 1 / 8  # closing window, of the longer side: 80 px at 640, wider than a marker stroke
SMOOTH_SIGMA = 1.0  # px: Gaussian smoothing of the grey image before anything else
NOISE_SIGMAS = 8  # ink must stand this many robust standard deviations above the paper's grain
DARK_PAPER = 50 / 255  # paper darker than this (median light estimate): too dark to read
MIN_INK = 0.15  # ink must be at least 15% darker than its paper (paper texture is ~2–5%)
FAINT_INK = 0.3  # the digit's strokes (median) lighter than 30% ink: too faint to trust
FRAME_GAP = 0.01  # marks linked to the photo's edge through gaps under 1% of the longer side (6 px) are frame
SOLID_FILL = 0.8  # a mark covering 80% of its box is a patch (table, finger), not pen strokes
SPECK_FRACTION = 0.025  # marks whose longer side is under 2.5% of the photo's are specks
MIN_DIGIT_FRACTION = 0.05  # a digit's longer side must be at least 5% of the photo's
MERGE_GAP = 0.15  # pieces within 15% of the digit's size of it are part of it
OTHER_MARK = 0.25  # a separate mark at least 25% of the digit's size: several marks
SIDE_BY_SIDE_HEIGHT = 0.5  # two pieces this tall (of the group's height) with no shared column: two digits
HOLE_MARK = 0.08  # a mark inside a loop at least 8% of the digit's size: not a digit (a face)
# Width / height of MNIST's training digits (first 20,000, pixels > 64): median 0.8, 99th
# percentile 1.43, 99.9th 1.67, max 2.0. One mark wider than 1.8× its height is two digits written joined.
MAX_WIDTH_RATIO = 1.8
# Around a digit on paper there is blank paper. In the ring half the digit's size wide around
# its box, on the synthetic good photos (200, bench/photos.py --seed 1): pixels with ink over
# half the threshold ≤ 2.5% (99th percentile 0.8%), ink's standard deviation ≤ 0.039; scene-like
# photos the other checks let through: 4–29% and 0.056–0.06.
CLUTTER_FRACTION = 0.03
CLUTTER_SPREAD = 0.05
MAX_INK_FRACTION = 0.25  # more than a quarter of the photo is ink: a scene, not a page

MESSAGES = {
    "ok": "",
    "unreadable": "Could not open this as an image ({reason}): use a JPEG or PNG photo.",
    "heic": "Could not read this HEIC photo (an iPhone's format) on this server: send it as a JPEG "
            "(on the iPhone: Settings → Camera → Formats → Most Compatible, or share the photo and pick JPEG).",
    "too_big": "This photo is too big to read ({reason}): take it at a lower resolution, or crop it to the digit.",
    "dark": "The photo is too dark to find a digit: add light or turn towards a window, then retake it.",
    "empty": "Could not find a digit: photograph one digit written in dark ink, filling about a third of the "
             "picture.",
    "faint": "Could not find one digit: the writing is too faint; write with a dark pen, in thick strokes.",
    "small": "Could not find one digit: the only marks are very small; if a digit is there, move the camera closer.",
    "edge": "Could not find one digit: the writing touches the edge of the photo; move the camera back.",
    "several": "Could not find one digit: there are several marks; photograph one digit at a time.",
    "not_digit": "Could not find one digit: this does not look like a single handwritten digit.",
    "cluttered": "Could not find one digit: the digit is not on plain paper; photograph one digit on a blank sheet.",
}


class PhotoError(ValueError):
    """The bytes are not an image this path can read; the message is one line."""


@dataclass(frozen=True)
class PhotoReading:
    """A photo's way to a 28×28 digit, and whether it is fit to classify.

    status: "ok" (`image` is what the model should see) or a refusal: "unreadable",
    "dark", "empty", "faint", "small", "edge", "several", "not_digit", "cluttered" (see
    MESSAGES); `message` then says what to do in one line, `image` is all zeros and the
    app must not name a digit. The steps reached so far are kept for display.
    """

    status: str
    message: str
    image: np.ndarray  # float32 (28, 28) in [0, 1], white ink on black (zeros when refused)
    grey: np.ndarray  # uint8 (H, W), the photo downscaled (longer side ≤ MAX_SIDE); (0, 0) if unreadable
    ink: np.ndarray  # float32 (H, W) in [0, 1]: ink found above the threshold, every mark
    crop: np.ndarray  # float32 (h, w) in [0, 1]: the digit's ink in its box; (0, 0) when none was chosen
    bbox: tuple[int, int, int, int] | None  # the digit's (left, top, right, bottom) in `grey` px
    scale: float  # `grey` px per pixel of the photo as decoded (≤ 1)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def steps(self) -> dict[str, np.ndarray]:
        """The steps reached, as uint8 images for display: {"grey", "ink", "crop"} dark ink on
        white like the paper, then "28×28" white ink on black, as the model sees it (like the
        Draw page's "What the model sees"); a refusal stops where it stopped (no "28×28"
        unless ok, no "crop" when no mark was chosen)."""
        shown = {"grey": self.grey, "ink": 255 - to_uint8(self.ink), "crop": 255 - to_uint8(self.crop)}
        if self.ok:
            shown["28×28"] = to_uint8(self.image)
        return {name: image for name, image in shown.items() if image.size}


# --- decoding ---------------------------------------------------------------------------

def load_photo(data) -> Image.Image:
    """Bytes, a file-like object (Streamlit's UploadedFile) or a PIL image → an upright
    RGB PIL image whose longer side is at most MAX_SIDE px.

    EXIF orientation is applied (phones store portrait photos sideways with a tag);
    transparent pixels are composited on white. Raises PhotoError (one line) for bytes
    that are not an image, files over MAX_BYTES or images over MAX_PIXELS.
    """
    return _decode(data)[0]


def _decode(data) -> tuple[Image.Image, float]:
    """(load_photo's image, its scale: working px per decoded px)."""
    if isinstance(data, Image.Image):
        picture = data
    else:
        raw = _as_bytes(data)
        if not raw:
            raise PhotoError(MESSAGES["unreadable"].format(reason="the file is empty"))
        if len(raw) > MAX_BYTES:
            raise PhotoError(MESSAGES["too_big"].format(
                reason=f"{len(raw) / 2**20:.0f} MB, over the {MAX_BYTES // 2**20} MB limit"))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                picture = Image.open(io.BytesIO(raw))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(MESSAGES["too_big"].format(reason="too many pixels")) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            if _is_heif(raw) and (not HEIF_READABLE or isinstance(exc, UnidentifiedImageError)):
                raise PhotoError(MESSAGES["heic"]) from None
            raise PhotoError(MESSAGES["unreadable"].format(reason=_reason(exc))) from None
    width, height = picture.size
    if width * height > MAX_PIXELS:
        raise PhotoError(MESSAGES["too_big"].format(
            reason=f"{width}×{height} px, over the {MAX_PIXELS // 1_000_000} megapixel limit"))
    try:
        picture.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at 1/2–1/8 size directly
        picture = ImageOps.exif_transpose(picture)
        picture = _on_white(_eight_bit(picture))
        picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.BOX)  # area averaging, keeps the aspect ratio
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt pixel data
        raise PhotoError(MESSAGES["unreadable"].format(reason=_reason(exc))) from None
    return picture, max(picture.size) / max(width, height)


def _as_bytes(data) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if hasattr(data, "getvalue"):
        return data.getvalue()
    if hasattr(data, "read"):
        return data.read()
    raise TypeError(f"Expected image bytes, a file-like object or a PIL image, not {type(data).__name__}.")


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not a known image format"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"damaged file: {text}"


def _is_heif(raw: bytes) -> bool:
    """The bytes start like a HEIF file: an ISO BMFF `ftyp` box with a HEIF brand."""
    return raw[4:8] == b"ftyp" and raw[8:12] in _HEIF_BRANDS


_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")


def _eight_bit(picture: Image.Image) -> Image.Image:
    """A grey image deeper than 8 bits → "L" at its real brightness; other modes unchanged.

    Pillow's own conversion to "L"/"RGB" clips such values at 255, so a 16-bit PNG of a
    digit on paper (paper ≈ 60,000) turned all white and read "Could not find a digit".
    Scaling, by what the mode holds:

    * "I;16…" (16-bit PNG, TIFF, PGM): 0–65,535 → 0–255 (÷ 257).
    * "I" (32-bit integers; some 16-bit files open so): values within 0–255 are 8-bit and
      kept, within 0–65,535 they are 16-bit (÷ 257), anything else is stretched from its
      minimum to its maximum.
    * "F" (32-bit float TIFF): within 0–1 they are unit floats (× 255), within 0–255 kept,
      within 0–65,535 16-bit (÷ 257), anything else stretched from minimum to maximum.
    """
    if picture.mode in _SIXTEEN_BIT:
        picture = picture.convert("I")  # value-preserving
        low, high = 0, 65_535
    elif picture.mode in ("I", "F"):
        low, high = picture.getextrema()
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError("the image holds values that are not numbers")
    else:
        return picture
    if low >= 0 and high <= 1 and picture.mode == "F":
        scale, offset = 255.0, 0.0
    elif low >= 0 and high <= 255:
        scale, offset = 1.0, 0.0
    elif low >= 0 and high <= 65_535:
        scale, offset = 255 / 65_535, 0.0
    else:
        scale = 255 / max(high - low, 1e-12)
        offset = -low * scale
    return picture.point(lambda value: value * scale + offset).convert("L")


def _on_white(picture: Image.Image) -> Image.Image:
    """RGB, with any transparency composited on white paper."""
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    return picture.convert("RGB")


# --- ink --------------------------------------------------------------------------------

def paper_light(smooth: np.ndarray) -> np.ndarray:
    """float32 (H, W): the paper's brightness (0–255) under the photo's light, from the
    lightly smoothed grey image.

    A grey closing (max filter, then min filter; separable in SciPy, ~15 ms at 640×480)
    over a square window of BACKGROUND_WINDOW × the longer side removes every dark mark
    narrower than the window and keeps slow gradients and sharp edges (a shadow's, a
    table's) exactly, so they do not turn into ink."""
    size = max(3, round(max(smooth.shape) * BACKGROUND_WINDOW)) | 1
    return ndimage.minimum_filter(ndimage.maximum_filter(smooth, size=size), size=size)


def ink_map(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ink, paper): ink float32 (H, W) in [0, 1] = 1 − grey / paper, how much darker
    than its paper each pixel is (grey smoothed, Gaussian σ = 1 px, against sensor noise
    and paper grain); paper from `paper_light`."""
    smooth = ndimage.gaussian_filter(grey.astype(np.float32), SMOOTH_SIGMA)
    paper = paper_light(smooth)
    ink = 1 - smooth / np.maximum(paper, 1)
    return np.clip(ink, 0, 1), paper


def noise_floor(ink: np.ndarray) -> float:
    """The ink level that plain paper's grain and noise stay under: median + 8 robust
    standard deviations (1.4826 × the median absolute deviation) of the ink map, which
    is mostly paper. Grainy paper needs a higher threshold than smooth paper."""
    median = float(np.median(ink))
    spread = 1.4826 * float(np.median(np.abs(ink - median)))
    return median + NOISE_SIGMAS * spread


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold (N. Otsu, "A threshold selection method from gray-level
    histograms", 1979) for values in [0, 1]: the cut that maximises the between-class
    variance of the histogram."""
    counts, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    counts = counts.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(counts)
    weight_high = weight_low[-1] - weight_low
    sum_low = np.cumsum(counts * centres)
    mean_low = sum_low / np.maximum(weight_low, 1)
    mean_high = (sum_low[-1] - sum_low) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(edges[int(np.argmax(between)) + 1])


# --- the path ---------------------------------------------------------------------------

def read_photo(data) -> PhotoReading:
    """A photo (image file bytes in any format Pillow or pillow-heif opens, read by content;
    a file-like object such as st.camera_input's or st.file_uploader's value; a PIL image;
    or an (H, W[, 3|4]) uint8 array) → a PhotoReading with every step. Never raises for
    bad pictures: see `PhotoReading`."""
    try:
        picture, scale = _decode(Image.fromarray(data) if isinstance(data, np.ndarray) else data)
    except PhotoError as exc:
        return _refused("unreadable", np.zeros((0, 0), np.uint8), message=str(exc))
    grey = np.asarray(picture.convert("L"))
    return _find_digit(grey, scale)


def _find_digit(grey: np.ndarray, scale: float) -> PhotoReading:
    ink, paper = ink_map(grey)
    if np.median(paper) < to_uint8(DARK_PAPER):
        return _refused("dark", grey, np.zeros_like(ink), scale=scale)
    threshold = max(otsu_threshold(ink), MIN_INK, noise_floor(ink))
    mask = ink > threshold
    shown = np.where(mask, ink, 0).astype(np.float32)
    if mask.mean() > MAX_INK_FRACTION:
        return _refused("not_digit", grey, shown, scale=scale)

    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
    height, width = grey.shape
    longer = max(height, width)
    frame = _frame_labels(labels, max(2, round(FRAME_GAP * longer)))
    marks, edge_marks = [], []
    boxes = {}
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        top, bottom, left, right = box[0].start, box[0].stop, box[1].start, box[1].stop
        if max(bottom - top, right - left) < SPECK_FRACTION * longer:
            continue
        boxes[index] = (left, top, right, bottom)
        (edge_marks if index in frame else marks).append((index, boxes[index]))
    if not marks:
        # A digit cut by the photo's edge: dark pen strokes of a digit's size; not a band along a
        # whole side nor a solid patch (a table, the paper's edge, a finger).
        cut = [index for index, (left, top, right, bottom) in edge_marks
               if MIN_DIGIT_FRACTION * longer <= max(right - left, bottom - top)
               and right - left < 0.9 * width and bottom - top < 0.9 * height
               and np.mean(labels[top:bottom, left:right] == index) < SOLID_FILL
               and np.median(ink[labels == index]) >= FAINT_INK]
        return _refused("edge" if cut else "empty", grey, shown, scale=scale)

    # The digit: the largest mark, plus the pieces close to it.
    marks.sort(key=lambda mark: -_size(mark[1]))
    group, bbox = [marks[0][0]], marks[0][1]
    pending = marks[1:]
    changed = True
    while changed:
        changed, rest = False, []
        for index, box in pending:
            if _gap(box, bbox) <= MERGE_GAP * _size(bbox):
                group.append(index)
                bbox = _union(bbox, box)
                changed = True
            else:
                rest.append((index, box))
        pending = rest
    others = pending
    digit = np.isin(labels, group)
    left, top, right, bottom = bbox
    size = _size(bbox)
    crop = _soft_ink(ink, digit, threshold)[top:bottom, left:right]

    def refuse(status: str) -> PhotoReading:
        return _refused(status, grey, shown, crop, bbox, scale)

    if any(_size(box) >= OTHER_MARK * size for _, box in others):
        return refuse("several")
    if (right - left) > MAX_WIDTH_RATIO * (bottom - top) or _side_by_side(boxes, group, bottom - top):
        return refuse("several")
    if _marks_in_loops(labels, group, bbox, size):
        return refuse("not_digit")
    if _cluttered(ink, bbox, threshold):
        return refuse("cluttered")
    strokes = ink[top:bottom, left:right][digit[top:bottom, left:right]]
    if np.median(strokes) < FAINT_INK:
        return refuse("faint")
    if size < MIN_DIGIT_FRACTION * longer:
        return refuse("small")
    if stroke_width(crop) > THICK_RATIO * size:  # a blob or a dark object, not pen strokes
        return refuse("not_digit")
    return PhotoReading("ok", MESSAGES["ok"], mnist_from_crop(crop), grey, shown, crop, bbox, scale)


def _frame_labels(labels: np.ndarray, gap: int) -> set[int]:
    """Labels of the marks that belong to the frame: those touching the photo's edge,
    and those linked to one through gaps of at most `gap` px (a paper edge or a table
    breaks into slivers)."""
    grown, _ = ndimage.label(ndimage.distance_transform_edt(labels == 0) <= gap / 2, structure=np.ones((3, 3)))
    border = np.concatenate([grown[0], grown[-1], grown[:, 0], grown[:, -1]])
    at_edge = np.isin(grown, np.unique(border[border > 0]))
    found = np.unique(labels[at_edge & (labels > 0)])
    return {int(label) for label in found}


def _soft_ink(ink: np.ndarray, digit: np.ndarray, threshold: float) -> np.ndarray:
    """The digit's ink scaled so its strokes' median is 1, with soft edges: pixels within
    2 px of the digit's marks keep their partial ink, everything else is 0."""
    level = float(np.median(ink[digit]))
    floor = threshold / 2
    near = ndimage.binary_dilation(digit, iterations=2)
    soft = np.clip((ink - floor) / max(level - floor, 1e-3), 0, 1)
    return np.where(near, soft, 0).astype(np.float32)


def _cluttered(ink: np.ndarray, bbox, threshold: float) -> bool:
    """True when the paper around the digit is not blank: in a ring half the digit's
    size wide around its box, over CLUTTER_FRACTION of the pixels hold ink above half the
    threshold, or the ink's standard deviation is over CLUTTER_SPREAD (a textured scene)."""
    left, top, right, bottom = bbox
    margin = _size(bbox) // 2
    height, width = ink.shape
    outer = (max(top - margin, 0), min(bottom + margin, height), max(left - margin, 0), min(right + margin, width))
    window = ink[outer[0]:outer[1], outer[2]:outer[3]]
    ring = np.ones(window.shape, bool)
    ring[top - outer[0]:bottom - outer[0], left - outer[2]:right - outer[2]] = False
    values = window[ring]
    if values.size == 0:
        return False
    return float((values > threshold / 2).mean()) > CLUTTER_FRACTION or float(values.std()) > CLUTTER_SPREAD


def _side_by_side(boxes: dict, group: list[int], height: int) -> bool:
    """True when two of the group's tall pieces (each at least SIDE_BY_SIDE_HEIGHT of its
    height) share no column: digits written next to each other. A digit's own pieces
    overlap in x (a 5's bar, a 4's two strokes) or are short (a broken stroke)."""
    pieces = [box for box in (boxes[index] for index in group) if box[3] - box[1] >= SIDE_BY_SIDE_HEIGHT * height]
    return any(a[2] <= b[0] or b[2] <= a[0] for i, a in enumerate(pieces) for b in pieces[i + 1:])


def _marks_in_loops(labels: np.ndarray, group: list[int], bbox, size: int) -> bool:
    """True when one of the digit's marks lies inside a loop of another (eyes and a
    mouth inside a face's outline). A digit's loops (0, 6, 8, 9) are empty."""
    left, top, right, bottom = bbox
    window = labels[top:bottom, left:right]
    for index in group:
        own = window == index
        holes = ndimage.binary_fill_holes(own) & ~own
        if not holes.any():
            continue
        inside = np.unique(window[holes & (window > 0) & (window != index)])
        for other in inside:
            rows, cols = np.nonzero(window == other)
            if max(np.ptp(rows), np.ptp(cols)) + 1 >= HOLE_MARK * size:
                return True
    return False


def _size(box) -> int:
    left, top, right, bottom = box
    return max(right - left, bottom - top)


def _gap(a, b) -> int:
    """Pixels between two boxes (0 when they overlap or touch), the larger of the two axes."""
    dx = max(a[0] - b[2], b[0] - a[2], 0)
    dy = max(a[1] - b[3], b[1] - a[3], 0)
    return max(dx, dy)


def _union(a, b):
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _refused(status: str, grey: np.ndarray, ink: np.ndarray | None = None, crop: np.ndarray | None = None,
             bbox=None, scale: float = 1.0, message: str | None = None) -> PhotoReading:
    empty = np.zeros((0, 0), np.float32)
    return PhotoReading(
        status, message or MESSAGES[status], np.zeros((OUT_SIZE, OUT_SIZE), np.float32), grey,
        empty if ink is None else ink, empty if crop is None else crop, bbox, scale,
    )
