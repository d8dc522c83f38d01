"""Cold start and warm join, in a real browser (headless Chromium).

Cold start, --runs times (median reported): the clock starts when `streamlit run app.py`
is launched; the page is opened as soon as the server answers /_stcore/health, and the
bench records, from launch,
- server up: Streamlit's own start (its health endpoint answers; none of the app's code has
  run yet: Streamlit runs app.py only when the first browser connects),
- canvas visible: the drawing canvas is in the page (what the first visitor waits for),
- prediction ready: a drawn 1 reads as a digit (the model and TensorFlow loaded).
Streamlit's start is counted separately, so the app's own share is "canvas − server up".

Warm join, --runs times on the same running server: a new browser context (a student's
phone joining) opens the page → canvas visible.

Goals (issue #28): canvas visible ≤ 6 s from launch; a joining student's canvas ≤ 2 s.

    python bench/cold_start.py --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testkit.browser_support import (  # noqa: E402
    UPPER_CANVAS,
    app_server,
    browser,
    draw_digit,
    prediction_text,
)

GOAL_COLD_S, GOAL_JOIN_S = 6.0, 2.0


def cold_start(chrome, env: dict[str, str]) -> dict[str, float]:
    launched = time.perf_counter()
    with app_server(env=env, timeout=120) as url:
        up = time.perf_counter() - launched
        context = chrome.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(UPPER_CANVAS, timeout=120_000)
        canvas = time.perf_counter() - launched
        draw_digit(page, 1)
        deadline = time.time() + 120
        while prediction_text(page) not in {str(d) for d in range(10)} and time.time() < deadline:
            time.sleep(0.05)
        ready = time.perf_counter() - launched
        context.close()
    return {"server up": up, "canvas visible": canvas, "prediction ready": ready}


def warm_joins(chrome, env: dict[str, str], runs: int) -> list[float]:
    with app_server(env=env, timeout=120) as url:
        first = chrome.new_context()
        page = first.new_page()
        page.goto(url)
        page.wait_for_selector(UPPER_CANVAS, timeout=120_000)  # the server is warm: model loaded
        time.sleep(2)
        joins = []
        for _ in range(runs):
            context = chrome.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector(UPPER_CANVAS, timeout=60_000)
            joins.append(time.perf_counter() - start)
            context.close()
        first.close()
    return joins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts and warm joins (median reported)")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="digit-studio-cold-")
    env = {"DIGIT_STUDIO_RUNS": os.path.join(tmp, "runs"), "DIGIT_STUDIO_DATA": os.path.join(tmp, "data")}
    with browser() as chrome:
        colds = [cold_start(chrome, env) for _ in range(args.runs)]
        joins = warm_joins(chrome, env, args.runs)
    load = os.getloadavg()[0]
    print(f"Cold start, {args.runs} runs, seconds from `streamlit run` (median; min–max):\n")
    print("| step | median | min–max |\n|---|---:|---:|")
    for key in colds[0]:
        values = [c[key] for c in colds]
        print(f"| {key} | {statistics.median(values):.1f} s | {min(values):.1f}–{max(values):.1f} s |")
    app_share = [c["canvas visible"] - c["server up"] for c in colds]
    print(f"| the app's share (canvas − server up) | {statistics.median(app_share):.1f} s | "
          f"{min(app_share):.1f}–{max(app_share):.1f} s |")
    print(f"\nWarm join (a new phone context → canvas visible), {args.runs} runs: median "
          f"{statistics.median(joins):.2f} s, min–max {min(joins):.2f}–{max(joins):.2f} s.")
    print(f"Goals: canvas ≤ {GOAL_COLD_S:.0f} s from launch, a joining student ≤ {GOAL_JOIN_S:.0f} s. "
          f"{os.cpu_count()} CPU cores, load average {load:.1f}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
