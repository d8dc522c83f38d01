"""Uploaded model files are untrusted: only a .keras file within the size limit, that
Keras loads in safe mode (no Python code from the file runs) and that reads 28×28
digits into 10 classes, is kept, and only inside the runs folder."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from digitstudio.drawing.predict import Predictor  # noqa: E402
from digitstudio.storage import model_files as models_module  # noqa: E402
from digitstudio.storage.model_files import (  # noqa: E402
    ModelFileError,
    load_uploaded_model,
)
from digitstudio.storage.runs import RunStore, is_valid_run_id  # noqa: E402


def saved_bytes(folder: Path, name: str, *layers, input_shape=(28, 28, 1)) -> bytes:
    model = keras.Sequential([keras.Input(input_shape), *layers])
    path = folder / f"{name}.keras"
    model.save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Model files as an upload delivers them: bytes. The Lambda's code creates a marker
    file whenever it runs, so a test can tell whether loading ran it."""
    folder = tmp_path_factory.mktemp("uploads")
    marker = folder / "lambda-ran"
    code = eval(f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]")  # noqa: S307 - a test payload
    dense10 = lambda: keras.layers.Dense(10, activation="softmax")  # noqa: E731
    made = {
        "good": saved_bytes(folder, "good", keras.layers.Flatten(), dense10()),
        "flat": saved_bytes(folder, "flat", dense10(), input_shape=(784,)),
        "lambda": saved_bytes(folder, "lambda", keras.layers.Lambda(code), keras.layers.Flatten(), dense10()),
        "rgb_input": saved_bytes(folder, "rgb", keras.layers.Flatten(), dense10(), input_shape=(32, 32, 3)),
        "five_classes": saved_bytes(folder, "five", keras.layers.Flatten(), keras.layers.Dense(5)),
    }
    assert marker.exists()  # building the Lambda model ran its code once…
    marker.unlink()  # …so start clean
    return {**made, "marker": marker}


def test_a_good_model_is_accepted_and_predicts(files):
    model = load_uploaded_model("my model.keras", files["good"])
    probs = Predictor(model).probabilities(np.zeros((28, 28), np.float32))
    assert probs.shape == (10,) and abs(float(probs.sum()) - 1) < 1e-4


def test_a_flat_784_input_model_is_accepted(files):
    assert load_uploaded_model("flat.KERAS", files["flat"]).output_shape[1:] == (10,)


def test_a_lambda_layer_is_refused_and_its_code_never_runs(files):
    with pytest.raises(ModelFileError, match="contains Python code") as refused:
        load_uploaded_model("sneaky.keras", files["lambda"])
    assert "Lambda" in str(refused.value) and "\n" not in str(refused.value)
    assert not files["marker"].exists()


@pytest.mark.parametrize("name, message", [
    ("rgb_input", r"expects input \(32, 32, 3\), not 28×28 digits"),
    ("five_classes", r"outputs \(5,\), not 10 digit classes"),
])
def test_wrong_shapes_are_refused(files, name, message):
    with pytest.raises(ModelFileError, match=message):
        load_uploaded_model(f"{name}.keras", files[name])


def test_an_oversize_file_is_refused_before_it_is_opened(files, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("an oversize file reached Keras")

    monkeypatch.setattr(models_module.keras.saving, "load_model", never)
    with pytest.raises(ModelFileError, match="the limit is"):
        load_uploaded_model("good.keras", files["good"], max_bytes=len(files["good"]) - 1)
    with pytest.raises(ModelFileError, match="21.0 MB; the limit is 20 MB"):
        load_uploaded_model("big.keras", b"\0" * (21 * 2**20))  # the default limit


@pytest.mark.parametrize("name, data", [
    ("garbage.keras", b"this is not a model at all"),
    ("empty.keras", b""),
    ("truncated.keras", "good[:half]"),
    ("no-config.keras", "zip without config.json"),
], ids=["garbage", "empty", "truncated", "no-config"])
def test_files_that_are_not_keras_models_are_refused_in_plain_words(files, name, data):
    if data == "good[:half]":
        data = files["good"][: len(files["good"]) // 2]
    elif data == "zip without config.json":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("readme.txt", "hello")
        data = buffer.getvalue()
    with pytest.raises(ModelFileError, match="is not a Keras model file"):
        load_uploaded_model(name, data)


def test_a_wrong_extension_is_refused_even_with_good_bytes(files):
    for name in ("model.h5", "model.keras.exe", "model", "model.pkl"):
        with pytest.raises(ModelFileError, match="only .keras model files"):
            load_uploaded_model(name, files["good"])


def test_a_zip_bomb_is_refused_before_unpacking(files, monkeypatch):
    monkeypatch.setattr(models_module, "MAX_UNPACKED_BYTES", 100_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\0" * 200_000)  # compresses to a few hundred bytes
    with pytest.raises(ModelFileError, match="unpacks to more than"):
        load_uploaded_model("bomb.keras", buffer.getvalue())


def test_an_accepted_upload_is_kept_as_a_run_inside_the_runs_folder(files, tmp_path):
    store = RunStore(tmp_path / "runs")
    run = store.save_model_file(files["good"], label="upload-../../Evil Name!", info={"params": 7850})
    assert is_valid_run_id(run["id"]) and run["id"].endswith("upload-evil-name")
    assert store.model_path(run["id"]).read_bytes() == files["good"]
    assert store.model_path(run["id"]).resolve().parent.parent == store.root.resolve()
    listed = store.list()
    assert [r["id"] for r in listed] == [run["id"]]
    assert listed[0]["status"] == "uploaded" and listed[0]["has_model"] and listed[0]["params"] == 7850
    assert store.load_model(run["id"]).output_shape[1:] == (10,)
    # nothing else was written: only the runs folder exists under tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


# --- the Runs view's uploader (AppTest) --------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(tmp_path, mnist_path, monkeypatch):
    """The app on the Runs view with its own runs folder and fresh shared caches."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DIGIT_STUDIO_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MNIST_NPZ", str(mnist_path))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("views/runs.py").run()
    yield at
    st.cache_resource.clear()


def test_uploading_a_good_model_makes_it_the_sessions_model(app, files, tmp_path):
    uploader = app.file_uploader(key="model_upload")
    assert uploader.allowed_type == [".keras"]
    uploader.upload("../../My Model.keras", files["good"]).run()
    assert not app.exception
    assert any("passed the checks" in s.value for s in app.success)
    active = app.session_state["active_model"]
    assert active.run_id and active.run_id.endswith("upload-my-model")
    assert Path(active.path).resolve().is_relative_to((tmp_path / "runs").resolve())
    assert active.run_id in app.caption[0].value  # the page names the model reading drawings
    assert active.run_id in list(app.dataframe[0].value["run"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def test_uploading_a_lambda_model_is_refused_and_nothing_changes(app, files, tmp_path):
    app.file_uploader(key="model_upload").upload("sneaky.keras", files["lambda"]).run()
    assert not app.exception
    assert any("contains Python code" in e.value for e in app.error)
    assert "active_model" not in app.session_state or app.session_state["active_model"].run_id is None
    assert not any((tmp_path / "runs").glob("*/model.keras"))
    assert not files["marker"].exists()


def test_uploading_garbage_is_refused_in_plain_words(app):
    app.file_uploader(key="model_upload").upload("notes.keras", b"PK\x03\x04 truncated").run()
    assert not app.exception
    assert any("is not a Keras model file" in e.value for e in app.error)
