"""A real lesson, in a real browser: the projector (1920×1080, presenter mode) and the
phones (390×844 and 320×640, touch) of a classroom-mode server.

- The Class page, opened before anyone labelled, fills in by itself (wall, accuracy,
  confusion matrix) while digits arrive, and fits the projector without scrolling.
- The Prediction is at least 120 px tall on the projector; the QR code is large and
  decodes to the server's address with no training setup in it.
- Ten digits are drawn and labelled on a phone without ever scrolling: the canvas and
  **It was a** are on screen after every label.
- A nickname given on the Draw page is kept across a reload (it is in the address), and
  the digit labelled before it is the nickname's too.

Set DIGIT_STUDIO_SCREENS=docs/screens to keep the screenshots (as the class sees them).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest

from digitstudio.storage.drawings import DrawingStore, Scope
from testkit.browser_support import (
    DIGIT_STROKES,
    UPPER_CANVAS,
    draw_strokes,
    touch_stroke,
    wait_idle,
    wait_prediction,
)
from testkit.waiting import wait_until

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1920, "height": 1080}
PHONES = [(390, 844), (320, 640)]
MAIN = '[data-testid="stMain"]'
PILLS = '.st-key-draw-answer [data-testid="stButtonGroup"]'


def keep_screen(page, name: str, tmp_path: Path) -> None:
    """A screenshot as the class sees it, in DIGIT_STUDIO_SCREENS (docs/screens) when set;
    saved with a 256-colour palette, which keeps a 1920×1080 screen well under 400 KB."""
    from PIL import Image

    folder = Path(os.environ.get("DIGIT_STUDIO_SCREENS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    picture = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    picture.quantize(256, method=Image.Quantize.MEDIANCUT).save(folder / f"{name}.png", optimize=True)


def scrolled(page) -> float:
    """How far the page's scrolling area (Streamlit's main) is scrolled."""
    return page.locator(MAIN).evaluate("e => e.scrollTop")


def fits(page) -> bool:
    """Nothing below the window's bottom edge: the page has nothing to scroll to."""
    return page.locator(MAIN).evaluate("e => e.scrollHeight <= e.clientHeight + 2")


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return (box is not None and box["y"] >= 0 and box["x"] >= 0 and box["y"] + box["height"] <= size["height"]
            and box["x"] + box["width"] <= size["width"])


def settled_canvas(page) -> dict:
    """The canvas once its size stops changing (the window's size arrives after the first
    run and may resize it once)."""
    page.wait_for_selector(UPPER_CANVAS, timeout=60_000)
    last = None
    for _ in range(40):
        wait_idle(page)
        box = page.locator(UPPER_CANVAS).bounding_box()
        if box is not None and last is not None and box["width"] == last["width"]:
            return box
        last = box
        page.wait_for_timeout(700)
    raise AssertionError("the canvas kept changing size")


def draw(page, digit: int, pen=None) -> None:
    """DIGIT_STROKES' digit (made for a 280 px canvas) scaled to the canvas on the page."""
    scale = page.locator(UPPER_CANVAS).bounding_box()["width"] / 280
    strokes = [[(x * scale, y * scale) for x, y in points] for points in DIGIT_STROKES[digit]]
    draw_strokes(page, strokes, pen=pen)


def rendered_height(page, selector: str) -> float:
    """The rendered height of the text inside `selector` (its line box)."""
    return page.locator(selector).first.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getBoundingClientRect().height; }")


def class_digits(data: Path, n: int) -> None:
    """n digits labelled by three students into the class collection, as their phones
    would: MNIST test digits, one of them mislabelled (a misread on the wall)."""
    from digitstudio.data.mnist import load_mnist

    mnist = load_mnist()
    store = DrawingStore(data_dir=data, rate_limit=10_000)
    for i in range(n):
        label = int(mnist.y_test[i]) if i != 3 else (int(mnist.y_test[i]) + 5) % 10
        store.add(label=label, image=mnist.x_test[i], session_id=f"phone-{i % 3}",
                  nickname=["Ada", "Sam", "Noor"][i % 3], classroom=True)
    store.close()


