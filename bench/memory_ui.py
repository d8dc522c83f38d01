"""Memory over consecutive trainings through the app's own session path: does the server's
RSS keep growing when people train from the sidebar and draw with the results?

    python bench/memory_ui.py                   # 20 trainings of the sidebar's default setup
    python bench/memory_ui.py --trainings 5 --train-size 1000

bench/memory.py drives the TrainingManager directly; this one drives the whole app in
Streamlit's AppTest (app.py, one session), as a person at the page does: set the sidebar's
training-set size and epochs, press Train, wait for the job (`ui.resources.training_manager()`),
rerun so the training panel applies the result, press "Draw with this run anyway" when
the verdict kept the old model (so every run's model is loaded, as in the field report:
1,434 → 1,518 MB over 20 trainings), and draw a digit with it. After each training it
prints the process's RSS and how many models `ui.resources.predictor_for` holds
(an `st.cache_resource` bounded by `max_entries`), and how many jobs the queue keeps.

Before the first training the page is opened and a digit drawn with the shipped model, as
a server's first visitor does, so that one-off cost is not booked on training 1. Growth
is reported from the end of training 1 and from the end of training 2 ("steady"), with
the least-squares slope in MB per training.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from digitstudio.data.mnist import ENV_VAR, load_mnist, resolve_source  # noqa: E402
from testkit.canvas import canvas_from_digit  # noqa: E402
from testkit.memory import rss_mb  # noqa: E402

GOAL_MB = 50  # bench/memory.py's goal: at most this much growth over 20 trainings


def cached_models() -> int:
    """Entries in ui.resources.predictor_for's cache (Streamlit's resource caches, read directly)."""
    from streamlit.runtime.caching.cache_resource_api import _resource_caches

    with _resource_caches._caches_lock:
        caches = [cache for per_session in _resource_caches._function_caches.values()
                  for cache in per_session.values() if "predictor_for" in cache.display_name]
    return sum(len(cache._mem_cache) for cache in caches)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"local MNIST .npz (default: ${ENV_VAR})")
    parser.add_argument("--trainings", type=int, default=20, help="trainings through the sidebar (default 20)")
    parser.add_argument("--train-size", type=int, default=2000, help="training images each (default 2000)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs each (default 1)")
    parser.add_argument("--preset", help="the sidebar's preset to train (default: the sidebar's default)")
    args = parser.parse_args(argv)

    data_file = args.data or resolve_source()
    if not data_file or not Path(data_file).is_file():
        raise SystemExit(f"give a local MNIST .npz with --data or ${ENV_VAR}: AppTest cannot wait for a download")
    data = load_mnist(data_file)
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update({ENV_VAR: str(data_file), "DIGIT_STUDIO_RUNS": str(Path(folder) / "runs"),
                           "DIGIT_STUDIO_DATA": str(Path(folder) / "data")})
        for name in ("DIGIT_STUDIO_CLASSROOM", "DIGIT_STUDIO_DATABASE_URL", "DIGIT_STUDIO_MODEL"):
            os.environ.pop(name, None)
        from streamlit.testing.v1 import AppTest

        from ui.resources import training_manager
        from ui.session import JOB_KEY, widget_key

        digit = canvas_from_digit(data.x_test[0])
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
        if args.preset:
            at.sidebar.selectbox(key="preset").set_value(args.preset).run()
        at.session_state["drawing_rgba"] = digit
        at.run()
        from ui.resources import PREDICTORS_KEPT

        print(f"data {data.source}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; "
              f"RSS after the first page and drawing {rss_mb():.0f} MB; preset "
              f"{at.session_state['preset'] if 'preset' in at.session_state else '?'}; "
              f"predictor_for keeps {PREDICTORS_KEPT}", flush=True)
        readings, started = [], time.perf_counter()
        for i in range(1, args.trainings + 1):
            at.sidebar.number_input(key=widget_key("train_size")).set_value(args.train_size)
            at.sidebar.number_input(key=widget_key("epochs")).set_value(args.epochs)
            at.sidebar.number_input(key=widget_key("seed")).set_value(i)
            next(b for b in at.sidebar.button if b.label == "Train").click().run()
            if at.exception:
                raise SystemExit(f"training {i}: {at.exception[0].message}")
            snapshot = training_manager().wait(at.session_state[JOB_KEY], timeout=900)
            if snapshot.state.value != "completed":
                raise SystemExit(f"training {i} ended {snapshot.state.value}: {snapshot.message}")
            at.run()  # the panel sees the finished job, applies it and reruns the page
            at.run()
            anyway = [b for b in at.button if b.label == "Draw with this run anyway"]
            if anyway:
                anyway[0].click().run()
            at.session_state["drawing_rgba"] = digit  # a stroke with the new model
            at.run()
            active = at.session_state["active_model"] if "active_model" in at.session_state else None
            readings.append(rss_mb())
            print(f"training {i:>2}: RSS {readings[-1]:7.1f} MB  models cached {cached_models():>2}  "
                  f"jobs kept {len(training_manager()._jobs)}  "
                  f"test accuracy {snapshot.test_accuracy:.3f}  drawing with "
                  f"{active.run_id if active is not None else 'shipped'}", flush=True)
        training_manager().shutdown(wait=True, timeout=600)
    total = readings[-1] - readings[0]
    start = min(1, len(readings) - 1)
    steady = readings[-1] - readings[start]
    slope = float(np.polyfit(np.arange(len(readings) - start), readings[start:], 1)[0]) \
        if len(readings) - start >= 2 else 0.0
    verdict = "ok" if steady <= GOAL_MB else f"over the {GOAL_MB} MB goal"
    print(f"total {readings[0]:.0f} → {readings[-1]:.0f} MB ({total:+.1f} MB over {len(readings)} trainings); "
          f"steady from training {start + 1}: {steady:+.1f} MB ({verdict}), slope {slope:+.2f} MB/training; "
          f"max {max(readings):.0f} MB; {time.perf_counter() - started:.0f} s; "
          f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
