"""Counting a model's parameters from its config alone agrees with Keras and with the
spec's own arithmetic, for both file formats and for Keras 2 configs."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from digitstudio.modeling.build import build_model  # noqa: E402
from digitstudio.modeling.presets import PRESETS  # noqa: E402
from digitstudio.modeling.spec import count_params  # noqa: E402
from digitstudio.storage.model_config import ConfigError, layer_output, plan_from_config, read_config  # noqa: E402


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_every_preset_counts_as_keras_and_the_spec_count_it(preset, suffix, tmp_path):
    model = build_model(PRESETS[preset].spec)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    plan = plan_from_config(read_config(path.name, path.read_bytes()))
    assert plan.params == model.count_params() == count_params(PRESETS[preset].spec)
    assert plan.input_shape == (28, 28, 1) and plan.output_shape == (10,)


def test_keras_layer_options_are_counted_as_keras_counts_them():
    model = keras.Sequential([
        keras.Input((784,)), keras.layers.Rescaling(1 / 255), keras.layers.Reshape((28, 28, 1)),
        keras.layers.Conv2D(8, (3, 5), strides=2, padding="same", use_bias=False),
        keras.layers.BatchNormalization(center=False), keras.layers.LeakyReLU(),
        keras.layers.Conv2D(6, 3, dilation_rate=2, groups=2), keras.layers.AveragePooling2D(3, strides=1),
        keras.layers.GlobalAveragePooling2D(), keras.layers.LayerNormalization(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    plan = plan_from_config(keras.saving.serialize_keras_object(model))
    assert plan.params == model.count_params()
    assert [step["output_shape"] for step in plan.layers] == [
        tuple(layer.output.shape[1:]) for layer in model.layers]


def test_a_functional_chain_is_counted_and_a_branching_one_refused():
    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    chain = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Dense(64)(x)))
    assert plan_from_config(keras.saving.serialize_keras_object(chain)).params == chain.count_params()
    branches = keras.Model(inputs, keras.layers.Add()([keras.layers.Dense(10)(x), keras.layers.Dense(10)(x)]))
    with pytest.raises(ConfigError, match="not a single chain of layers"):
        plan_from_config(keras.saving.serialize_keras_object(branches))


def test_a_keras_2_functional_config_is_read():
    layer = lambda name, cls, inbound, **config: {  # noqa: E731
        "class_name": cls, "name": name, "config": {"name": name, **config}, "inbound_nodes": inbound}
    config = {"class_name": "Model", "config": {"name": "m", "layers": [
        layer("input_1", "InputLayer", [], batch_input_shape=[None, 28, 28, 1]),
        layer("flatten", "Flatten", [[["input_1", 0, 0, {}]]]),
        layer("dense", "Dense", [[["flatten", 0, 0, {}]]], units=10),
    ]}}
    assert plan_from_config(config).params == 7850


@pytest.mark.parametrize("config, message", [
    ({"class_name": "Dense"}, "not a Sequential or Functional"),
    ({"class_name": "Sequential", "config": {"layers": []}}, "lists no layers"),
    ({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 10}}]}},
     "declares no input shape"),
    ({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, None, None, 1]}}]}}, "is not fixed"),
])
def test_configs_that_cannot_be_counted_say_why(config, message):
    with pytest.raises(ConfigError, match=message):
        plan_from_config(config)


def test_dense_arithmetic_matches_the_spec():
    assert layer_output("Dense", {"units": 128}, (784,)) == ((128,), 784 * 128 + 128)
    assert layer_output("Dense", {"units": 10, "use_bias": False}, (28, 28)) == ((28, 10), 280)