# --- the projector ---------------------------------------------------------------------------

def test_the_class_page_fills_in_live_and_fits_the_projector(chrome, classroom_server, tmp_path):
    url, data = classroom_server
    page = chrome.new_page(viewport=PROJECTOR)
    page.goto(f"{url}/class?present=1")
    wait_idle(page, timeout=120_000)
    page.wait_for_selector("text=No class digits yet", timeout=60_000)
    summary = page.locator('[data-testid="stMetric"]', has_text="reads the class's digits")
    assert summary.count() == 0
    page.evaluate("window.__sameVisit = true")
    class_digits(data, 24)  # the phones label while the page is open
    summary.wait_for(timeout=30_000)  # no reload, no click: it comes by itself
    page.locator(".st-key-class-summary [data-testid='stVegaLiteChart']").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    wait_idle(page)
    assert page.evaluate("window.__sameVisit === true")  # the same page, not reloaded
    assert "24 digits" in summary.inner_text()
    pictures = page.locator(".st-key-class-live [data-testid='stImage'] img")
    assert pictures.count() >= 24
    assert page.get_by_text(re.compile(r"^\d→\d · ")).count() >= 1  # the misread is marked on the wall
    assert fits(page) and scrolled(page) == 0  # wall, accuracy and confusion matrix on one screen
    assert in_view(page, ".st-key-class-summary [data-testid='stVegaLiteChart']")
    keep_screen(page, "presenter-class", tmp_path)
    page.close()


def test_the_projector_shows_a_prediction_read_from_the_back_of_the_room(chrome, classroom_server, tmp_path):
    import zxingcpp
    from PIL import Image

    url, _ = classroom_server
    page = chrome.new_page(viewport=PROJECTOR)
    page.goto(f"{url}/?present=1")
    wait_idle(page, timeout=120_000)
    canvas = settled_canvas(page)
    assert canvas["width"] >= 480  # the canvas is as large as the screen allows
    draw(page, 7)
    assert wait_prediction(page, previous="–") == "7"
    page.wait_for_timeout(500)
    value = ".st-key-prediction [data-testid='stMetricValue'] p"
    font = float(page.locator(value).first.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
    assert font >= 120 and rendered_height(page, value) >= 120, (font, rendered_height(page, value))
    code = page.locator(".st-key-join-code [data-testid='stImage'] img").first
    assert code.bounding_box()["width"] >= 300  # scanned from several metres
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())))
    assert [d.text for d in decoded] == [f"{url}/"]  # the server, nothing about training
    for piece in (UPPER_CANVAS, ".st-key-prediction", ".st-key-join-code img", ".st-key-draw-model-view img"):
        assert in_view(page, piece), piece
    assert fits(page)
    keep_screen(page, "presenter-draw", tmp_path)
    page.close()


# --- the phones --------------------------------------------------------------------------------

