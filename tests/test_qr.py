"""digitstudio.export.qr: the presenter's QR code decodes back to the app's address
(decoded with zxing-cpp, an independent reader)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from digitstudio.export.qr import MAX_URL_CHARS, qr_image, qr_png


def decode(picture: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(picture.convert("L"))]


@pytest.mark.parametrize("url", [
    "http://localhost:8501/",
    "https://digits.example.school/?presenter=1",
    "http://192.168.1.20:8501/?spec=eyJsYXllcnMiOiJkZW5zZTozMjpyZWx1IiwiZXBvY2hzIjozfQ",
])
def test_qr_png_round_trip(url):
    picture = Image.open(io.BytesIO(qr_png(url)))
    assert picture.format == "PNG"
    assert decode(picture) == [url]


def test_qr_survives_a_projector():
    """Shrunk to a third, blurred and washed out (a projected code seen from the back of
    the room, photographed by a phone), it still decodes."""
    url = "https://digits.example.school/?presenter=1"
    picture = qr_image(url).convert("L")
    small = picture.resize((picture.width // 3, picture.height // 3), Image.BILINEAR)
    washed = (np.asarray(small, np.float32) * 0.5 + 100).astype(np.uint8)  # grey-on-light-grey
    assert decode(Image.fromarray(washed)) == [url]


def test_long_share_link_fits():
    url = "http://localhost:8501/?spec=" + "A" * 1500
    assert decode(qr_image(url, box_size=4)) == [url]


@pytest.mark.parametrize("url", ["", "   ", "http://x/?" + "a" * MAX_URL_CHARS])
def test_bad_addresses_get_one_line(url):
    with pytest.raises(ValueError) as error:
        qr_png(url)
    assert "\n" not in str(error.value)
