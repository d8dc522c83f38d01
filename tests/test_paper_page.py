"""The On paper page through AppTest: its photo survives a visit to another page, it opens
on Upload (and says why) where the browser refuses the camera, it takes .jfif and HEIC
files, and its 28×28 is shown white on black like the Draw page's."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from testkit.photo_samples import good_photos

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

pytestmark = [pytest.mark.skipif(not (ROOT / "model" / "digit_cnn.keras").exists(), reason="no shipped model"),
              pytest.mark.usefixtures("isolated_app")]  # conftest.py: own folders, fresh caches


@pytest.fixture(scope="module")
def photos(mnist):
    return good_photos(mnist.x_test, mnist.y_test, n=2, seed=3)


def paper_page(url: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if url:
        at.context["url"] = url
    at.run()
    return at.switch_page("views/paper.py").run()


def prediction(at: AppTest) -> str | None:
    return next((metric.value for metric in at.metric if metric.label == "Prediction"), None)


def step_captions(at: AppTest) -> list[str]:
    return [c for image in at.get("image") for c in image.captions if c[:1].isdigit()]


def open_tab(at: AppTest) -> int | None:
    """The index of the tab the page opens on (the first tab container's default)."""
    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and "tab_container" in type(proto).DESCRIPTOR.fields_by_name \
                and proto.HasField("tab_container"):
            return proto.tab_container.default_tab_index
        for child in getattr(node, "children", {}).values():
            found = walk(child)
            if found is not None:
                return found
        return None

    return walk(at._tree)


def test_the_page_has_a_heading():
    at = paper_page()
    assert not at.exception and any(h.value == "On paper" for h in at.subheader)


def test_the_photo_and_its_reading_survive_a_visit_to_draw(photos):
    at = paper_page()
    sample = photos[0]
    at.file_uploader(key="paper_upload").upload("digit.jpg", sample.data, "image/jpeg").run()
    assert prediction(at) == str(sample.label) and len(step_captions(at)) == 4
    at.switch_page("views/draw.py").run()
    assert not at.exception
    at.switch_page("views/paper.py").run()
    assert not at.exception
    assert prediction(at) == str(sample.label), "the photo was forgotten"
    assert len(step_captions(at)) == 4
    assert any("digit.jpg" in c.value and "kept" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Forget photo").click().run()
    assert prediction(at) is None and any(c.value == "No photo yet." for c in at.caption)


def test_a_new_photo_replaces_the_kept_one(photos):
    at = paper_page()
    first, second = photos[0], photos[1]
    assert first.label != second.label
    at.file_uploader(key="paper_upload").upload("one.jpg", first.data, "image/jpeg").run()
    at.switch_page("views/draw.py").run()
    at.switch_page("views/paper.py").run()
    at.file_uploader(key="paper_upload").upload("two.jpg", second.data, "image/jpeg").run()
    assert prediction(at) == str(second.label)


@pytest.mark.parametrize("url, blocked", [
    ("http://192.168.1.20:8501/paper", True),  # a phone on the classroom's network
    ("http://digits.school.example:8501/paper", True),
    ("http://localhost:8501/paper", False),
    ("http://127.0.0.1:8501/paper", False),
    ("https://digits.school.example/paper", False),
])
def test_over_plain_http_from_another_device_it_opens_on_upload_and_says_why(url, blocked):
    at = paper_page(url)
    assert not at.exception
    says = [i.value for i in at.info if "The camera needs HTTPS" in i.value]
    if blocked:
        assert open_tab(at) == 1 and len(says) == 1
        assert "docs/classroom.md#https" in says[0] and "\n" not in says[0]
    else:
        assert open_tab(at) == 0 and not says


def test_jfif_and_heic_files_are_offered_and_read(photos):
    at = paper_page()
    allowed = at.file_uploader(key="paper_upload").allowed_type
    assert {".jpg", ".jpeg", ".jfif", ".jpe", ".png", ".heic", ".heif"} <= set(allowed), allowed
    sample = photos[0]
    at.file_uploader(key="paper_upload").upload("IMG_0001.jfif", sample.data, "image/jpeg").run()
    assert prediction(at) == str(sample.label)
    heic = io.BytesIO()
    Image.open(io.BytesIO(sample.data)).save(heic, "HEIF", quality=90)  # pillow-heif's encoder
    at.file_uploader(key="paper_upload").set_value(("IMG_0002.HEIC", heic.getvalue(), "image/heic")).run()
    assert not at.warning, [w.value for w in at.warning]
    assert prediction(at) == str(sample.label)


def test_the_28x28_is_white_on_black_like_draws(photos):
    from digitstudio.drawing.photo import read_photo

    shown = read_photo(photos[0].data).steps()["28×28"]
    assert shown[0, 0] == 0 and shown.max() == 255  # black background, white ink: the model's view
    assert np.array_equal(shown, np.asarray(Image.fromarray(shown)))
