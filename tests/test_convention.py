"""An uploaded model's input convention (0–1 or 0–255 pixels) is found on MNIST test digits,
kept with its run, said in words, and applied when it reads drawings; uploads are scored
on the MNIST test set like trained runs; the spec's input_scale trains on raw pixels."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from digitstudio.drawing.predict import Predictor  # noqa: E402
from digitstudio.explain.convention import InputConvention, detect_convention, pixel_factor  # noqa: E402
from digitstudio.modeling.presets import PRESETS  # noqa: E402
from digitstudio.modeling.spec import ModelSpec, SpecError, parse_layers, validate  # noqa: E402
from digitstudio.storage.model_files import load_model  # noqa: E402
from digitstudio.storage.runs import RunStore  # noqa: E402
from digitstudio.storage.uploads import accept_upload, choose_input_scale  # noqa: E402
from digitstudio.training.data import prepare_data  # noqa: E402
from digitstudio.training.fit import train  # noqa: E402


def trained(small_mnist, factor: float, *layers, input_shape=(784,)):
    """A small model trained on small_mnist with pixels [0, 1] × factor, as a tutorial would."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(input_shape), *layers, keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = small_mnist.x_train.astype(np.float32).reshape(-1, *input_shape) / 255.0 * factor
    model.fit(x, small_mnist.y_train, epochs=3, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def raw_model(small_mnist):
    """The deep sigmoid tutorial's recipe in small: raw 0–255 pixels, flat 784, a first
    BatchNormalization doing the scaling."""
    return trained(small_mnist, 255.0, keras.layers.BatchNormalization(momentum=0.9),
                   keras.layers.Dense(64, activation="sigmoid"))


@pytest.fixture(scope="module")
def raw_h5(raw_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("tutorial") / "mnist_dnn_v1.h5"
    raw_model.save(path)
    return path.read_bytes()


def test_a_raw_pixel_model_is_detected_as_raw(raw_model, mnist):
    convention = detect_convention(raw_model, mnist)
    assert convention.scale == "raw" and convention.layout == "flat 784" and convention.sample_size == 1000
    assert convention.accuracies["raw"] > 0.8 and convention.accuracies["unit"] < 0.3
    assert convention.factor == 255.0
    assert convention.words().startswith("expects raw 0–255 pixels, flat 784 images (")
    assert InputConvention.from_dict(convention.to_dict()) == convention


def test_a_unit_pixel_model_is_detected_as_unit(small_mnist, mnist):
    model = trained(small_mnist, 1.0, keras.layers.Flatten(), input_shape=(28, 28, 1))
    convention = detect_convention(model, mnist)
    assert convention.scale == "unit" and convention.layout == "28×28×1" and convention.factor == 1.0
    assert convention.accuracies["unit"] > 0.8
    assert "expects pixels scaled to 0–1" in convention.words()


def test_without_mnist_the_convention_is_unknown(raw_model):
    convention = detect_convention(raw_model, None)
    assert convention.scale == "unknown" and convention.factor == 1.0 and convention.sample_size == 0
    assert convention.words() == "pixel scale unknown (0–1 or 0–255?), flat 784 images"


def test_a_model_that_reads_nothing_is_unknown_not_guessed(mnist):
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, kernel_initializer="zeros", activation="softmax")])
    convention = detect_convention(model, mnist)
    assert convention.scale == "unknown" and "neither reads MNIST well" in convention.words()


def test_an_uploaded_tutorial_h5_becomes_a_scored_run_that_reads_digits_right(raw_h5, mnist, tmp_path):
    store = RunStore(tmp_path / "runs")
    run = accept_upload(store, "mnist_dnn_v1.h5", raw_h5, mnist)
    assert run["status"] == "uploaded" and run["id"].endswith("upload-mnist-dnn-v1")
    assert run["input_convention"]["scale"] == "raw" and run["input_words"].startswith("expects raw 0–255 pixels")
    assert run["test_accuracy"] > 0.8 and run["test_size"] == 10_000 and len(run["per_class_accuracy"]) == 10
    assert store.get(run["id"])["test_accuracy"] == run["test_accuracy"]  # in run.json, for the runs table
    model = load_model(store.model_path(run["id"]))  # the .h5 was kept re-saved as model.keras
    digits, labels = mnist.x_test[:500].astype(np.float32) / 255.0, mnist.y_test[:500]
    before = (Predictor(model).probabilities(digits).argmax(1) == labels).mean()
    after = (Predictor(model, input_scale=pixel_factor(run)).probabilities(digits).argmax(1) == labels).mean()
    assert before < 0.3 and after > 0.8 and abs(after - run["test_accuracy"]) < 0.05


def test_without_mnist_a_person_chooses_the_scale(raw_h5, mnist, tmp_path):
    store = RunStore(tmp_path / "runs")
    run = accept_upload(store, "mnist_dnn_v1.h5", raw_h5, None)
    assert run["input_convention"]["scale"] == "unknown" and "test_accuracy" not in run
    assert pixel_factor(run) == 1.0
    chosen = choose_input_scale(store, run["id"], "raw", mnist)
    assert chosen["input_convention"]["source"] == "chosen" and pixel_factor(chosen) == 255.0
    assert chosen["input_words"] == "expects raw 0–255 pixels, flat 784 images (chosen by hand)"
    assert chosen["test_accuracy"] > 0.8 and store.get(run["id"]) == chosen
    with pytest.raises(ValueError, match="Unknown input scale 'bright'"):
        choose_input_scale(store, run["id"], "bright")


# --- the spec's input_scale --------------------------------------------------------------------

def test_input_scale_is_validated_and_round_trips():
    spec = validate(ModelSpec(layers=parse_layers("dense:8"), input_scale="raw"))
    assert ModelSpec.from_json(spec.to_json()) == spec
    with pytest.raises(SpecError, match="Unknown input scale 'percent'; use one of unit, raw"):
        validate(spec.replace(input_scale="percent"))
    assert PRESETS["seed-deep-sigmoid"].spec.input_scale == "raw"
    assert pixel_factor({"spec": spec.to_dict()}) == 255.0 and pixel_factor({"spec": {}}) == 1.0


def test_training_with_raw_pixels_feeds_0_to_255_and_reads_digits(small_mnist):
    spec = validate(ModelSpec(layers=parse_layers("batchnorm,dense:32:sigmoid"), epochs=1, batch_size=32,
                              input_scale="raw", validation_split=0.1))
    prepared = prepare_data(spec, small_mnist)
    assert prepared.x_train.max() == 255.0 and prepared.x_test.max() == 255.0
    assert prepare_data(spec.replace(input_scale="unit"), small_mnist).x_train.max() == 1.0
    result = train(spec, small_mnist)
    assert result.status == "completed" and result.test_accuracy > 0.6
    predictor = Predictor(result.model, input_scale=pixel_factor(result.metrics()))
    probs = predictor.probabilities(small_mnist.x_test.astype(np.float32) / 255.0)
    assert abs((probs.argmax(1) == small_mnist.y_test).mean() - result.test_accuracy) < 0.01
