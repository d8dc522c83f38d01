"""The classroom's devices in a real browser: a phone drawing with a finger sees the
answer without scrolling, and a drawing stays put across page switches."""

from __future__ import annotations

import pytest

from testkit.browser_support import (
    LOWER_CANVAS,
    canvas_has_ink,
    draw_digit,
    draw_digit_by_touch,
    go_to,
    open_app,
    open_phone,
    prediction_text,
    wait_idle,
    wait_prediction,
)

pytestmark = pytest.mark.browser


def test_on_a_phone_the_prediction_is_in_view_right_after_drawing(chrome, server, tmp_path):
    page = open_phone(chrome, server)
    draw_digit_by_touch(page, 7)
    assert wait_prediction(page, previous="–") == "7"
    assert page.evaluate("window.scrollY") == 0  # nothing scrolled
    metric = page.locator('[data-testid="stMetric"]', has_text="Prediction").first.bounding_box()
    canvas = page.locator(LOWER_CANVAS).bounding_box()
    assert canvas["y"] >= 0 and metric["y"] + metric["height"] <= 844, (canvas, metric)
    page.screenshot(path=str(tmp_path / "phone.png"))
    page.context.close()


def test_a_drawing_is_still_on_the_canvas_after_visiting_another_page(chrome, server):
    page = open_app(chrome, server)
    draw_digit(page, 1)
    said = wait_prediction(page, previous="–")
    assert said == "1"
    go_to(page, "Runs", "**/runs")
    go_to(page, "Draw")
    page.wait_for_selector(LOWER_CANVAS)
    page.wait_for_timeout(500)
    # canvas and prediction agree: the strokes came back, and the answer is the same
    assert canvas_has_ink(page), "the prediction outlived its canvas"
    assert prediction_text(page) == said
    page.close()


def test_presenter_mode_shows_a_qr_code_of_the_apps_address(chrome, server, tmp_path):
    import io

    import zxingcpp
    from PIL import Image

    page = chrome.new_page(viewport={"width": 1600, "height": 900})
    page.goto(f"{server}/?present=1")
    wait_idle(page, timeout=120_000)
    code = page.locator('[data-testid="stImage"]', has_text="Scan to join").locator("img")
    code.wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "presenter.png"))
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())))
    assert decoded, "no QR code could be read from the screen"
    assert decoded[0].text == f"{server}/?preset=seed-mlp"  # the app's address with the class's setup
    # large type and the sidebar folded away
    size = page.locator('[data-testid="stMetricValue"]').first.evaluate("e => getComputedStyle(e).fontSize")
    assert float(size.removesuffix("px")) >= 100
    assert page.locator('[data-testid="stExpandSidebarButton"]').is_visible()  # folded: only its opener shows
    page.close()
