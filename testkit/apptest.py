"""The app in Streamlit's AppTest (no browser): start it, put a drawing on the canvas, read
a metric, label a drawing.

AppTest cannot draw on the canvas component, so a drawing is put where the canvas puts it:
session_state[ui.drawing.DRAWING_KEY] (RGBA pixels, 280×280). Tests name that key only
through these helpers. The pytest fixture that gives each test its own runs folder and
fresh caches is `isolated_app` in tests/conftest.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from testkit.waiting import WAIT

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def drawing_key() -> str:
    """ui.drawing.DRAWING_KEY. ui.drawing is first imported inside an app run, as the app
    imports it: imported outside one, its canvas component cannot register (no Streamlit
    runtime), and the module then keeps no canvas for the rest of the test process."""
    if "ui.drawing" not in sys.modules:
        at = AppTest.from_string("import ui.drawing", default_timeout=WAIT).run()
        assert not at.exception, [e.value for e in at.exception]
    from ui.drawing import DRAWING_KEY

    return DRAWING_KEY


def new_app(timeout: float = WAIT, **query: str) -> AppTest:
    """The app (not run yet), with `query` as its URL's query parameters."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update(query)
    return at


def set_drawing(at: AppTest, canvas: np.ndarray | None) -> AppTest:
    """Put `canvas` (280×280×4 uint8) where the canvas component puts it; run `at` to read it."""
    at.session_state[drawing_key()] = canvas
    return at


def current_drawing(at: AppTest) -> np.ndarray | None:
    """The drawing the session holds (None once cleared)."""
    return at.session_state[drawing_key()]


def metric_value_or_none(node, label: str) -> str | None:
    """The value of the metric called `label` in `node` (the app, a tab, the sidebar), or None."""
    return next((metric.value for metric in node.metric if metric.label == label), None)


def metric_value(node, label: str) -> str:
    """The value of the metric called `label` in `node`; fails when there is none."""
    value = metric_value_or_none(node, label)
    assert value is not None, f"no metric {label!r}; metrics: {[m.label for m in node.metric]}"
    return value


def label(at: AppTest, canvas: np.ndarray, digit: int) -> AppTest:
    """Draw `canvas` and press `digit` under "It was a" (which saves the drawing)."""
    set_drawing(at, canvas).run()
    control = at.get("button_group")[0]
    assert control.proto.label == "It was a"
    return control.set_value(digit).run()


def not_a_digit(at: AppTest, canvas: np.ndarray) -> AppTest:
    """Draw `canvas` and press "Not a digit" (which saves it as not a digit)."""
    set_drawing(at, canvas).run()
    return next(b for b in at.button if b.label == "Not a digit").click().run()


def train_and_wait(at: AppTest, timeout: float = WAIT):
    """Press the sidebar's Train, wait for the job to end, run the page again; the job's
    last snapshot."""
    from ui.resources import training_manager
    from ui.session import JOB_KEY

    next(b for b in at.sidebar.button if b.label == "Train").click().run()
    assert not at.exception
    snapshot = training_manager().wait(at.session_state[JOB_KEY], timeout=timeout)
    at.run()
    assert not at.exception
    return snapshot
