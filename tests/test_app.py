"""The page logic through Streamlit's AppTest (no browser).

AppTest cannot draw on the canvas component, so a drawing is put where the
canvas puts it: session_state["drawing_rgba"] (RGBA pixels, 280×280).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from digitstudio.modeling.presets import PRESETS as PRESETS_FOR_TEST
from digitstudio.modeling.spec import parse_layers as parse_layers_for_test

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SHIPPED = ROOT / "model" / "digit_cnn.keras"

pytestmark = pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped model is missing")


@pytest.fixture(autouse=True)
def isolated_app(tmp_path_factory, mnist_path, monkeypatch):
    """Each test: its own runs folder, MNIST from the local file, fresh shared caches."""
    import streamlit as st

    monkeypatch.setenv("DIGIT_STUDIO_RUNS", str(tmp_path_factory.mktemp("runs")))
    monkeypatch.setenv("MNIST_NPZ", str(mnist_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()


def canvas_from_digit(digit28: np.ndarray, size: int = 200, offset=(40, 40)) -> np.ndarray:
    """An MNIST digit drawn large on a black 280×280 opaque canvas, like the app's canvas."""
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255
    big = np.asarray(Image.fromarray(digit28).resize((size, size), Image.BILINEAR))
    y, x = offset
    for channel in range(3):
        canvas[y:y + size, x:x + size, channel] = big
    return canvas


def new_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120)


def metric_value_or_none(at: AppTest, label: str) -> str | None:
    return next((metric.value for metric in at.metric if metric.label == label), None)


def metric_value(at: AppTest, label: str) -> str:
    for metric in at.metric:
        if metric.label == label:
            return metric.value
    raise AssertionError(f"no metric {label!r}; metrics: {[m.label for m in at.metric]}")


def test_empty_canvas_shows_dash_and_hint():
    at = new_app().run()
    assert not at.exception
    assert metric_value(at, "Prediction") == "–"
    assert any("Draw a digit" in c.value for c in at.caption)


def test_drawn_digits_are_predicted(mnist):
    at = new_app().run()
    hits = 0
    picks = [int(np.flatnonzero(mnist.y_test == d)[0]) for d in (0, 1, 2, 3, 7)]
    for index in picks:
        at.session_state["drawing_rgba"] = canvas_from_digit(mnist.x_test[index])
        at.run()
        assert not at.exception
        hits += metric_value(at, "Prediction") == str(mnist.y_test[index])
    assert hits >= 4, f"only {hits}/5 drawn digits read correctly"


def test_dot_asks_for_a_bigger_drawing():
    at = new_app().run()
    dot = np.zeros((280, 280, 4), np.uint8)
    dot[..., 3] = 255
    dot[138:144, 138:144, :3] = 255
    at.session_state["drawing_rgba"] = dot
    at.run()
    assert metric_value(at, "Prediction") == "–"
    assert any("bigger" in i.value for i in at.info)


def test_clear_button_empties_the_drawing(mnist):
    at = new_app().run()
    at.session_state["drawing_rgba"] = canvas_from_digit(mnist.x_test[0])
    at.run()
    assert metric_value(at, "Prediction") != "–"
    next(b for b in at.button if b.label == "Clear").click().run()
    assert metric_value(at, "Prediction") == "–"


def _set_quick_training(at: AppTest, preset: str = "seed-mlp", images: int = 600, epochs: int = 1):
    at.sidebar.selectbox(key="preset").select(preset).run()
    at.sidebar.number_input(key="f_train_size").set_value(images)
    at.sidebar.number_input(key="f_epochs").set_value(epochs)
    at.sidebar.number_input(key="f_validation_split").set_value(0.1)
    return at


def _train_and_wait(at: AppTest, timeout: float = 120) -> dict:
    from ui.resources import training_manager
    from ui.session import JOB_KEY

    next(b for b in at.sidebar.button if b.label == "Train").click().run()
    assert not at.exception
    job = at.session_state[JOB_KEY]
    snapshot = training_manager().wait(job, timeout=timeout)
    at.run()
    return snapshot


def test_train_from_sidebar_then_draw_with_new_model(mnist):
    at = _set_quick_training(new_app().run())
    snapshot = _train_and_wait(at)
    assert snapshot.state == "completed", snapshot
    assert not at.exception
    assert metric_value(at, "Test accuracy").endswith("%")
    # the curves were drawn and the drawing page now uses the new run
    assert len(at.get("arrow_vega_lite_chart")) >= 2 or at.session_state["active_model"].run_id
    active = at.session_state["active_model"]
    assert active.run_id == snapshot.run_id
    at.session_state["drawing_rgba"] = canvas_from_digit(mnist.x_test[0])
    at.run()
    assert snapshot.run_id in at.caption[0].value  # the page says which model reads drawings
    assert metric_value(at, "Prediction") in list("0123456789")


def test_stop_ends_training_early_and_keeps_the_model():
    from ui.resources import training_manager
    from ui.session import JOB_KEY

    at = _set_quick_training(new_app().run(), preset="seed-dropout", images=20_000, epochs=20)
    next(b for b in at.sidebar.button if b.label == "Train").click().run()
    job = at.session_state[JOB_KEY]
    manager = training_manager()
    deadline = time.time() + 60
    # Stop acts "at the next batch": wait until batches are running (before that it cancels).
    while not manager.snapshot(job).progress.batch and time.time() < deadline:
        time.sleep(0.1)
    at.run()
    stop = [b for b in at.button if b.label == "Stop"]
    assert stop, "no Stop button while training"
    stop[0].click().run()
    snapshot = manager.wait(job, timeout=60)
    assert snapshot.state == "stopped", snapshot.message
    assert len(snapshot.history.get("loss", [])) < 20
    at.run()
    assert at.session_state["active_model"].run_id == snapshot.run_id


