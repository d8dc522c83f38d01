"""The "Inside the model" page through Streamlit's AppTest, for small saved models of
every shape the layer editor builds (MLP, CNN, no hidden layer, pooling first).

The app is pointed at a model saved in a temporary folder (session_state
"active_model") and at a 2,000/500-image MNIST subset (MNIST_NPZ), so each run is
quick. A drawing goes where the canvas puts it (testkit.apptest.set_drawing).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitstudio.explain import inspection as ins
from digitstudio.modeling.spec import ModelSpec, parse_layers
from digitstudio.storage.model_files import load_model
from digitstudio.training.fit import train
from testkit.apptest import metric_value, new_app, set_drawing
from testkit.canvas import canvas_from_digit

pytestmark = pytest.mark.usefixtures("isolated_app")
TABS = [":material/bar_chart: How well it does", ":material/neurology: What it learned",
        ":material/draw: Your drawing, explained"]
ARCHITECTURES = {
    "mlp": "dense:48:relu,dropout:0.2,batchnorm",  # 48 neurons: two pages of weight pictures
    "cnn": "conv2d:8:3:relu,batchnorm,maxpool:2,conv2d:8:3:relu,dropout:0.1,flatten,dense:16:relu",
    "softmax": "",
    "pool-first": "maxpool:2,dense:16:relu",
}


@pytest.fixture(scope="module")
def small_npz(small_mnist, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "mnist_small.npz"
    np.savez(path, x_train=small_mnist.x_train, y_train=small_mnist.y_train,
             x_test=small_mnist.x_test, y_test=small_mnist.y_test)
    return path


@pytest.fixture(scope="module")
def model_files(small_mnist, tmp_path_factory) -> dict[str, Path]:
    """Each architecture trained for one epoch on 2,000 images and saved as .keras."""
    folder = tmp_path_factory.mktemp("models")
    files = {}
    for name, layers in ARCHITECTURES.items():
        spec = ModelSpec(layers=parse_layers(layers), epochs=1, batch_size=64, validation_split=0.0)
        result = train(spec, small_mnist)
        assert result.status == "completed", result.message
        files[name] = folder / f"{name}.keras"
        result.model.save(files[name])
    return files


@pytest.fixture
def app_mnist_npz(small_npz) -> Path:
    """The app (conftest.py's isolated_app) reads the 2,000/500-image subset."""
    return small_npz


def open_inside(model_file: Path, drawing: np.ndarray | None = None) -> AppTest:
    from ui.resources import ModelRef

    at = new_app()
    at.session_state["active_model"] = ModelRef(path=str(model_file), label=f"test {model_file.stem}")
    at.switch_page("views/inside.py")
    if drawing is not None:
        set_drawing(at, drawing)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(node, kind: str) -> list[str]:
    return [element.value for element in node.get(kind)]


def tab(at: AppTest, label: str):
    return next(t for t in at.tabs if t.label == label)


# --- every architecture, with and without a drawing ------------------------------------

@pytest.mark.parametrize("drawn", [True, False], ids=["drawn", "nothing-drawn"])
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_section_renders(name, drawn, model_files, small_mnist):
    seven = small_mnist.x_test[int(np.flatnonzero(small_mnist.y_test == 7)[0])]
    at = open_inside(model_files[name], canvas_from_digit(seven) if drawn else None)
    assert [t.label for t in at.tabs] == TABS

    scored = tab(at, TABS[0])
    assert texts(scored, "subheader") == ["How well it does"]
    assert metric_value(scored, "Test accuracy").endswith("%")
    assert re.fullmatch(r"\d+ of 500", metric_value(scored, "Mistakes"))
    assert metric_value(scored, "Hardest digit") in list("0123456789")
    assert len(scored.get("vega_lite_chart")) == 2  # per-digit accuracy, confusion matrix
    assert {s.label for s in scored.selectbox} == {"True digit", "Model said"}
    assert scored.get("image"), "the gallery of mistakes is empty"

    learned = tab(at, TABS[1])
    assert texts(learned, "subheader") == ["What it learned"]
    headings = " ".join(texts(learned, "markdown"))
    if name == "pool-first":
        assert "no Dense or Conv2D layer" in learned.info[0].value
    else:
        assert learned.get("image")
        if name == "cnn":
            assert "First convolution filters" in headings and "Feature maps for this digit" in headings
        elif name == "softmax":
            assert "one weight per pixel for each digit" in headings
        else:
            assert "First-layer neurons" in headings

    explained = tab(at, TABS[2])
    assert texts(explained, "subheader") == ["Your drawing, explained"]
    assert metric_value(explained, "The model says") in list("0123456789")
    assert len(explained.get("image")) >= 3  # the 28×28 input and two saliency maps
    rows = [m for m in texts(explained, "markdown") if re.match(r"\d+ · `", m)]
    assert len(rows) == len(ins._layers(load_model(model_files[name])))  # one row per layer
    assert explained.get("vega_lite_chart"), "no probability chart for the output layer"
    notes = texts(explained, "info")
    assert bool(notes) is not drawn  # a test digit stands in, and says so, only when nothing is drawn


def test_mistakes_and_accuracy_match_an_independent_evaluation(model_files, small_mnist):
    at = open_inside(model_files["mlp"])
    ev = ins.evaluate(load_model(model_files["mlp"]), small_mnist.x_test, small_mnist.y_test)
    assert metric_value(at, "Test accuracy") == f"{ev.accuracy:.1%}"
    assert metric_value(at, "Mistakes") == f"{ev.errors} of 500"


def test_gallery_filters_by_true_and_predicted_digit(model_files, small_mnist):
    at = open_inside(model_files["cnn"])
    ev = ins.evaluate(load_model(model_files["cnn"]), small_mnist.x_test, small_mnist.y_test)
    true, said, count = ev.most_confused(1)[0]

    at.selectbox(key="inside_gallery_true").select(str(true)).run()
    row_mistakes = int(ev.confusion[true].sum() - ev.confusion[true, true])
    assert any(c.startswith(f"{row_mistakes} mistake") for c in texts(at, "caption"))

    at.selectbox(key="inside_gallery_pred").select(str(said)).run()
    assert not at.exception
    assert any(c.startswith(f"{count} mistake") for c in texts(at, "caption"))

    # a pair the model never mixes up: the page says so instead of showing an empty gallery
    never = [(t, p) for t in range(10) for p in range(10) if t != p and ev.confusion[t, p] == 0][0]
    at.selectbox(key="inside_gallery_true").select(str(never[0]))
    at.selectbox(key="inside_gallery_pred").select(str(never[1])).run()
    assert any("No mistakes of this kind" in s.value for s in at.success)


def test_weight_pictures_page_through_the_neurons(model_files):
    at = open_inside(model_files["mlp"])
    learned = tab(at, TABS[1])
    assert learned.get("image")[0].captions[0] == "neuron 1"
    at.select_slider(key="inside_weight_page").set_value("33–48").run()
    assert not at.exception
    captions = tab(at, TABS[1]).get("image")[0].captions
    assert captions[0] == "neuron 33" and captions[-1] == "neuron 48"


def test_results_are_computed_once_per_model_not_on_every_rerun(model_files, small_mnist, monkeypatch):
    calls = {"evaluate": 0, "layer_activations": 0}
    for function in calls:
        original = getattr(ins, function)

        def counted(*args, _original=original, _name=function, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(ins, function, counted)

    drawing = canvas_from_digit(small_mnist.x_test[0])
    at = open_inside(model_files["cnn"], drawing)
    at.run()
    at.selectbox(key="inside_gallery_true").select("3").run()
    assert not at.exception
    assert calls == {"evaluate": 1, "layer_activations": 1}

    set_drawing(at, canvas_from_digit(small_mnist.x_test[1])).run()  # a new drawing
    assert calls == {"evaluate": 1, "layer_activations": 2}
