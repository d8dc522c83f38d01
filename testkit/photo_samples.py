"""Synthetic phone photos of digits on paper, good and bad, for the photo path's tests and bench.

No camera is at hand in CI, so photos are rendered (seeded, reproducible):

- **good**: an MNIST test digit enlarged into a pen-like stroke (smoothed, then a steep
  tone curve; its threshold varies so strokes range from fine pen to marker), slightly
  rotated, written in dark ink (black, blue, graphite) on off-white paper with fibre
  texture, placed off-centre at 12–45% of the frame's height, lit by a gradient, often
  with a soft shadow (a hand or phone), sometimes a dark table at the frame's edge,
  blurred (focus), sensor noise, then JPEG-compressed (quality 55–92) or PNG; some are
  4032×3024 like a 12 MP phone, some stored sideways with an EXIF orientation tag.
- **bad**: blank pages, several digits side by side (apart and close), a digit with a
  doodle beside it, a drawn smiley face, a face-like "photo", a natural-image-like texture,
  a very dark photo, very faint writing, a digit cut by the frame's edge.

    from testkit.photo_samples import photo_set   # in tests and in bench/photos.py alike
    samples = photo_set(mnist.x_test, mnist.y_test, n_good=40)   # list[PhotoSample]
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

FRAME = (480, 640)  # (height, width) of most photos: a phone's 4:3, downscaled
PHONE = (3024, 4032)  # a 12 MP phone photo
INKS = {"black": (30, 30, 35), "blue": (25, 40, 120), "graphite": (70, 70, 75)}
ORIENTATION = 0x0112  # EXIF tag


@dataclass(frozen=True)
class PhotoSample:
    name: str
    data: bytes  # an encoded JPEG or PNG, as a camera or an upload would give it
    label: int | None  # the digit written, None for bad photos
    note: str  # how it was made
    mnist_index: int | None = None  # the MNIST test digit a good photo shows

    @property
    def good(self) -> bool:
        return self.label is not None


# --- pieces ---------------------------------------------------------------------------------

def paper(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """float32 (H, W, 3) 0–255: off-white paper with fibre texture."""
    base = np.array([rng.uniform(225, 250), rng.uniform(220, 245), rng.uniform(200, 235)], np.float32)
    fibres = ndimage.gaussian_filter(rng.normal(0, 1, shape), rng.uniform(1, 3)).astype(np.float32)
    fibres *= rng.uniform(3, 8) / max(float(fibres.std()), 1e-6)
    return base + fibres[..., None]


def pen_digit(digit: np.ndarray, height: int, rng: np.random.Generator, angle: float = 0.0) -> np.ndarray:
    """float32 (h, w) ink coverage in [0, 1]: a 28×28 uint8 MNIST digit as a pen stroke
    `height` px tall (before rotation by `angle` degrees)."""
    big = Image.fromarray(digit).resize((height, height), Image.BICUBIC)
    smooth = ndimage.gaussian_filter(np.asarray(big, np.float32) / 255, height / 70)
    level = rng.uniform(0.3, 0.6)  # higher: thinner strokes (a fine pen); lower: a marker
    ink = np.clip((smooth - level) / 0.12 + 0.5, 0, 1)
    if angle:
        ink = np.asarray(Image.fromarray(ink, mode="F").rotate(angle, Image.BILINEAR, expand=True), np.float32)
    return ink


def place(coverage: np.ndarray, shape: tuple[int, int], top: int, left: int) -> np.ndarray:
    """Paste `coverage` into a zero (H, W) field at (top, left), clipped to the field."""
    field = np.zeros(shape, np.float32)
    h, w = coverage.shape
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + h, shape[0]), min(left + w, shape[1])
    if t1 > t0 and l1 > l0:
        field[t0:t1, l0:l1] = np.maximum(field[t0:t1, l0:l1], coverage[t0 - top:t1 - top, l0 - left:l1 - left])
    return field


def write(page: np.ndarray, coverage: np.ndarray, ink=(30, 30, 35), strength: float = 1.0) -> np.ndarray:
    """Ink on paper: each pixel moves towards the ink colour by coverage × strength."""
    alpha = (coverage * strength)[..., None]
    return page * (1 - alpha) + np.asarray(ink, np.float32) * alpha


def lighting(shape: tuple[int, int], rng: np.random.Generator, low: float = 0.55) -> np.ndarray:
    """float32 (H, W): a linear light gradient in a random direction, from `low`–0.85 to 1."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(theta) * xx / w + np.sin(theta) * yy / h
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    darkest = rng.uniform(low, 0.85)
    return darkest + (1 - darkest) * ramp


