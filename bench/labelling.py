"""How long does saving a label take, and do 30 sessions labelling at once lose anything?

Each label is DrawingStore.add() as the app calls it: a 280×280 RGBA canvas with a drawn
digit (encoded to PNG), the 28×28 the model saw, the prediction. Measured:

  single   one session labelling --n drawings one after another: per-add latency
  burst    --sessions threads labelling --each drawings at once, started together, no
           pause: the worst case (per-add latency, and whether every row arrived)
  paced    the same, but each session pauses 0.5–1.5 s between labels, as a person
           drawing the next digit does (bench/load.py's sessions draw at a similar pace)

on SQLite (a fresh file, WAL mode) and, when DIGIT_STUDIO_TEST_POSTGRES_URL is set
(eval "$(scripts/start_postgres.sh)"), on PostgreSQL. Goals (issue 11): p95 ≤ 10 ms
single, no row lost and p95 ≤ 300 ms under load.

    python bench/labelling.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digitstudio.drawing.preprocess import preprocess  # noqa: E402
from digitstudio.storage.drawings import DrawingStore, Scope  # noqa: E402
from testkit.personal_styles import STYLES, draw_style  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="labels in the single-session run (default 300)")
    parser.add_argument("--sessions", type=int, default=30, help="concurrent sessions (default 30)")
    parser.add_argument("--each", type=int, default=20, help="labels per concurrent session (default 20)")
    return parser.parse_args(argv)


def drawings(n: int) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(canvas, 28×28, label) for n drawings, cycling through the personal styles."""
    names = list(STYLES)
    out = []
    for k in range(n):
        name = names[k % len(names)]
        canvas = draw_style(name, 1, seed=k)[0]
        out.append((canvas, preprocess(canvas).image, STYLES[name][0]))
    return out


def percentiles(ms: list[float]) -> str:
    values = np.asarray(ms)
    return (f"median {np.median(values):6.2f} ms  p95 {np.percentile(values, 95):6.2f} ms  "
            f"max {values.max():7.2f} ms  (n={len(values)})")


def single(store: DrawingStore, items, n: int) -> list[float]:
    times = []
    for k in range(n):
        canvas, image, label = items[k % len(items)]
        started = time.perf_counter()
        store.add(label=label, image=image, canvas=canvas, session_id="single", predicted=label,
                  confidence=0.9, model_id="digit_cnn")
        times.append((time.perf_counter() - started) * 1000)
    return times


def load(store: DrawingStore, items, sessions: int, each: int, pace: bool) -> tuple[list[float], int, list[str]]:
    barrier = threading.Barrier(sessions)
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def session(n: int) -> None:
        rng = np.random.default_rng(n)
        barrier.wait()
        for k in range(each):
            if pace:
                time.sleep(rng.uniform(0.5, 1.5))
            canvas, image, label = items[(n * each + k) % len(items)]
            started = time.perf_counter()
            try:
                store.add(label=label, image=image, canvas=canvas, session_id=f"load-{n}", classroom=True,
                          predicted=label, confidence=0.9, model_id="digit_cnn")
            except Exception as exc:  # counted and shown: a lost row must be visible
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                times.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, store.count(Scope.class_collection()), errors


def run(name: str, store: DrawingStore, items, args) -> None:
    store.clear_everything()
    single(store, items, 20)  # warm the pool and the schema
    store.clear_everything()
    print(f"{name}: single session, {args.n} labels   {percentiles(single(store, items, args.n))}")
    expected = args.sessions * args.each
    for mode in ("burst", "paced"):
        store.clear_everything()
        times, rows, errors = load(store, items, args.sessions, args.each, pace=mode == "paced")
        lost = "none lost" if rows == expected else f"LOST {expected - rows}"
        print(f"{name}: {mode}, {args.sessions} sessions × {args.each}   {percentiles(times)}   "
              f"rows {rows} of {expected} ({lost})" + (f"; {len(errors)} errors, first: {errors[0]}" if errors else ""))
    store.close()


def main(argv=None) -> int:
    args = parse_args(argv)
    items = drawings(50)
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    unthrottled = dict(rate_limit=10**9)  # one bench session labels faster than any person may
    run("SQLite", DrawingStore(data_dir=tempfile.mkdtemp(prefix="labelling-bench-"), **unthrottled), items, args)
    url = os.environ.get("DIGIT_STUDIO_TEST_POSTGRES_URL", "").strip()
    if url:
        run("PostgreSQL", DrawingStore(url, **unthrottled), items, args)
    else:
        print("PostgreSQL: skipped (set DIGIT_STUDIO_TEST_POSTGRES_URL: eval \"$(scripts/start_postgres.sh)\")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
