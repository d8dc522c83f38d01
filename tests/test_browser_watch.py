"""Real browser: start a training, pause it, see no progress for 5 s, step once, change
the learning rate, resume, then scrub the epoch slider of the finished run.

Screenshots go to $DIGIT_STUDIO_SHOTS (a folder) when set, else to the test's tmp folder."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from testkit.browser_support import draw_digit, fill_sidebar, open_app, wait_idle

pytestmark = pytest.mark.browser

BATCH_TEXT = re.compile(r"Epoch (\d+)/(\d+) · batch (\d+)/(\d+)")


def progress_batches(panel) -> int:
    """Batches done, read from the progress bar's text (epochs × batches + batch)."""
    text = panel.locator('[data-testid="stProgress"]').filter(has_text=BATCH_TEXT).first.inner_text()
    match = BATCH_TEXT.search(text)
    assert match, text
    epoch, _, batch, batches = (int(g) for g in match.groups())
    return (epoch - 1) * batches + batch


def test_pause_step_change_the_rate_resume_and_scrub(chrome, server, tmp_path):
    shots = Path(os.environ.get("DIGIT_STUDIO_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = open_app(chrome, server, height=1400)
    draw_digit(page, 7)  # its probabilities are snapshotted with the rest
    fill_sidebar(page, {"Training images": "2000", "Epochs": "3", "Batch size": "8"})
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Train", exact=True).click()
    panel = page.locator('[data-testid="stMain"]')
    pause = panel.get_by_role("button", name="Pause", exact=True)
    pause.wait_for(timeout=60_000)
    pause.click()
    panel.get_by_role("button", name="Resume", exact=True).wait_for(timeout=30_000)
    panel.get_by_text("paused").first.wait_for(timeout=30_000)
    time.sleep(1.5)  # the hold's own report (a batch in flight when Pause came) arrives
    held = progress_batches(panel)
    time.sleep(5)
    assert progress_batches(panel) == held, "progress moved while paused"
    page.screenshot(path=str(shots / "paused.png"), full_page=True)

    panel.get_by_role("button", name="Step", exact=True).click()
    deadline = time.monotonic() + 30
    while progress_batches(panel) == held and time.monotonic() < deadline:
        time.sleep(0.2)
    assert progress_batches(panel) == held + 1, "Step did not run exactly one batch"

    rate = panel.get_by_role("spinbutton", name="Learning rate from the next batch")
    rate.fill("0.02")
    rate.press("Tab")
    panel.get_by_role("button", name="Change", exact=True).click()
    panel.get_by_role("button", name="Step", exact=True).click()  # the change applies to this batch
    panel.get_by_text(f"0.02 from batch {held + 2}").wait_for(timeout=30_000)  # 1-based, after the Step
    page.screenshot(path=str(shots / "stepped_and_changed.png"), full_page=True)
    panel.get_by_text("Inside the network").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "live_insides.png"))

    panel.get_by_role("button", name="Resume", exact=True).click()
    panel.get_by_text("Test accuracy", exact=True).wait_for(timeout=240_000)
    wait_idle(page)
    slider = panel.get_by_role("slider").last
    slider.wait_for(timeout=30_000)
    last = slider.get_attribute("aria-valuetext") or slider.get_attribute("aria-valuenow")
    page.screenshot(path=str(shots / "finished.png"), full_page=True)
    slider.focus()
    slider.press("Home")  # scrub back to the first snapshot
    wait_idle(page)
    first = slider.get_attribute("aria-valuetext") or slider.get_attribute("aria-valuenow")
    assert first != last, (first, last)
    slider.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "scrubbed.png"))
