"""Uploaded model files are untrusted: only a .keras or legacy .h5 file within the size
limit, whose config counts at most spec.MAX_PARAMS parameters (read before Keras builds
anything), that Keras loads in safe mode (no Python code from the file runs) and that
reads 28×28 digits into 10 classes, is kept, and only inside the runs folder."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from digitstudio.drawing.predict import Predictor  # noqa: E402
from digitstudio.storage import model_files as models_module  # noqa: E402
from digitstudio.storage.model_files import ModelFileError, load_model, load_uploaded_model  # noqa: E402
from digitstudio.storage.runs import RunStore, is_valid_run_id  # noqa: E402
from testkit.memory import RSS_READABLE, rss_mb  # noqa: E402
from testkit.model_files import h5_with_dense, keras_with_dense  # noqa: E402

needs_rss = pytest.mark.skipif(not RSS_READABLE, reason="no /proc/self/status here")


def saved_bytes(folder: Path, name: str, *layers, input_shape=(28, 28, 1), suffix=".keras") -> bytes:
    model = keras.Sequential([keras.Input(input_shape), *layers])
    path = folder / f"{name}{suffix}"
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
        "lambda_h5": saved_bytes(folder, "lambda", keras.layers.Lambda(code), keras.layers.Flatten(), dense10(),
                                 suffix=".h5"),
        "good_h5": saved_bytes(folder, "good", keras.layers.Flatten(), keras.layers.Dense(32, activation="relu"),
                               dense10(), suffix=".h5"),
        "rgb_input": saved_bytes(folder, "rgb", keras.layers.Flatten(), dense10(), input_shape=(32, 32, 3)),
        "five_classes": saved_bytes(folder, "five", keras.layers.Flatten(), keras.layers.Dense(5)),
    }
    assert marker.exists()  # building the Lambda model ran its code…
    marker.unlink()  # …so start clean
    return {**made, "marker": marker, "folder": folder}


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

    monkeypatch.setattr(keras.saving, "load_model", never)  # what model_files calls, imported late
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
    for name in ("model.keras.exe", "model", "model.pkl", "model.hdf5"):
        with pytest.raises(ModelFileError, match=r"only .keras \(Keras 3\) or .h5 \(legacy Keras\) model files"):
            load_uploaded_model(name, files["good"])
    with pytest.raises(ModelFileError, match="is not a Keras .h5 model file"):
        load_uploaded_model("renamed.h5", files["good"])  # a .keras zip is no HDF5 file


# --- legacy .h5 ------------------------------------------------------------------------------

def test_a_legacy_h5_model_is_accepted_and_predicts(files):
    model = load_uploaded_model("mnist_dnn_v1.h5", files["good_h5"])
    assert model.count_params() == 784 * 32 + 32 + 32 * 10 + 10
    assert Predictor(model).probabilities(np.zeros((28, 28), np.float32)).shape == (10,)


def test_a_lambda_inside_an_h5_is_refused_and_its_code_never_runs(files):
    with pytest.raises(ModelFileError, match="contains Python code") as refused:
        load_uploaded_model("sneaky.h5", files["lambda_h5"])
    assert "Lambda" in str(refused.value) and "\n" not in str(refused.value)
    assert not files["marker"].exists()


def test_keras_safe_mode_also_refuses_the_h5_lambda_behind_the_config_check(files):
    """Defence in depth: even a file that slipped past the config check (here: loaded
    directly) meets Keras's safe_mode, which refuses the Lambda without running it."""
    path = files["folder"] / "behind.h5"
    path.write_bytes(files["lambda_h5"])
    with pytest.raises(ModelFileError, match="contains Python code"):
        models_module._load_checked(path, "behind.h5")
    assert not files["marker"].exists()


# --- parameters counted before Keras builds anything -----------------------------------------

