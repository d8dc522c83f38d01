"""A photo of a digit on paper in every file format and pixel mode people send: 16-bit and
float greys at their real bit depth, 8-bit grey, RGB, JPEG (however named), CMYK, grey with
alpha, 1-bit, palette, WebP, TIFF, HEIC (an iPhone's), and HEIC refused with what to do
when the server cannot read it."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, UnidentifiedImageError

import digitstudio.drawing.photo as photo
from digitstudio.drawing.photo import read_photo
from testkit.photo_samples import good_photo

SHIPPED_MODEL = Path(__file__).resolve().parents[1] / "model" / "digit_cnn.keras"


@pytest.fixture(scope="module")
def reader():
    if not SHIPPED_MODEL.is_file():
        pytest.skip("model/digit_cnn.keras has not been built")
    from digitstudio.storage.model_files import load_predictor

    return load_predictor(SHIPPED_MODEL)


@pytest.fixture(scope="module")
def sample(mnist) -> tuple[np.ndarray, int]:
    """Upright uint8 RGB pixels of one synthetic phone photo of a digit, and the digit."""
    data, _ = good_photo(mnist.x_test[0], np.random.default_rng(0), 0)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), int(mnist.y_test[0])


def encoded(picture: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def grey(sample) -> np.ndarray:
    return np.asarray(Image.fromarray(sample[0]).convert("L"))


def variants(sample) -> dict[str, bytes]:
    rgb = Image.fromarray(sample[0])
    g = grey(sample)
    wide = g.astype(np.uint16) * 257  # the same photo at 16 bits: paper ≈ 55,000, not 215
    alpha = np.dstack([g, np.full_like(g, 255)])
    return {
        "16-bit grey PNG (I;16)": encoded(Image.fromarray(wide), "PNG"),
        "16-bit grey TIFF (I;16)": encoded(Image.fromarray(wide), "TIFF"),
        "32-bit integer TIFF holding 16-bit values (I)": encoded(Image.fromarray(wide.astype(np.int32)), "TIFF"),
        "float TIFF in 0–1 (F)": encoded(Image.fromarray((g / np.float32(255)).astype(np.float32)), "TIFF"),
        "8-bit grey PNG (L)": encoded(Image.fromarray(g), "PNG"),
        "RGB PNG": encoded(rgb, "PNG"),
        "JPEG": encoded(rgb, "JPEG", quality=90),
        "CMYK JPEG": encoded(rgb.convert("CMYK"), "JPEG", quality=90),
        "grey with alpha PNG (LA)": encoded(Image.fromarray(alpha, "LA"), "PNG"),
        "1-bit PNG": encoded(Image.fromarray(g).point(lambda v: 255 if v > 120 else 0, "1"), "PNG"),
        "palette PNG (P)": encoded(rgb.convert("P", palette=Image.Palette.ADAPTIVE), "PNG"),
        "WebP": encoded(rgb, "WEBP", quality=90),
        "HEIC": encoded(rgb, "HEIF", quality=90),
    }


def test_every_format_and_bit_depth_reads_the_same_digit(sample, reader):
    reference = read_photo(encoded(Image.fromarray(sample[0]), "PNG"))
    assert reference.ok and reader.predict(reference.image).digit == sample[1]
    for name, data in variants(sample).items():
        reading = read_photo(data)
        assert reading.ok, f"{name}: {reading.message}"
        assert reading.bbox == pytest.approx(reference.bbox, abs=6), name
        assert reader.predict(reading.image).digit == sample[1], name


def test_sixteen_bit_grey_keeps_its_brightness(sample):
    g = grey(sample)
    eight_bit = read_photo(encoded(Image.fromarray(g), "PNG")).grey.astype(int)
    for data in (encoded(Image.fromarray(g.astype(np.uint16) * 257), "PNG"),
                 encoded(Image.fromarray(g.astype(np.uint16) * 257), "TIFF")):
        assert np.abs(read_photo(data).grey.astype(int) - eight_bit).max() <= 1
    dark = read_photo(encoded(Image.fromarray((g // 8).astype(np.uint16) * 257), "PNG"))
    assert dark.status == "dark"  # a dark 16-bit photo is still dark: scaled by its bit depth, not stretched


def test_a_jfif_or_jpe_file_is_offered_and_read_by_its_content(sample):
    assert {"jpg", "jpeg", "jfif", "jpe", "png", "heic", "heif"} <= set(photo.PHOTO_TYPES)
    assert read_photo(encoded(Image.fromarray(sample[0]), "JPEG", quality=90)).ok  # a .jfif is a JPEG's bytes


def test_heic_without_a_reader_is_refused_with_how_to_send_a_jpeg(sample, monkeypatch):
    heic = encoded(Image.fromarray(sample[0]), "HEIF", quality=90)

    def cannot_open(*_args, **_kwargs):
        raise UnidentifiedImageError("cannot identify image file")

    monkeypatch.setattr(photo, "HEIF_READABLE", False)
    monkeypatch.setattr(photo.Image, "open", cannot_open)
    reading = read_photo(heic)
    assert reading.status == "unreadable" and "\n" not in reading.message
    assert "HEIC" in reading.message and "JPEG" in reading.message and "Most Compatible" in reading.message
    assert "HEIC" not in read_photo(b"not a picture at all").message