def test_invalid_layer_table_shows_error_and_trains_nothing():
    from ui.session import JOB_KEY

    at = new_app().run()
    at.session_state["layer_rows"] = [
        {"layer": "dense", "size": 64, "kernel": None, "activation": "relu", "rate": None},
        {"layer": "conv2d", "size": 8, "kernel": 3, "activation": "relu", "rate": None},
    ]
    at.session_state["layer_table_gen"] = 99
    at.run()
    next(b for b in at.sidebar.button if b.label == "Train").click().run()
    errors = [e.value for e in at.sidebar.error]
    assert errors and "Flatten/Dense" in errors[0]
    assert JOB_KEY not in at.session_state


def test_runs_are_listed_and_survive_a_reload():
    at = _set_quick_training(new_app().run())
    snapshot = _train_and_wait(at)
    at.switch_page("views/runs.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert snapshot.run_id in list(table["run"])
    # a new session (reload) still lists it, from disk
    import streamlit as st

    st.cache_resource.clear()
    again = new_app().run()
    again.switch_page("views/runs.py").run()
    assert snapshot.run_id in list(again.dataframe[0].value["run"])


def test_inside_view_renders_for_shipped_model():
    at = new_app().run()
    at.switch_page("views/inside.py").run()
    assert not at.exception


def test_try_a_test_digit_shows_a_real_mnist_digit_and_its_label(mnist):
    at = new_app().run()
    button = next(b for b in at.button if b.label == "Try a test digit")
    assert not button.disabled
    button.click().run()
    assert not at.exception
    index = at.session_state["test_digit"]
    label = int(mnist.y_test[index])
    assert any(f"labelled **{label}**" in m.value for m in at.markdown)
    assert metric_value(at, "Prediction") in list("0123456789")
    at.switch_page("views/inside.py").run()  # the Inside page explains the same digit
    assert not at.exception
    at.switch_page("views/draw.py").run()
    next(b for b in at.button if b.label == "Clear").click().run()
    assert metric_value(at, "Prediction") == "–" and at.session_state["test_digit"] is None


def test_a_photo_on_the_paper_page_shows_its_steps_and_is_read(mnist):
    from photo_samples import bad_photos, good_photos

    at = new_app().run()
    at.switch_page("views/paper.py").run()
    assert not at.exception and metric_value_or_none(at, "Prediction") is None
    sample = good_photos(mnist.x_test, mnist.y_test, n=1, seed=3)[0]
    at.file_uploader(key="paper_upload").upload("digit.jpg", sample.data).run()
    assert not at.exception
    captions = [c for image in at.get("image") for c in image.captions]
    assert [c[0] for c in captions if c[:1].isdigit()] == ["1", "2", "3", "4"]  # grey, ink, crop, 28×28
    assert metric_value(at, "Prediction") == str(sample.label)
    blank = next(s for s in bad_photos(mnist.x_test, mnist.y_test) if "blank" in s.note)
    at.file_uploader(key="paper_upload").upload("blank.jpg", blank.data).run()
    assert metric_value(at, "Prediction") == "–"
    assert any("Could not find" in w.value for w in at.warning)


def test_an_edited_setup_trains_as_custom_everywhere(mnist):
    from digitstudio.export.share import spec_to_query
    from ui.resources import training_manager
    from ui.session import JOB_KEY

    custom = PRESETS_FOR_TEST["seed-mlp"].spec.replace(layers=parse_layers_for_test("dense:32:relu"), epochs=1,
                                                       train_size=500)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(spec_to_query(custom))
    at.run()
    assert at.sidebar.selectbox(key="preset").value == "custom"
    next(b for b in at.sidebar.button if b.label == "Train").click().run()
    snapshot = training_manager().wait(at.session_state[JOB_KEY], timeout=120)
    assert snapshot.label == "custom" and snapshot.run_id.endswith("-custom")
    at.run()
    assert at.sidebar.selectbox(key="preset").value == "custom"


def test_sidebar_controls_default_to_the_setup_so_a_browser_drawing_them_early_shows_it():
    # A browser that draws a control before its session-state value arrives (a first run
    # cut short by a rerun) shows the control's default: it must be the setup, not the
    # control's minimum (which Check and Train would then send back).
    at = AppTest.from_file(APP, default_timeout=120).run()
    preset = PRESETS_FOR_TEST[at.session_state["preset"]].spec
    epochs, batch = at.sidebar.number_input(key="f_epochs"), at.sidebar.number_input(key="f_batch_size")
    assert (epochs.proto.default, batch.proto.default) == (preset.epochs, preset.batch_size) != (1, 1)
    optimizer = at.sidebar.selectbox(key="f_optimizer")
    assert optimizer.proto.options[optimizer.proto.default] == {"sgd": "SGD", "rmsprop": "RMSprop",
                                                                "adam": "Adam"}[preset.optimizer]
    at.sidebar.selectbox(key="preset").set_value("cnn").run()  # a preset fills the defaults too
    assert at.sidebar.number_input(key="f_epochs").proto.default == PRESETS_FOR_TEST["cnn"].spec.epochs
