"""Real-browser tests: the app on a free localhost port, driven in headless Chromium."""

from __future__ import annotations

import pytest

from testkit.browser_support import (
    draw_digit,
    fill_sidebar,
    open_app,
    prediction_text,
    reset_canvas,
    wait_idle,
    wait_prediction,
)

pytestmark = pytest.mark.browser


def test_draw_three_digits_and_read_predictions(chrome, server, tmp_path):
    page = open_app(chrome, server)
    assert prediction_text(page) == "–"  # empty state
    assert page.get_by_text("Draw a digit (0–9)").count() == 1
    results = {}
    for digit in (1, 7, 0):
        draw_digit(page, digit)
        results[digit] = wait_prediction(page, previous="–")
        page.screenshot(path=str(tmp_path / f"digit_{digit}.png"), full_page=True)
        reset_canvas(page)
        wait_prediction(page, previous=results[digit])
        assert prediction_text(page) == "–", "reset did not clear the prediction"
    assert results == {1: "1", 7: "7", 0: "0"}, results
    page.screenshot(path=str(tmp_path / "empty_again.png"), full_page=True)
    # The toolbar keeps undo, redo and reset, but not the Edit toggle (a pencil students
    # take for "draw", which turns drawing off), on every canvas mounted since.
    toolbar = page.locator(".dc-toolbar")
    assert toolbar.locator('button[aria-label^="Reset canvas"]').count() == 1
    edit = toolbar.locator('button[aria-label="Edit"]')
    assert edit.count() == 1 and edit.is_hidden()


def test_train_tiny_model_from_sidebar_draws_curves(chrome, server, tmp_path):
    page = open_app(chrome, server)
    fill_sidebar(page, {"Training images": "1000", "Epochs": "2"})
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Train", exact=True).click()
    # the live panel: a progress bar and growing curves, then the test metrics
    # (a 1,000-image run can finish between two 0.5 s refreshes, so no progress text is awaited)
    panel = page.locator('[data-testid="stMain"]')
    panel.get_by_text("Training", exact=True).wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "training.png"))
    # exact: the preset's caption also says "test accuracy"
    panel.get_by_text("Test accuracy", exact=True).wait_for(timeout=120_000)
    panel.get_by_text("reads your drawings").first.wait_for(timeout=30_000)  # the verdict (test_browser_sidebar)
    wait_idle(page)
    charts = panel.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(timeout=30_000)
    assert charts.count() >= 2  # accuracy and loss
    page.get_by_text("Training", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "trained.png"))