@needs_rss
def test_an_oversized_model_is_refused_from_its_config_and_memory_stays_put(files, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("an oversized model reached Keras")

    monkeypatch.setattr(keras.saving, "load_model", never)  # what model_files calls, imported late
    uploads = {"big.keras": keras_with_dense(400_000), "big.h5": h5_with_dense(files["folder"], 400_000)}
    assert len(uploads["big.keras"]) < 2000
    for name, data in uploads.items():  # once first: imports (h5py) are not what is measured
        with pytest.raises(ModelFileError, match=r"more than 5,000,000 parameters \(314,000,000 by layer 1"):
            load_uploaded_model(name, data)
    before = rss_mb()
    for _ in range(10):
        for name, data in uploads.items():
            with pytest.raises(ModelFileError, match="the limit here is 5,000,000, as for training"):
                load_uploaded_model(name, data)
    assert rss_mb() - before < 20


def test_a_model_just_under_the_cap_passes_the_config_check(files):
    units = (5_000_000 - 10) // (784 + 1 + 10)  # Dense(units) + Dense(10) stays under the cap
    models_module.check_upload("edge.keras", keras_with_dense(units))
    with pytest.raises(ModelFileError, match="more than 5,000,000"):
        models_module.check_upload("edge.keras", keras_with_dense(units + 1))


def test_a_layer_the_app_cannot_count_is_refused_in_one_line(files):
    data = saved_bytes(files["folder"], "lstm", keras.layers.Reshape((28, 28)), keras.layers.LSTM(8),
                       keras.layers.Dense(10))
    with pytest.raises(ModelFileError, match=r"lstm.keras: layer 'lstm' \(LSTM\) is a layer type this app cannot"):
        load_uploaded_model("lstm.keras", data)


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
    assert load_model(store.model_path(run["id"])).output_shape[1:] == (10,)
    # nothing else was written: only the runs folder exists under tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


# --- the Runs view's uploader (AppTest) --------------------------------------------------

@pytest.fixture
def app(isolated_app):
    """The app on the Runs view with its own runs folder and fresh shared caches."""
    from testkit.apptest import new_app

    at = new_app().run()
    at.switch_page("views/runs.py").run()
    return at


def test_uploading_a_good_model_makes_it_the_sessions_model(app, files, tmp_path):
    uploader = app.file_uploader(key="model_upload")
    assert uploader.allowed_type == [".keras", ".h5"]
    uploader.upload("../../My Model.keras", files["good"]).run()
    assert not app.exception
    assert any("passed the checks" in s.value for s in app.success)
    active = app.session_state["active_model"]
    assert active.run_id and active.run_id.endswith("upload-my-model")
    assert Path(active.path).resolve().is_relative_to((tmp_path / "runs").resolve())
    assert active.label in app.caption[0].value  # the page names the model reading drawings (short name)
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


@needs_rss
def test_oversized_setups_in_a_link_or_pasted_are_refused_before_building(monkeypatch):
    """The same cap holds for a ?spec= link and a pasted spec: spec.validate counts the
    parameters with plain arithmetic and nothing is built (RSS stays put)."""
    import base64

    from digitstudio.export.share import spec_from_query
    from digitstudio.modeling import build
    from digitstudio.modeling.spec import ModelSpec, SpecError, validate

    def never(*args, **kwargs):
        raise AssertionError("an oversized setup reached Keras")

    monkeypatch.setattr(build, "build_model", never)
    monkeypatch.setattr(keras, "Sequential", never)
    deep = {"layers": [{"type": "dense", "units": 4096}] * 5}  # each layer in range; 70,381,578 parameters
    wide = {"layers": [{"type": "dense", "units": 400_000}]}

    def link(setup):
        return {"spec": base64.urlsafe_b64encode(json.dumps(setup).encode()).decode().rstrip("=")}

    refusals = [
        (lambda: spec_from_query(link(deep)), "70,381,578 parameters; the limit here is 5,000,000"),
        (lambda: spec_from_query(link(wide)), "units must be between 1 and 4096, not 400000"),
        (lambda: validate(ModelSpec.from_json(json.dumps(deep))), "70,381,578 parameters"),
    ]
    for refuse, message in refusals:
        with pytest.raises(SpecError, match=message):
            refuse()
    before = rss_mb()
    for _ in range(20):
        for refuse, message in refusals:
            with pytest.raises(SpecError, match=message):
                refuse()
    assert rss_mb() - before < 20


def test_compressed_arrays_that_would_unpack_to_gigabytes_are_refused(files, tmp_path, monkeypatch):
    """An HDF5 dataset can be gzip-compressed: a small file whose weights unpack to 400 MB is
    refused from the arrays' shapes, before Keras reads any of them."""
    import h5py

    def never(*args, **kwargs):
        raise AssertionError("the file reached Keras")

    monkeypatch.setattr(keras.saving, "load_model", never)  # what model_files calls, imported late
    good_h5 = tmp_path / "bomb.h5"
    good_h5.write_bytes(files["good_h5"])
    with h5py.File(good_h5, "a") as file:
        file.create_dataset("extra", shape=(100_000_000,), dtype="float32", compression="gzip", fillvalue=0)
    assert good_h5.stat().st_size < 2 * 2**20
    with pytest.raises(ModelFileError, match=r"bomb.h5 holds 3\d\d MB of arrays once unpacked"):
        load_uploaded_model("bomb.h5", good_h5.read_bytes())

    with zipfile.ZipFile(io.BytesIO(files["good"])) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["model.weights.h5"] = good_h5.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(ModelFileError, match=r"bomb.keras holds 3\d\d MB of arrays"):
        load_uploaded_model("bomb.keras", buffer.getvalue())
