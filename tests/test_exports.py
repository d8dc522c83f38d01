"""Models out: a standalone Keras script that retrains the same model, TensorFlow Lite
bytes whose outputs match Keras, and TensorBoard logs from every training."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import train as cli  # noqa: E402
from digitstudio.export.keras_script import keras_script  # noqa: E402
from digitstudio.export.to_tflite import tflite_bytes  # noqa: E402
from digitstudio.modeling.presets import PRESETS  # noqa: E402
from digitstudio.modeling.spec import ModelSpec, parse_layers, validate  # noqa: E402
from digitstudio.training.fit import train  # noqa: E402

SECTIONS = ["## Setup", "## Prepare the data", "## Build the model", "## Train the model",
            "## Evaluate the trained model"]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_exports_a_readable_standalone_script(preset):
    spec = PRESETS[preset].spec
    code = keras_script(spec, title=PRESETS[preset].title)
    ast.parse(code)
    assert [code.index(s) for s in SECTIONS] == sorted(code.index(s) for s in SECTIONS)
    assert "digitstudio" not in code and "import keras" in code
    assert f"BATCH_SIZE = {spec.batch_size}" in code and f'loss="{spec.loss}"' in code
    assert 'keras.layers.Dense(10, activation="softmax"),  # → 10' in code  # the implied output, shown
    assert ("CosineDecay" in code) == (spec.lr_schedule == "cosine")
    assert ("RandomRotation" in code) == spec.augment
    assert ('astype("float32")\n' in code) == (spec.input_scale == "raw")
    assert max(len(line) for line in code.splitlines()) <= 120


SCRIPT_SPECS = {
    "mlp": ModelSpec(layers=parse_layers("dense:32:relu,dropout:0.2"), epochs=1, batch_size=64,
                     validation_split=0.1, train_size=400, seed=5),
    "cnn-augment": ModelSpec(layers=parse_layers("conv2d:4:3:relu,batchnorm,maxpool:2,dense:16:tanh"),
                             optimizer="sgd", momentum=0.9, learning_rate=0.05, lr_schedule="cosine",
                             loss="categorical_crossentropy", epochs=1, batch_size=32, validate_on_test=True,
                             train_size=300, augment=True, input_scale="raw", seed=1),
}


@pytest.mark.parametrize("name", sorted(SCRIPT_SPECS))
def test_the_script_trains_the_same_model_as_the_app(name, tmp_path, mnist, mnist_path):
    spec = validate(SCRIPT_SPECS[name])
    script = tmp_path / "train_digits.py"
    script.write_text(keras_script(spec, title=name))
    out = tmp_path / "digit_model.keras"
    proc = subprocess.run(
        [sys.executable, str(script), "--data", str(mnist_path), "--out", str(out)],
        cwd=tmp_path, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Test accuracy:" in proc.stdout and "Saved" in proc.stdout
    exported = keras.saving.load_model(out)
    app = train(spec, mnist)
    assert app.status == "completed"
    assert exported.count_params() == app.model.count_params()
    assert [type(layer).__name__ for layer in exported.layers] == [type(layer).__name__ for layer in app.model.layers]
    factor = 255.0 if spec.input_scale == "raw" else 1.0
    x = mnist.x_test[:200].reshape(-1, 28, 28, 1).astype(np.float32) / 255.0 * factor
    # Same seed, same data order, same ops (op determinism on): the same weights.
    np.testing.assert_allclose(exported(x, training=False), app.model(x, training=False), atol=1e-5)


def test_the_script_says_it_needs_only_a_subset_flag_to_run_quickly():
    code = keras_script(PRESETS["seed-mlp"].spec)
    for flag in ("--data", "--train-size", "--epochs", "--out"):
        assert f'"{flag}"' in code


# --- TensorFlow Lite ------------------------------------------------------------------------

def run_tflite(data: bytes, x: np.ndarray) -> np.ndarray:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # TensorFlow's own interpreter, deprecated in favour of LiteRT
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    interpreter = Interpreter(model_content=data)
    given, taken = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(given["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(given["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(taken["index"])


@pytest.mark.parametrize("layers, shape", [
    ("conv2d:8:3:relu,batchnorm,maxpool:2,dropout:0.2,dense:32:relu", (28, 28, 1)),
    ("dense:64:sigmoid", (784,)),
])
def test_tflite_outputs_match_keras_on_100_digits(layers, shape, small_mnist, mnist):
    model = train(ModelSpec(layers=parse_layers(layers), epochs=1, batch_size=64), small_mnist).model
    if shape == (784,):  # an uploaded-style model with a flat input
        model = keras.Sequential([keras.Input(shape), keras.layers.Reshape((28, 28, 1)), *model.layers])
    data = tflite_bytes(model)
    assert data[4:8] == b"TFL3"  # the flatbuffer's file identifier
    x = (mnist.x_test[:100].astype(np.float32) / 255.0).reshape(-1, *shape)
    expected = model(x, training=False).numpy()
    got = run_tflite(data, x)
    assert got.shape == (100, 10)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert (got.argmax(1) == expected.argmax(1)).all()


# --- TensorBoard ------------------------------------------------------------------------------

def scalar_tags(folder) -> dict[str, int]:
    """tag → number of values in the TensorBoard event files under folder."""
    import tensorflow as tf

    counts: dict[str, int] = {}
    for file in folder.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(file)):
            for value in event.summary.value:
                counts[value.tag] = counts.get(value.tag, 0) + 1
    return counts


def test_training_writes_tensorboard_logs(small_mnist, tmp_path):
    spec = ModelSpec(layers=parse_layers("dense:16:relu"), epochs=2, batch_size=128, validation_split=0.1)
    result = train(spec, small_mnist, log_dir=tmp_path / "logs")
    assert result.status == "completed"
    train_tags = scalar_tags(tmp_path / "logs" / "train")
    validation_tags = scalar_tags(tmp_path / "logs" / "validation")
    assert train_tags["epoch_loss"] == 2 and train_tags["epoch_accuracy"] == 2
    assert validation_tags["epoch_accuracy"] == 2


def test_train_py_writes_tensorboard_logs_beside_its_model(tmp_path, mnist_path):
    out = tmp_path / "runs" / "mlp.keras"
    argv = ["--layers", "dense:16:relu", "--train-size", "300", "--epochs", "1", "--data", str(mnist_path),
            "--out", str(out)]
    assert cli.main(argv) == 0
    assert scalar_tags(tmp_path / "runs" / "mlp-logs" / "train")["epoch_accuracy"] == 1


# --- ONNX -------------------------------------------------------------------------------------

def test_onnx_outputs_match_keras_on_100_digits(small_mnist, mnist):
    pytest.importorskip("tf2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    from digitstudio.export.to_onnx import onnx_bytes

    model = train(ModelSpec(layers=parse_layers("conv2d:8:3:relu,batchnorm,maxpool:2,dense:32:relu"), epochs=1,
                            batch_size=64), small_mnist).model
    session = onnxruntime.InferenceSession(onnx_bytes(model))
    x = (mnist.x_test[:100].astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)
    got = session.run(None, {"pixels": x})[0]
    np.testing.assert_allclose(got, model(x, training=False).numpy(), atol=1e-4)


def test_a_saved_run_keeps_its_tensorboard_logs_in_its_folder(small_mnist, tmp_path):
    from digitstudio.storage.runs import RunStore

    store = RunStore(tmp_path / "runs")
    training_logs = tmp_path / "runs" / ".training-logs-job1"  # hidden: not a run while training
    result = train(ModelSpec(layers=parse_layers("dense:8"), epochs=1), small_mnist, log_dir=training_logs)
    run = store.save(result.run_record(), result.model, "with logs", log_dir=training_logs)
    assert scalar_tags(store.resolve(run["id"]) / "logs" / "train")["epoch_loss"] == 1
    assert not training_logs.exists() and [r["id"] for r in store.list()] == [run["id"]]
