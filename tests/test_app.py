"""The page logic through Streamlit's AppTest (no browser).

AppTest cannot draw on the canvas component, so a drawing is put where the
canvas puts it (testkit.apptest.set_drawing: RGBA pixels, 280×280).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitstudio.modeling.presets import PRESETS as PRESETS_FOR_TEST
from digitstudio.modeling.spec import parse_layers as parse_layers_for_test
from testkit.apptest import metric_value, metric_value_or_none, new_app, set_drawing, train_and_wait
from testkit.canvas import canvas_from_digit, dot_canvas
from testkit.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "model" / "digit_cnn.keras"

pytestmark = [pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped model is missing"),
              pytest.mark.usefixtures("isolated_app")]


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
        set_drawing(at, canvas_from_digit(mnist.x_test[index])).run()
        assert not at.exception
        hits += metric_value(at, "Prediction") == str(mnist.y_test[index])
    assert hits >= 4, f"only {hits}/5 drawn digits read correctly"


def test_dot_asks_for_a_bigger_drawing():
    at = new_app().run()
    set_drawing(at, dot_canvas()).run()
    assert metric_value(at, "Prediction") == "–"
    assert any("bigger" in i.value for i in at.info)


def test_clear_button_empties_the_drawing(mnist):
    at = new_app().run()
    set_drawing(at, canvas_from_digit(mnist.x_test[0])).run()
    assert metric_value(at, "Prediction") != "–"
    next(b for b in at.button if b.label == "Clear").click().run()
    assert metric_value(at, "Prediction") == "–"


def _set_quick_training(at: AppTest, preset: str = "seed-mlp", images: int = 600, epochs: int = 1):
    at.sidebar.selectbox(key="preset").select(preset).run()
    at.sidebar.number_input(key="f_train_size").set_value(images)
    at.sidebar.number_input(key="f_epochs").set_value(epochs)
    at.sidebar.number_input(key="f_validation_split").set_value(0.1)
    return at


def test_train_from_sidebar_then_draw_with_new_model(mnist):
    at = _set_quick_training(new_app().run())
    snapshot = train_and_wait(at)
    assert snapshot.state == "completed", snapshot
    assert not at.exception
    assert metric_value(at, "Test accuracy").endswith("%")
    # a quick run reads fewer test digits than the shipped model: the panel says so and keeps the
    # shipped model (training/verdict.py); one click makes the run read the drawings anyway
    assert "active_model" not in at.session_state or at.session_state["active_model"].run_id is None
    assert any("fewer than Shipped CNN" in i.value for i in at.info), [i.value for i in at.info]
    next(b for b in at.button if b.label == "Draw with this run anyway").click().run()
    active = at.session_state["active_model"]
    assert active.run_id == snapshot.run_id
    set_drawing(at, canvas_from_digit(mnist.x_test[0])).run()
    assert active.label in at.caption[0].value  # the page says which model reads drawings (its short name)
    assert metric_value(at, "Prediction") in list("0123456789")


def test_stop_ends_training_early_and_keeps_the_model():
    from ui.resources import training_manager
    from ui.session import JOB_KEY

    at = _set_quick_training(new_app().run(), preset="seed-dropout", images=20_000, epochs=20)
    next(b for b in at.sidebar.button if b.label == "Train").click().run()
    job = at.session_state[JOB_KEY]
    manager = training_manager()
    # Stop acts "at the next batch": wait until batches are running (before that it cancels).
    wait_until(lambda: manager.snapshot(job).progress.batch, timeout=60)
    at.run()
    stop = [b for b in at.button if b.label == "Stop"]
    assert stop, "no Stop button while training"
    stop[0].click().run()
    snapshot = manager.wait(job, timeout=60)
    assert snapshot.state == "stopped", snapshot.message
    assert len(snapshot.history.get("loss", [])) < 20
    at.run()
    # a stopped run keeps its model, but it replaces the model reading drawings only if it is as good
    assert "active_model" not in at.session_state or at.session_state["active_model"].run_id is None
    assert any(b.label == "Draw with this run anyway" for b in at.button)


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
    snapshot = train_and_wait(at)
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
    from testkit.photo_samples import bad_photos, good_photos

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
    at = new_app(**spec_to_query(custom)).run()
    assert at.sidebar.selectbox(key="preset").value == "custom"
    next(b for b in at.sidebar.button if b.label == "Train").click().run()
    snapshot = training_manager().wait(at.session_state[JOB_KEY], timeout=120)
    # the run says what it is (modeling/naming.py), not only "custom"
    assert snapshot.label == "Dense 32 · RMSprop 0.001 · 1 ep · 500 images"
    assert snapshot.run_id.endswith("-dense-32-rmsprop-0-001-1-ep-500-images")
    at.run()
    assert at.sidebar.selectbox(key="preset").value == "custom"


def test_sidebar_controls_default_to_the_setup_so_a_browser_drawing_them_early_shows_it():
    # A browser that draws a control before its session-state value arrives (a first run
    # cut short by a rerun) shows the control's default: it must be the setup, not the
    # control's minimum (which Check and Train would then send back).
    at = new_app().run()
    preset = PRESETS_FOR_TEST[at.session_state["preset"]].spec
    epochs, batch = at.sidebar.number_input(key="f_epochs"), at.sidebar.number_input(key="f_batch_size")
    assert (epochs.proto.default, batch.proto.default) == (preset.epochs, preset.batch_size) != (1, 1)
    optimizer = at.sidebar.selectbox(key="f_optimizer")
    assert optimizer.proto.options[optimizer.proto.default] == {"sgd": "SGD", "rmsprop": "RMSprop",
                                                                "adam": "Adam"}[preset.optimizer]
    at.sidebar.selectbox(key="preset").set_value("cnn").run()  # a preset fills the defaults too
    assert at.sidebar.number_input(key="f_epochs").proto.default == PRESETS_FOR_TEST["cnn"].spec.epochs
