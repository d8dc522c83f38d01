"""Real browser: draw a digit, open "Inside the model", check each tab shows its charts
and pictures, and keep a screenshot of each tab (in the test's tmp_path)."""

from __future__ import annotations

import re

import pytest

from testkit.browser_support import draw_digit, go_to, open_app, wait_idle, wait_prediction

pytestmark = pytest.mark.browser

CHART = '[data-testid="stVegaLiteChart"]'
PICTURE = '[data-testid="stImage"] img'


def open_tab(page, name: str):
    page.get_by_role("tab", name=re.compile(name)).click()
    wait_idle(page)
    return page.get_by_role("tabpanel").filter(visible=True)


def test_inside_view_shows_every_section_for_a_drawing(chrome, server, tmp_path):
    page = open_app(chrome, server, height=1600)
    draw_digit(page, 7)
    said = wait_prediction(page, previous="–")
    assert said in list("0123456789")

    go_to(page, "Inside the model", "**/inside", timeout=120_000)  # the first visit scores the 10,000 test digits

    scored = open_tab(page, "How well it does")
    scored.get_by_text("Confusion matrix").wait_for()
    scored.locator(f"{CHART} canvas, {CHART} svg").first.wait_for()
    assert scored.locator(CHART).count() == 2
    assert scored.get_by_text("Test accuracy").is_visible()
    assert scored.locator(PICTURE).count() >= 10  # the gallery of mistakes
    page.screenshot(path=str(tmp_path / "inside_scored.png"), full_page=True)

    learned = open_tab(page, "What it learned")
    learned.get_by_text("First convolution filters").wait_for()
    assert learned.get_by_text("Feature maps for this digit").is_visible()
    assert learned.locator(PICTURE).count() >= 5  # filters, then one row per conv layer
    page.screenshot(path=str(tmp_path / "inside_learned.png"), full_page=True)

    explained = open_tab(page, "Your drawing, explained")
    explained.get_by_text("Layer by layer").wait_for()
    says = explained.locator('[data-testid="stMetric"]', has_text="The model says")
    assert says.locator('[data-testid="stMetricValue"]').inner_text().strip() == said
    assert explained.get_by_text(f"Ink that counted for “{said}”").is_visible()
    assert explained.locator(CHART).count() >= 2  # the dense layer's strip and the probabilities
    page.screenshot(path=str(tmp_path / "inside_explained.png"), full_page=True)
    print(f"screenshots in {tmp_path}")


@pytest.mark.parametrize("path, heading", [("inside", "How well it does"), ("runs", "Model reading your drawings")])
def test_each_page_opens_at_its_own_address(chrome, server, path, heading):
    page = chrome.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/{path}")
    wait_idle(page, timeout=120_000)
    page.get_by_text(heading).first.wait_for(timeout=60_000)
    current = page.locator('[data-testid="stTopNavLink"][aria-current="page"]')
    assert current.get_attribute("href").rstrip("/").endswith(path)
    page.close()
