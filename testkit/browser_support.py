"""Start the app on a free localhost port and drive it in headless Chromium.

Shared by the browser tests and the browser benchmarks (bench/e2e_latency.py,
bench/load.py) as testkit.browser_support. Chromium comes from Debian (`apt-get install chromium`);
Playwright only drives it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
UPPER_CANVAS = "canvas.dc-canvas.upper-canvas"
LOWER_CANVAS = "canvas.dc-canvas.lower-canvas"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def app_server(env: dict[str, str] | None = None, args: list[str] | None = None, timeout: float = 90,
               script: str | os.PathLike | None = None):
    """Run `streamlit run app.py` (or another `script`) on 127.0.0.1:<free port>; yield its URL."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"),
               "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    if args:
        command += ["--", *args]
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    log = open(os.environ.get("DIGIT_STUDIO_SERVER_LOG", os.devnull), "w")
    proc = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise TimeoutError("streamlit did not start")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chrome = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chrome
        finally:
            chrome.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    page.wait_for_selector(IDLE, timeout=timeout)


def open_app(chrome, url: str, width: int = 1400, height: int = 1000):
    page = chrome.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    wait_idle(page)
    page.wait_for_selector(UPPER_CANVAS, timeout=60_000)
    return page


def canvas_has_ink(page) -> bool:
    return page.eval_on_selector(LOWER_CANVAS, """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) { if (d[i] > 128) return true; }
        return false; }""")


def stroke(page, points: list[tuple[float, float]], steps: int = 4) -> None:
    """One mouse stroke through points given in canvas pixels (0–280)."""
    box = page.locator(UPPER_CANVAS).bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=steps)
    page.mouse.up()


# Digits as strokes on a 280×280 canvas (roughly how a person draws them).
DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    1: [[(140, 50), (140, 230)]],
    7: [[(80, 60), (200, 60), (120, 230)]],
    0: [[(140, 50), (95, 80), (80, 140), (95, 200), (140, 230), (185, 200), (200, 140), (185, 80), (140, 50)]],
    3: [[(85, 70), (140, 45), (190, 75), (145, 135), (195, 185), (140, 235), (80, 210)]],
    4: [[(170, 230), (170, 50), (80, 165), (210, 165)]],
}


def draw_strokes(page, strokes: list[list[tuple[float, float]]], retries: int = 3, pen=None,
                 steps: int = 4) -> None:
    """Draw strokes (each a list of points in canvas pixels) with the mouse, or `pen`, e.g.
    touch_stroke; a freshly mounted canvas ignores its first ~0.5 s of input, so check for
    ink and draw the same strokes again if none arrived."""
    for _ in range(retries):
        for points in strokes:
            (pen or stroke)(page, points, steps=steps)
        if canvas_has_ink(page):
            return
        page.wait_for_timeout(600)
    raise AssertionError("the canvas never showed any ink")


def draw_digit(page, digit: int, retries: int = 3, pen=None) -> None:
    """Draw a digit of DIGIT_STROKES (see draw_strokes)."""
    draw_strokes(page, DIGIT_STROKES[digit], retries, pen)


def reset_canvas(page) -> None:
    page.locator('button[aria-label^="Reset canvas"]').first.click()


def go_to(page, link: str, url: str | None = None, timeout: float = 60_000) -> None:
    """Open another page through the top navigation's `link` (its text); wait for its `url`
    (a glob, e.g. "**/runs") when given, then until the script is idle."""
    page.locator('[data-testid="stTopNavLink"]', has_text=link).click()
    if url:
        page.wait_for_url(url)
    wait_idle(page, timeout=timeout)


def type_and_enter(field, value: str) -> None:
    """A value typed into `field` (a locator) as a person does: click, select what is there,
    type, Enter."""
    field.click()
    field.press("Control+a")
    field.type(value)
    field.press("Enter")


def shown_value(select) -> str:
    """What a selectbox (a locator) shows: its text and its input's value (a searchable
    selectbox keeps the chosen option in the input)."""
    return select.evaluate("el => el.innerText + ' ' + [...el.querySelectorAll('input')].map(i => i.value).join(' ')")


def fill_sidebar(page, fields: dict[str, str]) -> None:
    """Type values into the sidebar's fields, by label, as a person tabbing through them."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    for label, value in fields.items():
        field = sidebar.get_by_label(label, exact=True)
        field.fill(value)
        field.press("Tab")


def prediction_text(page) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text="Prediction").first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def wait_prediction(page, previous: str | None = None, timeout: float = 15.0) -> str:
    """Wait until the Prediction metric shows a value different from `previous`."""
    deadline = time.time() + timeout
    value = prediction_text(page)
    while value == previous or value == "":
        if time.time() > deadline:
            break
        page.wait_for_timeout(50)
        value = prediction_text(page)
    return value


def touch_stroke(page, points: list[tuple[float, float]], steps: int = 4) -> None:
    """One finger stroke through points in canvas pixels, as a phone sends it (CDP touch
    events; the page's context needs has_touch=True)."""
    box = page.locator(UPPER_CANVAS).bounding_box()
    x0, y0 = box["x"], box["y"]
    cdp = page.context.new_cdp_session(page)

    def send(kind: str, x: float | None = None, y: float | None = None) -> None:
        touch = [] if x is None else [{"x": x0 + x, "y": y0 + y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch})

    send("touchStart", *points[0])
    last = points[0]
    for point in points[1:]:
        for i in range(1, steps + 1):
            send("touchMove", last[0] + (point[0] - last[0]) * i / steps, last[1] + (point[1] - last[1]) * i / steps)
        last = point
    send("touchEnd")
    cdp.detach()


def draw_digit_by_touch(page, digit: int, retries: int = 3) -> None:
    """draw_digit with a finger."""
    draw_digit(page, digit, retries, pen=touch_stroke)


def open_phone(chrome, url: str):
    """The app in a 390×844 phone viewport with touch."""
    context = chrome.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(url)
    wait_idle(page)
    page.wait_for_selector(UPPER_CANVAS, timeout=60_000)
    return page
