"""A screen reader on the Draw page (#27, point 6): the canvas and the 28×28 picture have
text alternatives, the answer is announced in a live region (role="status") after a stroke and
after Try a test digit (the keyboard's way in), and axe-core (the audit Playwright can inject,
axe-playwright-python's bundled copy) finds no serious or critical violation."""

from __future__ import annotations

import pytest

from testkit.browser_support import draw_digit, open_app, wait_idle, wait_prediction

pytestmark = pytest.mark.browser

STATUS = '[role="status"].sr-status'


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page).response
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in response["violations"] if v.get("impact") in ("serious", "critical")]


def test_the_draw_page_speaks_to_a_screen_reader_and_passes_axe(chrome, server, tmp_path):
    page = open_app(chrome, server)
    canvas = page.locator("canvas.upper-canvas")
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
        .some(h => h.shadowRoot && h.shadowRoot.querySelector('canvas.upper-canvas[aria-label]'))""", timeout=30_000)
    assert canvas.get_attribute("role") == "img" and "draw one digit" in canvas.get_attribute("aria-label")
    picture = page.locator('.st-key-draw-model-view [data-testid="stImage"] img, '
                           '.st-key-draw-model-view [data-testid="stImageContainer"] img').first
    assert "28 by 28" in (picture.get_attribute("alt") or "")
    status = page.locator(STATUS)
    assert status.count() == 1 and "No answer yet" in status.inner_text()
    box = status.bounding_box()
    assert box is None or box["height"] <= 1, "the live region is visually hidden"
    assert serious_violations(page) == []
    draw_digit(page, 1)
    wait_prediction(page, previous="–")
    wait_idle(page)
    assert page.locator(STATUS).inner_text().startswith("Prediction: 1"), page.locator(STATUS).inner_text()
    assert "your drawing" in (picture.get_attribute("alt") or "")
    page.get_by_role("button", name="Try a test digit").focus()
    page.keyboard.press("Enter")
    wait_idle(page)
    assert page.locator(STATUS).inner_text().startswith("Prediction:")
    assert "MNIST's test digit" in (picture.get_attribute("alt") or "")
    page.screenshot(path=str(tmp_path / "access.png"))
    assert serious_violations(page) == []