def open_phone(chrome, url: str, width: int, height: int):
    context = chrome.new_context(viewport={"width": width, "height": height}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(url)
    wait_idle(page)
    settled_canvas(page)
    return page


def label_by_touch(page, digit: int) -> None:
    """Tap `digit` under It was a (marked "7 ✓" when it is the model's answer)."""
    page.locator(f"{PILLS} button").filter(has_text=re.compile(rf"^{digit}( ✓)?$")).first.tap()
    page.get_by_text(re.compile(r"^Saved as ")).first.wait_for(timeout=30_000)
    wait_idle(page)
    # the emptied canvas is a new one: wait until the old one has gone from the page
    wait_until(lambda: page.locator(UPPER_CANVAS).count() == 1, timeout=30)


@pytest.mark.parametrize("width, height", PHONES, ids=[f"{w}x{h}" for w, h in PHONES])
def test_ten_digits_are_labelled_on_a_phone_without_scrolling(chrome, classroom_server, tmp_path, width, height):
    url, data = classroom_server
    page = open_phone(chrome, url, width, height)
    nickname = f"Kid{width}"
    prompt = page.locator(".st-key-nickname-prompt input")
    assert in_view(page, ".st-key-nickname-prompt")  # asked before the first label, on the page
    prompt.tap()
    prompt.fill(nickname)
    prompt.press("Enter")
    wait_idle(page)
    page.wait_for_function(f"location.search.includes('name={nickname}')")  # kept in the address
    settled_canvas(page)
    for turn, digit in enumerate([1, 7, 0, 3, 4, 1, 7, 0, 3, 4]):
        draw(page, digit, pen=touch_stroke)
        said = wait_prediction(page, previous="–")
        assert said not in ("", "–"), said
        wait_idle(page)
        assert in_view(page, UPPER_CANVAS) and in_view(page, PILLS), f"digit {turn + 1}: It was a is off screen"
        assert scrolled(page) == 0
        if turn == 0:
            keep_screen(page, f"phone-{width}x{height}", tmp_path)
        label_by_touch(page, digit)
        assert in_view(page, UPPER_CANVAS) and scrolled(page) == 0, f"digit {turn + 1}: the tap scrolled"
        if turn == 0:
            keep_screen(page, f"phone-{width}x{height}-saved", tmp_path)
        assert wait_prediction(page, previous=said) == "–"  # the canvas is cleared for the next one
    mine = DrawingStore(data_dir=data).list(Scope.person("", nickname))
    assert [d.label for d in reversed(mine)] == [1, 7, 0, 3, 4] * 2, [(d.label, d.predicted) for d in reversed(mine)]
    page.context.close()


def test_a_nickname_is_kept_across_a_reload(chrome, classroom_server, tmp_path):
    url, data = classroom_server
    page = open_phone(chrome, url, *PHONES[0])
    draw(page, 1, pen=touch_stroke)
    said = wait_prediction(page, previous="–")
    label_by_touch(page, 1)  # before giving a nickname
    wait_prediction(page, previous=said)
    prompt = page.locator(".st-key-nickname-prompt input")
    prompt.fill("Zoe")
    prompt.press("Enter")
    page.wait_for_function("location.search.includes('name=Zoe')")
    wait_idle(page)
    page.reload()
    wait_idle(page)
    settled_canvas(page)
    assert page.locator('[data-testid="stSidebar"] input[aria-label="Your nickname"]').input_value() == "Zoe"
    assert page.locator(".st-key-nickname-prompt").count() == 0  # not asked again
    draw(page, 7, pen=touch_stroke)
    wait_prediction(page, previous="–")
    label_by_touch(page, 7)
    wait_until(lambda: len(DrawingStore(data_dir=data).list(Scope.person("", "Zoe"))) == 2, timeout=30)
    zoe = DrawingStore(data_dir=data).list(Scope.person("", "Zoe"))
    assert sorted(d.label for d in zoe) == [1, 7]  # the first digit too: nothing went to "anon"
    assert len({d.session_id for d in zoe}) == 2  # two browser sessions, one person
    page.context.close()


def test_a_phone_that_scans_the_code_sees_no_training_setup(chrome, classroom_server):
    import zxingcpp
    from PIL import Image

    url, _ = classroom_server
    projector = chrome.new_page(viewport=PROJECTOR)
    projector.goto(f"{url}/?present=1")
    wait_idle(projector, timeout=120_000)
    code = projector.locator('[data-testid="stImage"]', has_text="Scan to join").locator("img").first
    code.wait_for(timeout=60_000)
    link = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())))[0].text
    projector.close()
    page = open_phone(chrome, link, *PHONES[0])  # what a student's camera opens
    assert "train.py" not in page.locator('[data-testid="stSidebar"]').inner_text()
    assert np.isclose(scrolled(page), 0)
    page.context.close()