def shadow(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """float32 (H, W): a soft-edged shadow over one side of the frame (a hand or a phone), 0.55–0.8."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    distance = (np.cos(theta) * (xx - w / 2) + np.sin(theta) * (yy - h / 2)) - rng.uniform(0.25, 0.4) * max(h, w)
    softness = rng.uniform(0.01, 0.05) * max(h, w)
    darkness = rng.uniform(0.55, 0.8)
    inside = 1 / (1 + np.exp(-distance / softness))
    return 1 - (1 - darkness) * inside


def table_edge(page: np.ndarray, rng: np.random.Generator, side: int | None = None) -> np.ndarray:
    """A dark wooden table showing beyond the paper's edge along one side of the frame
    (0 left, 1 right, 2 top, 3 bottom; random when None)."""
    h, w = page.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    side = int(rng.integers(4)) if side is None else side
    depth = rng.uniform(0.04, 0.09)
    tilt = rng.uniform(-0.05, 0.05)
    coordinate = [xx / w + tilt * yy / h, 1 - xx / w + tilt * yy / h,
                  yy / h + tilt * xx / w, 1 - yy / h + tilt * xx / w][side]
    table = coordinate < depth
    wood = np.array([90, 60, 40], np.float32) + ndimage.gaussian_filter(rng.normal(0, 12, (h, w)), (1, 6))[..., None]
    return np.where(table[..., None], wood, page)


def camera(rgb: np.ndarray, rng: np.random.Generator, blur: float, noise: float) -> np.ndarray:
    """Focus blur (Gaussian, `blur` px) and sensor noise (σ `noise` grey levels) → uint8."""
    if blur > 0:
        rgb = ndimage.gaussian_filter(rgb, (blur, blur, 0))
    rgb = rgb + rng.normal(0, noise, rgb.shape)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def encode(pixels: np.ndarray, fmt: str = "JPEG", quality: int = 85, orientation: int = 1,
           size: tuple[int, int] | None = None) -> bytes:
    """uint8 (H, W, 3) upright pixels → file bytes. orientation 6 or 8 stores the picture
    sideways with that EXIF tag (as phones do); `size` (H, W) resizes first (a big photo)."""
    picture = Image.fromarray(pixels)
    if size is not None:
        picture = picture.resize((size[1], size[0]), Image.BILINEAR)
    if orientation == 6:  # viewer rotates 90° clockwise to show it upright
        picture = picture.transpose(Image.Transpose.ROTATE_90)
    elif orientation == 8:  # viewer rotates 90° anticlockwise
        picture = picture.transpose(Image.Transpose.ROTATE_270)
    buffer = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        if orientation != 1:
            exif[ORIENTATION] = orientation
        picture.save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    else:
        picture.save(buffer, "PNG")
    return buffer.getvalue()


# --- good photos ------------------------------------------------------------------------------

def good_photo(digit: np.ndarray, rng: np.random.Generator, variant: int) -> tuple[bytes, str]:
    """One photo of `digit` (uint8 28×28) on paper; `variant` picks size/format/orientation."""
    shape = FRAME if variant % 2 == 0 else FRAME[::-1]  # landscape and portrait
    h, w = shape
    page = paper(shape, rng)
    angle = rng.uniform(-12, 12)
    height = int(rng.uniform(0.12, 0.45) * h)
    coverage = pen_digit(digit, height, rng, angle)
    ch, cw = coverage.shape
    top = int(rng.uniform(0.05, 0.95) * (h - ch))
    left = int(rng.uniform(0.05, 0.95) * (w - cw))
    ink_name = ["black", "blue", "graphite"][variant % 3]
    rgb = write(page, place(coverage, shape, top, left), INKS[ink_name], rng.uniform(0.85, 1.0))
    notes = [f"{height}px {angle:+.0f}° {ink_name}"]
    if variant % 5 == 3:
        room = [left, w - left - cw, top, h - top - ch]  # paper around the digit: left, right, top, bottom
        rgb = table_edge(rgb, rng, int(np.argmax(room)))
        notes.append("table")
    light = lighting(shape, rng)
    if variant % 3 != 1:
        light = light * shadow(shape, rng)
        notes.append("shadow")
    rgb = rgb * light[..., None]
    blur = rng.uniform(0.4, 1.8)
    pixels = camera(rgb, rng, blur, rng.uniform(1.5, 4))
    notes.append(f"blur {blur:.1f}")
    if variant % 7 == 6:
        notes.append("PNG")
        return encode(pixels, "PNG"), ", ".join(notes)
    quality = int(rng.integers(55, 93))
    orientation = {2: 6, 4: 8}.get(variant % 9, 1)
    size = (PHONE if w > h else PHONE[::-1]) if variant % 8 == 5 else None
    if size:
        notes.append("12 MP")
    if orientation != 1:
        notes.append(f"EXIF {orientation}")
    notes.append(f"JPEG q{quality}")
    return encode(pixels, "JPEG", quality, orientation, size), ", ".join(notes)


def good_photos(x_test: np.ndarray, y_test: np.ndarray, n: int = 40, seed: int = 0) -> list[PhotoSample]:
    """`n` photos of MNIST test digits, the classes in turn (0, 1, …, 9, 0, …), digits drawn at random."""
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(n):
        label = i % 10
        index = int(rng.choice(np.flatnonzero(y_test == label)))
        data, note = good_photo(x_test[index], rng, i)
        samples.append(PhotoSample(f"good-{i:02d}-test{index}", data, label, note, index))
    return samples


# --- bad photos -------------------------------------------------------------------------------

def _row_of_digits(digits, rng, gap: float, doodle: bool = False) -> np.ndarray:
    h, w = FRAME
    height = int(0.3 * h)
    pieces = [pen_digit(d, height, rng, rng.uniform(-5, 5)) for d in digits]
    if doodle:  # a scribble beside the digit
        scribble = np.zeros((height, height), np.float32)
        yy, xx = np.mgrid[0:height, 0:height]
        for r in (0.2, 0.3, 0.4):
            ring = np.abs(np.hypot(yy - height / 2, xx - height / 2) - r * height) < 0.03 * height
            scribble = np.maximum(scribble, ring.astype(np.float32))
        scribble[:, : height // 3] = 0  # three concentric arcs
        pieces.append(scribble)
    total = sum(p.shape[1] for p in pieces) + gap * height * (len(pieces) - 1)
    left = int((w - total) / 2)
    coverage = np.zeros(FRAME, np.float32)
    for piece in pieces:
        coverage = np.maximum(coverage, place(piece, FRAME, int(0.35 * h), left))
        left += piece.shape[1] + int(gap * height)
    return coverage


def _smiley(rng) -> np.ndarray:
    h, w = FRAME
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx, r = h * 0.5, w * 0.5, h * 0.3
    pen = 0.025 * r * 2
    distance = np.hypot(yy - cy, xx - cx)
    face = np.abs(distance - r) < pen
    eyes = (np.hypot(yy - (cy - 0.3 * r), xx - (cx - 0.35 * r)) < 0.1 * r) | \
           (np.hypot(yy - (cy - 0.3 * r), xx - (cx + 0.35 * r)) < 0.1 * r)
    mouth = (np.abs(np.hypot(yy - (cy - 0.1 * r), xx - cx) - 0.55 * r) < pen) & (yy > cy + 0.2 * r)
    return ndimage.gaussian_filter((face | eyes | mouth).astype(np.float32), 1.0)


def _face_photo(rng) -> np.ndarray:
    """A face-like picture: a skin-coloured oval on a coloured wall, dark hair, eyes, a mouth."""
    h, w = FRAME
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    wall = np.array([120, 150, 170], np.float32) + ndimage.gaussian_filter(rng.normal(0, 20, (h, w)), 8)[..., None]
    cy, cx = h * 0.55, w * 0.5
    oval = ((yy - cy) / (0.38 * h)) ** 2 + ((xx - cx) / (0.27 * h)) ** 2 < 1
    hair = (((yy - (cy - 0.25 * h)) / (0.35 * h)) ** 2 + ((xx - cx) / (0.32 * h)) ** 2 < 1) & (yy < cy - 0.12 * h)
    rgb = np.where(oval[..., None], np.array([225, 180, 150], np.float32), wall)
    rgb = np.where(hair[..., None], np.array([50, 35, 25], np.float32), rgb)
    for dx in (-0.1, 0.1):
        eye = np.hypot(yy - (cy - 0.05 * h), xx - (cx + dx * h)) < 0.025 * h
        rgb = np.where(eye[..., None], np.array([40, 30, 30], np.float32), rgb)
    mouth = (np.abs(yy - (cy + 0.2 * h)) < 0.012 * h) & (np.abs(xx - cx) < 0.08 * h)
    nose = (np.abs(xx - cx) < 0.008 * h) & (yy > cy) & (yy < cy + 0.1 * h)
    rgb = np.where((mouth | nose)[..., None], np.array([140, 60, 60], np.float32), rgb)
    return rgb


def _scene(rng) -> np.ndarray:
    """A natural-image-like texture: 1/f noise in colour plus a few random objects."""
    h, w = FRAME
    rgb = np.zeros((h, w, 3), np.float32)
    for sigma, amplitude in ((40, 60), (12, 35), (4, 20), (1, 10)):
        rgb += ndimage.gaussian_filter(rng.normal(0, 1, (h, w, 3)), (sigma, sigma, 0)) * amplitude * sigma ** 0.5
    rgb += 120
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(12):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(10, 80)
        blob = np.hypot((yy - cy) / rng.uniform(0.5, 2), xx - cx) < r
        rgb = np.where(blob[..., None], rng.uniform(0, 255, 3).astype(np.float32), rgb)
    return rgb


def bad_photos(x_test: np.ndarray, y_test: np.ndarray, seed: int = 1, rounds: int = 1) -> list[PhotoSample]:
    """Photos the path must refuse (label None): each round makes one of each way a
    photo goes wrong (12), with fresh random digits, light and noise."""
    rng = np.random.default_rng(seed)
    return [sample for round_ in range(rounds) for sample in _bad_round(x_test, y_test, rng, round_)]


def _bad_round(x_test, y_test, rng: np.random.Generator, round_: int) -> list[PhotoSample]:

    def digit(label: int) -> np.ndarray:
        return x_test[int(rng.choice(np.flatnonzero(y_test == label)))]

    def on_paper(coverage: np.ndarray, ink=INKS["black"], strength: float = 1.0, light_low: float = 0.6):
        page = write(paper(FRAME, rng), coverage, ink, strength)
        return page * (lighting(FRAME, rng, light_low) * shadow(FRAME, rng))[..., None]

    blank = np.zeros(FRAME, np.float32)
    made = {
        "blank page": on_paper(blank),
        "blank page, table at the edge": table_edge(on_paper(blank), rng),
        "two digits apart": on_paper(_row_of_digits([digit(3), digit(7)], rng, 0.4)),
        "three digits (a number)": on_paper(_row_of_digits([digit(2), digit(4), digit(5)], rng, 0.25)),
        "two digits close together": on_paper(_row_of_digits([digit(6), digit(8)], rng, 0.05)),
        "a digit and a doodle": on_paper(_row_of_digits([digit(9)], rng, 0.5, doodle=True)),
        "a drawn smiley face": on_paper(_smiley(rng)),
        "a face-like picture": _face_photo(rng),
        "a natural-image-like scene": _scene(rng),
        "very dark": on_paper(_row_of_digits([digit(4)], rng, 0)) * 0.12,
        "very faint writing": on_paper(_row_of_digits([digit(1)], rng, 0), INKS["graphite"], 0.12),
        "digit cut by the edge": on_paper(place(pen_digit(digit(5), int(0.6 * FRAME[0]), rng), FRAME,
                                                -int(0.25 * FRAME[0]), FRAME[1] // 3)),
    }
    samples = []
    for i, (note, rgb) in enumerate(made.items()):
        pixels = camera(rgb, rng, rng.uniform(0.5, 1.2), 2.5)
        data = encode(pixels, "JPEG", int(rng.integers(60, 90)))
        samples.append(PhotoSample(f"bad-{round_}-{i:02d}", data, None, note))
    return samples


def photo_set(x_test: np.ndarray, y_test: np.ndarray, n_good: int = 40, seed: int = 0,
              bad_rounds: int = 1) -> list[PhotoSample]:
    """`n_good` good photos followed by `bad_rounds` × 12 bad ones."""
    return good_photos(x_test, y_test, n_good, seed) + bad_photos(x_test, y_test, seed + 1, bad_rounds)
