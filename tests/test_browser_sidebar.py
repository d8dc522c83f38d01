"""The sidebar as an ML engineer drives it in a real browser (#24, points 0–3): numbers typed
and Enter pressed, as people do. What the sidebar shows is what Train trains, the second time
too; the preset box reads "custom" at once; a run worse than the model in use does not
silently replace it."""

from __future__ import annotations

import json
import time

import pytest

from testkit.browser_support import app_server, open_app, shown_value, type_and_enter, wait_idle

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'


@pytest.fixture(scope="module")
def served(tmp_path_factory, mnist_path):
    runs, drawings = tmp_path_factory.mktemp("sidebar-runs"), tmp_path_factory.mktemp("sidebar-data")
    with app_server(env={"DIGIT_STUDIO_RUNS": str(runs), "DIGIT_STUDIO_DATA": str(drawings),
                         "MNIST_NPZ": str(mnist_path)}) as url:
        yield url, runs


def enter_in_sidebar(page, label: str, value: str) -> None:
    type_and_enter(page.locator(SIDEBAR).get_by_label(label, exact=True), value)
    wait_idle(page)


def finished_runs(runs) -> list[dict]:
    records = [json.loads(p.read_text()) for p in runs.glob("*/run.json")]
    return [r for r in records if r.get("status") == "completed"]


def wait_for_runs(runs, count: int, timeout: float = 180) -> list[dict]:
    deadline = time.time() + timeout
    while len(done := finished_runs(runs)) < count:
        assert time.time() < deadline, f"{len(done)} of {count} trainings finished in {timeout:.0f} s"
        time.sleep(0.5)
    return done


def test_enter_commits_a_number_and_train_trains_what_the_sidebar_shows_twice(chrome, served, tmp_path):
    url, runs = served
    page = open_app(chrome, url, width=1440, height=900)
    sidebar = page.locator(SIDEBAR)
    preset = sidebar.locator('[data-testid="stSelectbox"]').first
    assert "custom" not in shown_value(preset)
    # 0. Enter in a number field commits the number and runs nothing else
    enter_in_sidebar(page, "Training images", "1000")
    enter_in_sidebar(page, "Epochs", "1")
    enter_in_sidebar(page, "Learning rate", "0.003")
    page.wait_for_timeout(1500)
    assert sidebar.get_by_text("Finding a learning rate").count() == 0
    assert sidebar.locator('[data-testid="stVegaLiteChart"]').count() == 0, "Enter ran the learning-rate search"
    # 2. the preset box reads "custom" the moment the setup differs from the preset
    assert "custom" in shown_value(preset), shown_value(preset)
    page.screenshot(path=str(tmp_path / "sidebar-after-enter.png"))
    # 1. Train trains what the sidebar shows, and again the second time
    sidebar.get_by_role("button", name="Train", exact=True).click()
    wait_for_runs(runs, 1)
    page.get_by_text("Test accuracy", exact=True).wait_for(timeout=60_000)
    wait_idle(page)
    sidebar.get_by_role("button", name="Train", exact=True).click()
    first, second = wait_for_runs(runs, 2)
    for run in (first, second):
        spec = run["spec"]
        assert (spec["epochs"], spec["train_size"], spec["learning_rate"]) == (1, 1000, 0.003), spec
    assert first["spec"]["layers"] == second["spec"]["layers"]
    assert first["params"] == second["params"]
    # 3. a 1-epoch, 1,000-image run is far below the shipped model: it does not replace it unasked
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("still reads your drawings").first.wait_for(timeout=60_000)
    assert "Shipped CNN" in main.locator('[data-testid="stCaptionContainer"]').first.inner_text()
    anyway = main.get_by_role("button", name="Draw with this run anyway")
    anyway.wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "sidebar-verdict.png"), full_page=True)
    anyway.click()
    wait_idle(page)
    page.wait_for_timeout(500)
    assert "Shipped CNN" not in main.locator('[data-testid="stCaptionContainer"]').first.inner_text()
