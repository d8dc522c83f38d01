"""digitstudio.drawing.photo: photos of digits on paper → MNIST 28×28, or a clear refusal.

A handful of synthetic photos (testkit/photo_samples.py) keeps this fast; bench/photos.py
runs the full set. Reading digits needs the shipped model (skipped when it is missing).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from digitstudio.drawing.photo import MAX_SIDE, PhotoError, load_photo, read_photo
from testkit.photo_samples import FRAME, bad_photos, encode, good_photo, good_photos


@pytest.fixture(scope="module")
def goods(mnist):
    return good_photos(mnist.x_test, mnist.y_test, n=10, seed=0)  # one per class, all kinds of light


@pytest.fixture(scope="module")
def bads(mnist):
    return bad_photos(mnist.x_test, mnist.y_test, seed=1)


def photo_of(mnist, index: int = 0, variant: int = 1) -> tuple[np.ndarray, int]:
    """Upright uint8 RGB pixels of one synthetic photo, and its digit."""
    rng = np.random.default_rng(index)
    data, _ = good_photo(mnist.x_test[index], rng, variant)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), int(mnist.y_test[index])


# --- the synthetic set ------------------------------------------------------------------------

def test_good_photos_are_found_and_read(goods, shipped):
    readings = [read_photo(sample.data) for sample in goods]
    assert [r.status for r in readings] == ["ok"] * len(goods), [(s.note, r.message) for s, r in zip(goods, readings)]
    right = [shipped.predict(r.image).digit == s.label for s, r in zip(goods, readings)]
    # The bench's 97.5% (40 photos): here one known miss is allowed (good-06, an MNIST 6
    # with a very short stem, reads as 0); a regression in the path misses several.
    assert sum(right) >= len(goods) - 1, right


def test_bad_photos_are_refused(bads):
    readings = {sample.note: read_photo(sample.data) for sample in bads}
    for note, reading in readings.items():
        assert not reading.ok, note
        assert reading.message and "\n" not in reading.message, note
        assert not reading.image.any(), f"{note}: a refused photo must not carry a digit image"
    assert readings["blank page"].status == "empty"
    assert readings["two digits apart"].status == "several"
    assert readings["three digits (a number)"].status == "several"
    assert readings["a drawn smiley face"].status == "not_digit"
    assert readings["very dark"].status == "dark"
    assert readings["digit cut by the edge"].status == "edge"
    assert readings["blank page"].message.startswith("Could not find a digit")
    assert readings["two digits apart"].message.startswith("Could not find one digit")


# --- steps -----------------------------------------------------------------------------------

def test_steps_shapes_and_types(goods):
    reading = read_photo(goods[0].data)
    assert reading.ok
    assert reading.grey.dtype == np.uint8 and reading.grey.ndim == 2
    assert max(reading.grey.shape) <= MAX_SIDE
    assert reading.ink.shape == reading.grey.shape and reading.ink.dtype == np.float32
    assert 0 <= reading.ink.min() and reading.ink.max() <= 1
    left, top, right, bottom = reading.bbox
    assert reading.crop.shape == (bottom - top, right - left)
    assert reading.image.shape == (28, 28) and reading.image.dtype == np.float32
    assert reading.image.max() > 0.9  # strokes reach full ink, like MNIST's
    steps = reading.steps()
    assert list(steps) == ["grey", "ink", "crop", "28×28"]
    assert all(image.dtype == np.uint8 for image in steps.values())
    assert steps["28×28"].shape == (28, 28)


def test_refusal_keeps_the_steps_it_reached(bads):
    blank = read_photo(next(s for s in bads if s.note == "blank page").data)
    assert blank.grey.size and blank.ink.shape == blank.grey.shape
    assert blank.crop.size == 0 and blank.bbox is None
    assert list(blank.steps()) == ["grey", "ink"]


# --- decoding --------------------------------------------------------------------------------

def test_exif_orientation_is_applied(mnist, shipped):
    pixels, label = photo_of(mnist, 0)  # landscape (variant 1 is portrait: 640×480 → H > W)
    upright = read_photo(encode(pixels, "JPEG", 90))
    for orientation in (6, 8):
        sideways = read_photo(encode(pixels, "JPEG", 90, orientation=orientation))
        stored = Image.open(io.BytesIO(encode(pixels, "JPEG", 90, orientation=orientation)))
        assert stored.size == pixels.shape[:2]  # stored sideways: width and height swapped
        assert sideways.grey.shape == upright.grey.shape == pixels.shape[:2]
        assert sideways.ok and sideways.bbox == pytest.approx(upright.bbox, abs=2)
        assert shipped.predict(sideways.image).digit == label


def test_corrupt_and_non_image_bytes_get_one_line(goods):
    jpeg = goods[0].data
    for data in (b"", b"this is not a picture", jpeg[: len(jpeg) // 3], b"\x89PNG\r\n\x1a\n" + b"\0" * 50):
        reading = read_photo(data)
        assert reading.status == "unreadable"
        assert reading.message.startswith("Could not open this as an image (") and "\n" not in reading.message
        assert reading.image.shape == (28, 28) and not reading.image.any()
        with pytest.raises(PhotoError):
            load_photo(data)


def test_huge_photo_is_downscaled_first(mnist):
    pixels, label = photo_of(mnist, 3, variant=0)
    big = encode(pixels, "JPEG", 85, size=(3000, 4000))  # 12 MP
    reading = read_photo(big)
    assert reading.ok
    assert max(reading.grey.shape) == MAX_SIDE
    assert reading.scale == pytest.approx(MAX_SIDE / 4000)


def test_too_many_pixels_is_refused_unread():
    buffer = io.BytesIO()
    Image.new("1", (10_000, 8_000), 1).save(buffer, "PNG")  # 80 MP of white: a small file
    reading = read_photo(buffer.getvalue())
    assert reading.status == "unreadable"
    assert "megapixel" in reading.message and "lower resolution" in reading.message
    assert "JPEG or PNG" not in reading.message  # it was a PNG: the advice must fit the fault


def test_a_file_over_the_byte_limit_is_refused_with_what_to_do(monkeypatch):
    import digitstudio.drawing.photo as photo

    monkeypatch.setattr(photo, "MAX_BYTES", 1000)
    reading = read_photo(b"\xff" * 2000)
    assert reading.status == "unreadable" and "MB limit" in reading.message and "lower resolution" in reading.message


def test_inputs_other_than_jpeg_bytes(mnist, goods):
    pixels, _ = photo_of(mnist, 1, variant=0)
    reference = read_photo(encode(pixels, "PNG"))
    assert reference.ok
    for data in (io.BytesIO(encode(pixels, "PNG")), Image.fromarray(pixels), pixels,
                 Image.fromarray(pixels).convert("L")):
        reading = read_photo(data)
        assert reading.ok and reading.bbox == reference.bbox


def test_transparent_png_is_read_on_white(mnist):
    """A digit drawn in an image editor on a transparent background: ink in the alpha."""
    digit = np.asarray(Image.fromarray(mnist.x_test[0]).resize((160, 160), Image.BICUBIC))
    rgba = np.zeros((*FRAME, 4), np.uint8)
    rgba[150:310, 240:400, 3] = digit  # black strokes, opaque only where the digit is
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    reading = read_photo(buffer.getvalue())
    assert reading.ok
    assert reading.bbox[0] >= 240 and reading.bbox[2] <= 400
