"""Faults the page must survive, through Streamlit's AppTest (no browser): a broken or
missing shipped model, a session model that vanished, a deleted runs folder, no
MNIST, trainings that blow up, shareable links with nonsense in them, and canvases
that hold no digit."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitstudio.export.share import spec_to_query
from digitstudio.modeling.presets import PRESETS
from digitstudio.modeling.spec import ModelSpec, parse_layers
from testkit.apptest import metric_value, new_app, set_drawing, train_and_wait
from testkit.canvas import canvas_from_digit, dot_canvas

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "model" / "digit_cnn.keras"

pytestmark = pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped model is missing")

# SGD at the top of the allowed learning-rate range: NaN within a few batches (see test_jobs.py).
EXPLODING = ModelSpec(layers=parse_layers("dense:128:relu," * 3 + "dense:128:relu"), optimizer="sgd",
                      learning_rate=10.0, momentum=0.9, epochs=1, batch_size=32, train_size=500,
                      validation_split=0.0, seed=42)
QUICK = ModelSpec(layers=parse_layers("dense:16:relu"), epochs=1, train_size=300, validation_split=0.0)


@pytest.fixture(autouse=True)
def runs_root(isolated_app) -> Path:
    """Each test: its own runs folder, MNIST from the local file, the real shipped model,
    fresh shared caches (conftest.py's isolated_app)."""
    return isolated_app


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def is_shipped(at: AppTest) -> bool:
    return "active_model" not in at.session_state or at.session_state["active_model"].run_id is None


# --- start-up faults --------------------------------------------------------------------

@pytest.mark.parametrize("content, reason", [
    (None, "Model file not found"),
    (b"definitely not a keras file", "could not be loaded safely"),
], ids=["missing", "garbage"])
def test_a_broken_shipped_model_is_explained_and_the_app_still_serves(tmp_path, monkeypatch, mnist, content,
                                                                      reason):
    model = tmp_path / "digit_cnn.keras"
    if content is not None:
        model.write_bytes(content)
    monkeypatch.setenv("DIGIT_STUDIO_MODEL", str(model))
    at = new_app().run()
    assert not at.exception
    assert "none loaded" in at.caption[0].value
    assert reason in texts(at.warning) and "DIGIT_STUDIO_MODEL" in texts(at.warning)
    # drawing shows the message instead of a prediction
    set_drawing(at, canvas_from_digit(mnist.x_test[0])).run()
    assert not at.exception
    assert metric_value(at, "Prediction") == "–"
    assert "No model could be loaded" in texts(at.error)
    # the sidebar still works
    next(b for b in at.sidebar.button if b.label == "Check").click().run()
    assert "parameters" in texts(at.sidebar.success)
    # and the other views say it too, without crashing
    for page in ("views/inside.py", "views/runs.py"):
        at.switch_page(page).run()
        assert not at.exception and reason in texts(at.warning)


@pytest.mark.parametrize("damage", ["deleted", "corrupted"])
def test_a_session_model_that_vanished_falls_back_to_the_shipped_one_with_a_warning(runs_root, mnist, damage):
    from digitstudio.storage.runs import RunStore
    from ui.resources import ModelRef

    store = RunStore(runs_root)
    run = store.save_model_file(SHIPPED.read_bytes(), label="mine")
    at = new_app().run()
    at.session_state["active_model"] = ModelRef(path=str(store.model_path(run["id"])), label=run["id"],
                                                run_id=run["id"])
    at.run()
    assert run["id"] in at.caption[0].value and not at.warning
    if damage == "deleted":
        store.delete(run["id"])
    else:
        store.model_path(run["id"]).write_bytes(b"\0" * 100)
    set_drawing(at, canvas_from_digit(mnist.x_test[0])).run()
    assert not at.exception
    assert "Using the shipped model instead" in texts(at.warning) and run["id"] in texts(at.warning)
    assert "Shipped CNN" in at.caption[0].value and is_shipped(at)
    assert metric_value(at, "Prediction") == str(mnist.y_test[0])
    at.run()
    assert not at.warning  # said once; the session now simply uses the shipped model


def test_a_deleted_runs_folder_is_recreated(runs_root):
    from digitstudio.storage.runs import RunStore

    RunStore(runs_root).save_model_file(SHIPPED.read_bytes(), label="old")
    at = new_app().run()
    at.switch_page("views/runs.py").run()
    assert len(at.dataframe[0].value) == 1
    shutil.rmtree(runs_root)
    at.run()
    assert not at.exception
    assert "No runs yet" in texts(at.info) and runs_root.is_dir()
    at.file_uploader(key="model_upload").upload("again.keras", SHIPPED.read_bytes()).run()
    assert not at.exception and len(at.dataframe[0].value) == 1


# --- no dataset ------------------------------------------------------------------------

def test_missing_mnist_is_explained_training_is_off_and_drawing_works(tmp_path, monkeypatch, mnist):
    from ui.session import JOB_KEY

    monkeypatch.setenv("MNIST_NPZ", str(tmp_path / "nowhere" / "mnist.npz"))
    at = new_app().run()
    assert not at.exception
    warning = texts(at.sidebar.warning)
    assert "MNIST_NPZ" in warning and "nowhere" in warning and "train.py --data" in warning
    assert next(b for b in at.sidebar.button if b.label == "Train").disabled  # it could only fail
    next(b for b in at.sidebar.button if b.label == "Check").click().run()  # checking still works
    assert "parameters" in texts(at.sidebar.success) and JOB_KEY not in at.session_state
    set_drawing(at, canvas_from_digit(mnist.x_test[0])).run()
    assert metric_value(at, "Prediction") == str(mnist.y_test[0])


def test_offline_without_mnist_the_training_fails_with_how_to_fix_it(monkeypatch):
    import keras

    def offline():
        raise OSError("Temporary failure in name resolution")

    monkeypatch.delenv("MNIST_NPZ")
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    at = new_app(spec=spec_to_query(QUICK)["spec"]).run()  # the fixture cleared the cached MNIST
    snapshot = train_and_wait(at)
    assert snapshot.state == "failed"
    error = texts(at.error)
    assert "MNIST_NPZ" in error and "train.py --data" in error and "still reads your drawings" in error
    assert is_shipped(at)


# --- training faults --------------------------------------------------------------------

def test_nan_loss_is_explained_and_the_previous_model_stays(runs_root):
    from digitstudio.storage.runs import RunStore

    at = new_app(spec=spec_to_query(EXPLODING)["spec"]).run()
    assert at.session_state["f_optimizer"] == "sgd" and at.session_state["f_learning_rate"] == 10.0
    snapshot = train_and_wait(at)
    assert snapshot.state == "diverged", snapshot
    error = texts(at.error)
    assert "NaN" in error and "smaller learning rate" in error and "still reads your drawings" in error
    assert is_shipped(at) and "Shipped CNN" in at.caption[0].value
    assert RunStore(runs_root).get(snapshot.run_id)["status"] == "diverged"


def test_an_exception_inside_training_is_explained_and_the_previous_model_stays(runs_root, monkeypatch):
    from digitstudio.modeling import build as models
    from digitstudio.storage.runs import RunStore

    def broken(*args, **kwargs):
        raise RuntimeError("the graph caught fire")

    monkeypatch.setattr(models, "build_model", broken)
    at = new_app(spec=spec_to_query(QUICK)["spec"]).run()
    snapshot = train_and_wait(at)
    assert snapshot.state == "failed"
    error = texts(at.error)
    assert "Training failed: RuntimeError: the graph caught fire" in error and "still reads your drawings" in error
    assert is_shipped(at)
    assert RunStore(runs_root).get(snapshot.run_id)["status"] == "failed"


# --- shareable links --------------------------------------------------------------------

CUSTOM = ModelSpec(layers=parse_layers("conv2d:8:3:relu,maxpool:2,dense:32:tanh"), optimizer="sgd",
                   learning_rate=0.05, momentum=0.5, epochs=3, batch_size=64, train_size=5000, seed=7)


def test_a_preset_link_fills_the_controls():
    at = new_app(preset="cnn").run()
    assert not at.exception and not at.sidebar.error
    assert at.sidebar.selectbox(key="preset").value == "cnn"
    assert at.sidebar.number_input(key="f_epochs").value == PRESETS["cnn"].spec.epochs
    assert at.session_state["layer_rows"][0]["layer"] == "conv2d"


def test_a_spec_link_fills_the_controls_once_per_session():
    at = new_app(**spec_to_query(CUSTOM)).run()
    assert not at.exception and not at.sidebar.error
    assert "Filled in from the link" in texts(at.sidebar.caption)
    s = at.session_state
    keys = ("optimizer", "learning_rate", "momentum", "epochs", "batch_size", "train_size", "seed")
    assert tuple(s[f"f_{key}"] for key in keys) \
        == ("sgd", 0.05, 0.5, 3, 64, 5000, 7)
    assert [row["layer"] for row in s["layer_rows"]] == ["conv2d", "maxpool", "dense"]
    # the user changes something; later reruns keep it (the link is not applied again)
    at.sidebar.number_input(key="f_epochs").set_value(9)
    next(b for b in at.sidebar.button if b.label == "Check").click().run()
    at.run()
    assert at.session_state["f_epochs"] == 9


@pytest.mark.parametrize("query, message", [
    ({"spec": "!!!garbage!!!"}, "garbled"),
    ({"spec": "eyJsYXllcnMiOiJsc3RtOjMifQ"}, "unknown layer type 'lstm'"),  # {"layers":"lstm:3"}
    ({"spec": "eyJsYXllcnMiOiJkZW5zZTo4IiwibGVhcm5pbmdfcmF0ZSI6LTF9"},  # {"layers":"dense:8","learning_rate":-1}
     "Learning rate must be between"),
    ({"spec": "eyJsYXllcnMiOiJkZW5zZTo4IiwiZXBvY2hzIjoxZTl9"}, "Epochs must be between"),  # "epochs":1e9
    ({"spec": "A" * 100_000}, "too long"),
    ({"preset": "x" * 10_000}, "Unknown preset"),
], ids=["garbage", "unknown-layer", "negative-lr", "epochs-1e9", "huge-spec", "huge-preset"])
def test_a_bad_link_is_refused_with_its_reason_and_the_defaults_stay(query, message):
    at = new_app(**query).run()
    assert not at.exception
    error = texts(at.sidebar.error)
    assert "link's setup was not used" in error and message in error
    assert at.sidebar.selectbox(key="preset").value == "seed-mlp"
    assert at.session_state["f_optimizer"] == "rmsprop" and at.session_state["f_epochs"] == 5
    # Check moves on: the message goes, the defaults are what is checked
    next(b for b in at.sidebar.button if b.label == "Check").click().run()
    assert not at.sidebar.error and "parameters" in texts(at.sidebar.success)


def test_the_share_box_shows_a_link_that_reproduces_the_setup():
    from urllib.parse import parse_qs, urlsplit

    from digitstudio.export.share import spec_from_query

    at = new_app().run()
    assert "?preset=seed-mlp" in at.sidebar.code[0].value
    at.sidebar.number_input(key="f_epochs").set_value(2)
    next(b for b in at.sidebar.button if b.label == "Check").click().run()
    link = at.sidebar.code[-1].value
    spec = spec_from_query({k: v[-1] for k, v in parse_qs(urlsplit(link).query).items()})
    assert spec.epochs == 2 and spec.optimizer == "rmsprop"


@pytest.mark.parametrize("query", [{"preset": "cnn"}, {"spec": "%%%"}, {"spec": "eyJsYXllcnMiOiJsc3RtOjMifQ"}])
def test_classroom_mode_reads_links_safely_and_read_only(monkeypatch, query):
    monkeypatch.setenv("DIGIT_STUDIO_CLASSROOM", "1")
    at = new_app(**query).run()
    assert not at.exception
    assert not [b for b in at.sidebar.button if b.label == "Train"]
    if "preset" in query:
        assert "teacher's setup" in texts(at.sidebar.markdown)
        assert "--preset cnn" in at.sidebar.code[0].value
    else:
        assert "link's setup was not used" in texts(at.sidebar.error)


def test_classroom_mode_lets_students_use_runs_but_not_delete_or_upload(monkeypatch, runs_root):
    from digitstudio.storage.runs import RunStore

    run_id = RunStore(runs_root).save_model_file(SHIPPED.read_bytes(), label="teacher")["id"]
    at = new_app().run()
    at.switch_page("views/runs.py").run()
    labels = [b.label for b in at.button]
    assert "Delete" in labels and "Use for drawing" in labels and at.get("file_uploader")  # checks below are real
    monkeypatch.setenv("DIGIT_STUDIO_CLASSROOM", "1")
    at = new_app().run()
    at.switch_page("views/runs.py").run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert "Use for drawing" in labels and "Delete" not in labels
    assert not at.get("file_uploader")
    assert (runs_root / run_id).is_dir()


# --- canvases with no digit on them -----------------------------------------------------

def _filled_with_ink_in_alpha() -> np.ndarray:
    canvas = np.full((280, 280, 4), 255, np.uint8)
    canvas[:20, :20, 3] = 0  # a corner left undrawn
    return canvas


@pytest.mark.parametrize("canvas", [
    np.zeros((280, 280, 4), np.uint8),  # transparent, nothing drawn
    np.dstack([np.zeros((280, 280, 3), np.uint8), np.full((280, 280), 255, np.uint8)]),  # opaque black
    np.full((280, 280, 4), 255, np.uint8),  # filled: opaque white all over
    _filled_with_ink_in_alpha(),  # filled: ink in the alpha channel nearly everywhere
    dot_canvas(transparent=True),
    dot_canvas(transparent=False),
], ids=["empty-transparent", "empty-opaque", "filled-opaque", "filled-alpha", "dot-transparent", "dot-opaque"])
def test_canvases_without_a_digit_show_no_prediction(canvas):
    at = new_app().run()
    set_drawing(at, canvas).run()
    assert not at.exception
    assert metric_value(at, "Prediction") == "–"
    assert not at.get("progress")  # no confidence bar: nothing is claimed


def test_transparent_and_opaque_canvases_read_the_same_digit(mnist):
    at = new_app().run()
    for index in (0, 1, 2):
        digit = str(mnist.y_test[index])
        for transparent in (False, True):
            set_drawing(at, canvas_from_digit(mnist.x_test[index], transparent)).run()
            assert metric_value(at, "Prediction") == digit, (index, transparent)
