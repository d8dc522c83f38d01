"""Teach it your handwriting, in a real browser: draw a digit in a personal style, label
it through "It was a" a handful of times, save a letter A with "Not a digit", press
"Teach the model", wait for the run, and see a fresh drawing in the same style read right."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from browser_support import canvas_has_ink, open_app, stroke, wait_idle, wait_prediction

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from personal_styles import STYLES, place  # noqa: E402
from style_strokes import ISSUE_INPUTS  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
STYLE = "ball-6"  # a 6 that is mostly a big ball with a short tick: the shipped CNN reads it as 0
LABELLED = 10  # "Teach the model" needs at least 10 digits


def draw(page, rng) -> str:
    for _ in range(3):
        for points in place(STYLES[STYLE][2], rng):
            stroke(page, points[::2] + [points[-1]])
        if canvas_has_ink(page):
            break
        page.wait_for_timeout(600)
    return wait_prediction(page, previous="–")


def test_label_a_personal_style_teach_the_model_and_read_it_right(chrome, server, tmp_path):
    rng = np.random.default_rng(0)
    page = open_app(chrome, server, height=1200)
    before = []
    for i in range(LABELLED):
        before.append(draw(page, rng))
        wait_idle(page)
        page.locator(".st-key-it_was_a").get_by_role("radio", name=re.compile(r"^6( ✓)?$")).click()
        page.get_by_text(f"{i + 1} of your drawings saved").wait_for(timeout=90_000)
        wait_prediction(page, previous=before[-1])  # the canvas cleared: back to "–"
    for _ in range(3):  # a letter A: "?", and saved as not a digit
        for points in ISSUE_INPUTS["letter A"][1]:
            stroke(page, points)
        if canvas_has_ink(page):
            break
        page.wait_for_timeout(600)
    assert wait_prediction(page, previous="–") == "?"
    wait_idle(page)
    page.get_by_role("button", name="Not a digit").click()
    page.get_by_text(f"{LABELLED + 1} of your drawings saved").wait_for(timeout=90_000)
    page.get_by_text("Saved as not a digit").wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "labelled.png"))
    page.locator('[data-testid="stTopNavLink"]', has_text="Your handwriting").click()
    page.wait_for_url("**/handwriting")
    wait_idle(page)
    page.get_by_role("button", name="Teach the model").click()
    page.get_by_text("this model now reads your drawings").wait_for(timeout=300_000)  # the run finished
    wait_idle(page)
    page.get_by_text("Your held-out digits").first.wait_for(timeout=30_000)
    page.get_by_text("Not a digit · 1 shown").first.wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "taught.png"), full_page=True)
    page.locator('[data-testid="stTopNavLink"]', has_text="Draw").click()
    wait_idle(page)
    fresh = [draw(page, np.random.default_rng(100 + i)) for i in range(1)]
    print(f"before teaching the model said {before}; after, for a fresh one: {fresh}")
    assert fresh == ["6"]
