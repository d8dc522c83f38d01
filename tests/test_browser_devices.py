"""The classroom's devices in a real browser: a phone drawing with a finger sees the
answer without scrolling, and a drawing stays put across page switches."""

from __future__ import annotations

import pytest
from browser_support import (
    LOWER_CANVAS,
    canvas_has_ink,
    draw_digit,
    draw_digit_by_touch,
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
    page.locator('[data-testid="stTopNavLink"]', has_text="Runs").click()
    page.wait_for_url("**/runs")
    wait_idle(page)
    page.locator('[data-testid="stTopNavLink"]', has_text="Draw").click()
    wait_idle(page)
    page.wait_for_selector(LOWER_CANVAS)
    page.wait_for_timeout(500)
    # canvas and prediction agree: the strokes came back, and the answer is the same
    assert canvas_has_ink(page), "the prediction outlived its canvas"
    assert prediction_text(page) == said
    page.close()
