"""ModelSpec: JSON and compact round-trips, every validation error, presets and the
parameter arithmetic of layer_plan (checked against Keras's own count)."""

from __future__ import annotations

import json
import random

import pytest

from digitstudio.modeling import spec as S
from digitstudio.modeling.presets import PRESETS
from digitstudio.modeling.spec import (
    ModelSpec,
    SpecError,
    count_params,
    format_layers,
    layer_plan,
    normalize_layer,
    parse_layers,
    validate,
)

MLP = parse_layers("dense:64:relu")


def spec(**changes) -> ModelSpec:
    return ModelSpec(layers=MLP).replace(**changes)


def kinds(plan):
    return [step["type"] for step in plan]


# --- round-trips ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PRESETS))
def test_json_round_trip_presets(name):
    original = PRESETS[name].spec
    again = ModelSpec.from_json(original.to_json())
    assert again == original
    assert again.to_dict() == original.to_dict()
    assert ModelSpec.from_json(original.to_json(indent=2)) == original


def test_json_round_trip_every_field_changed():
    original = ModelSpec(
        layers=parse_layers("conv2d:8:5:tanh,maxpool:3,bn,flatten,dense:33:gelu,dropout:0.35"),
        optimizer="sgd", learning_rate=0.0123, momentum=0.9, lr_schedule="cosine",
        loss="categorical_crossentropy", epochs=7, batch_size=64, validation_split=0.25,
        validate_on_test=True, train_size=1234, augment=True, seed=7,
    )
    text = original.to_json()
    assert ModelSpec.from_json(text) == original
    assert json.loads(text)["train_size"] == 1234
    assert validate(original) == original  # already normal


def test_from_json_accepts_compact_layers_and_aliases():
    loaded = ModelSpec.from_json('{"layers": "conv:16:3,pool,fc:32,drop:0.5"}')
    assert loaded.layers == [
        {"type": "conv2d", "filters": 16, "kernel": 3, "activation": "relu"},
        {"type": "maxpool", "pool": 2},
        {"type": "dense", "units": 32, "activation": "relu"},
        {"type": "dropout", "rate": 0.5},
    ]
    loaded = ModelSpec.from_json('{"layers": [{"type": "Dense", "units": "10"}, {"type": "BN"}]}')
    assert loaded.layers == [{"type": "dense", "units": 10, "activation": "relu"}, {"type": "batchnorm"}]


@pytest.mark.parametrize("text", [
    "",
    "dense:512:relu",
    "dense:128:relu,dropout:0.2",
    "batchnorm,dense:200:sigmoid,dense:100:sigmoid,dense:60:sigmoid,dense:30:sigmoid",
    "conv2d:32:3:relu,batchnorm,maxpool:2,dropout:0.1,flatten,dense:128:relu,dropout:0.3",
    "conv2d:4:7:elu,maxpool:4,conv2d:2:1:linear,dense:5:selu",
    "dropout:0,dense:1:softplus,dropout:0.999",
])
def test_compact_round_trip(text):
    layers = parse_layers(text)
    assert format_layers(layers) == text
    assert parse_layers(format_layers(layers)) == layers
    assert ModelSpec(layers=layers).layers_compact() == text


def test_compact_defaults_and_canonical_form():
    layers = parse_layers(" Dense , conv2d:16 , maxpool , DROP:0.25 , bn ")
    assert layers == [
        {"type": "dense", "units": 128, "activation": "relu"},
        {"type": "conv2d", "filters": 16, "kernel": 3, "activation": "relu"},
        {"type": "maxpool", "pool": 2},
        {"type": "dropout", "rate": 0.25},
        {"type": "batchnorm"},
    ]
    assert format_layers(layers) == "dense:128:relu,conv2d:16:3:relu,maxpool:2,dropout:0.25,batchnorm"


def test_compact_round_trip_keeps_unusual_dropout_rates():
    layers = parse_layers("dropout:0.123456789")
    assert parse_layers(format_layers(layers)) == layers


# --- validation errors ------------------------------------------------------------------

def raises(match: str):
    return pytest.raises(SpecError, match=match)


@pytest.mark.parametrize("text, match", [
    ("lstm:32", r"Layer 1: unknown layer type 'lstm'; use one of dense, dropout"),
    ("dense:64,,dense:32", r"Layer 2: empty entry"),
    ("dense:64:relu:extra", r"Layer 1: too many values in 'dense:64:relu:extra'"),
    ("dense:abc", r"Layer 1 \(dense\) units must be a whole number, not 'abc'"),
    ("dense:12.5", r"units must be a whole number, not '12.5'"),
    ("dropout:lots", r"Layer 1 \(dropout\) rate must be a number, not 'lots'"),
    ("dropout:nan", r"rate must be a finite number"),
    ("conv2d:8:x", r"Layer 1 \(conv2d\) kernel must be a whole number"),
    ("flatten:3", r"too many values"),
])
def test_parse_layers_errors(text, match):
    with raises(match):
        parse_layers(text)


@pytest.mark.parametrize("layer, match", [
    ("dense", r"Layer 3: expected an object"),
    ({"units": 5}, r"Layer 3: unknown layer type ''"),
    ({"type": "attention"}, r"Layer 3: unknown layer type 'attention'"),
    ({"type": "dense", "units": 5, "filters": 3}, r"Layer 3 \(dense\): unknown parameter\(s\) filters"),
    ({"type": "dense", "units": True}, r"units must be a whole number, not True"),
    ({"type": "dropout", "rate": "x"}, r"rate must be a number"),
    ({"type": "dropout", "rate": float("inf")}, r"rate must be a finite number"),
])
def test_normalize_layer_errors(layer, match):
    with raises(match):
        normalize_layer(layer, 2)


def test_normalize_layer_fills_defaults_for_blank_values():
    assert normalize_layer({"type": "dense", "units": None, "activation": ""}) == {
        "type": "dense", "units": 128, "activation": "relu"}
    assert normalize_layer({"type": "dropout", "rate": float("nan")}) == {"type": "dropout", "rate": 0.2}
    assert normalize_layer({"type": "conv2d", "kernel": 5.0, "activation": " TANH "}) == {
        "type": "conv2d", "filters": 32, "kernel": 5, "activation": "tanh"}


@pytest.mark.parametrize("text, match", [
    ("dense:64,conv2d:8", r"Layer 2 \(conv2d\) comes after Flatten/Dense"),
    ("conv2d:8,flatten,conv2d:8", r"Layer 3 \(conv2d\) comes after Flatten/Dense"),
    ("conv2d:8,dense:32,maxpool:2", r"Layer 3 \(maxpool\) comes after Flatten/Dense"),
    ("dropout:1.0", r"Layer 1 \(dropout\): rate must be in \[0, 1\).*not 1"),
    ("dropout:-0.1", r"rate must be in \[0, 1\).*not -0.1"),
    ("dense:0", r"Layer 1 \(dense\): units must be between 1 and 4096, not 0"),
    ("dense:-5", r"units must be between 1 and 4096, not -5"),
    ("dense:5000", r"units must be between 1 and 4096, not 5000"),
    ("conv2d:0", r"filters must be between 1 and 256, not 0"),
    ("conv2d:300", r"filters must be between 1 and 256, not 300"),
    ("conv2d:8:0", r"kernel must be between 1 and 7, not 0"),
    ("conv2d:8:9", r"kernel must be between 1 and 7, not 9"),
    ("maxpool:0", r"pool size must be between 2 and 4, not 0"),
    ("maxpool:1", r"pool size must be between 2 and 4, not 1"),
    ("maxpool:5", r"pool size must be between 2 and 4, not 5"),
    ("dense:64:swish", r"Layer 1 \(dense\): unknown activation 'swish'; use one of relu"),
    ("conv2d:8:3:softmax", r"unknown activation 'softmax'"),
    ("conv2d:8:7,maxpool:4,conv2d:8:7", r"Layer 3 \(conv2d\): a 7×7 kernel does not fit the 5×5 image"),
    ("conv2d:8:7,maxpool:4,maxpool:4,maxpool:4", r"Layer 4 \(maxpool\): pooling a 1×1 image by 4 leaves nothing"),
    ("conv2d:8,flatten,flatten", r"Layer 3 \(flatten\): the data is already flat here"),
    ("dense:64,flatten", r"Layer 2 \(flatten\): the data is already flat here"),
    (",".join(["dense:8"] * 31), r"31 layers is too many; keep it to 30 or fewer"),
])
def test_layer_plan_errors(text, match):
    with raises(match):
        layer_plan(parse_layers(text))
    with raises(match):  # validate reports the same problem
        validate(ModelSpec(layers=parse_layers(text)))


def test_too_many_params_is_refused_with_the_count():
    layers = parse_layers("dense:4096,dense:4096")
    n = count_params(layers)
    assert n > S.MAX_PARAMS
    with raises(rf"This model has {n:,} parameters; the limit here is 5,000,000\. "
                r"Use fewer units/filters or add pooling before Flatten\."):
        validate(ModelSpec(layers=layers))
    with raises(r"parameters; the limit"):
        validate(ModelSpec(layers=parse_layers("conv2d:64:3,dense:256")))  # 43,264 × 256


def test_params_just_under_cap_are_fine():
    # 784·4096 + 4096 + 4096·10 + 10 = 3,256,330
    assert count_params(parse_layers("dense:4096")) == 3_256_330
    validate(ModelSpec(layers=parse_layers("dense:4096")))


@pytest.mark.parametrize("changes, match", [
    (dict(epochs=0), r"Epochs must be between 1 and 200, not 0"),
    (dict(epochs=201), r"Epochs must be between 1 and 200, not 201"),
    (dict(epochs=2.5), r"Epochs must be a whole number, not 2.5"),
    (dict(epochs=True), r"Epochs must be a whole number, not True"),
    (dict(batch_size=0), r"Batch size must be between 1 and 8,192, not 0"),
    (dict(batch_size=10_000), r"Batch size must be between 1 and 8,192"),
    (dict(learning_rate=0), r"Learning rate must be between 1e-06 and 10, not 0"),
    (dict(learning_rate=-0.1), r"Learning rate must be between .*not -0.1"),
    (dict(learning_rate=11), r"Learning rate must be between 1e-06 and 10, not 11"),
    (dict(learning_rate=float("nan")), r"Learning rate must be a finite number, not nan"),
    (dict(learning_rate=float("inf")), r"Learning rate must be a finite number"),
    (dict(learning_rate="fast"), r"Learning rate must be a number, not 'fast'"),
    (dict(momentum=1.0), r"Momentum must be in \[0, 1\), not 1"),
    (dict(momentum=-0.5), r"Momentum must be in \[0, 1\), not -0.5"),
    (dict(validation_split=0.9), r"Validation split must be between 0 and 0.5, not 0.9"),
    (dict(validation_split=-0.1), r"Validation split must be between 0 and 0.5"),
    (dict(train_size=5), r"Training images must be between 10 and 60,000, not 5"),
    (dict(train_size=60_001), r"Training images must be between 10 and 60,000, not 60,001"),
    (dict(train_size=0), r"Training images must be between 10 and 60,000, not 0"),
    (dict(optimizer="adagrad"), r"Unknown optimizer 'adagrad'; use one of sgd, rmsprop, adam"),
    (dict(loss="mse"), r"Unknown loss 'mse'; use one of categorical_crossentropy"),
    (dict(lr_schedule="step"), r"Unknown lr schedule 'step'; use one of constant, cosine"),
    (dict(seed=-1), r"Seed must be in \[0, 2,147,483,648\), not -1"),
    (dict(seed=2**31), r"Seed must be in \[0, 2,147,483,648\)"),
    (dict(augment="yes"), r"Augment must be true or false, not 'yes'"),
    (dict(augment=1), r"Augment must be true or false, not 1"),
    (dict(validate_on_test=None), r"Validate on the test set must be true or false, not None"),
    (dict(layers="dense:64"), r"'layers' must be a list of layer objects"),
])
def test_validate_errors(changes, match):
    with raises(match):
        validate(spec(**changes))


def test_validate_normalises():
    out = validate(spec(optimizer=" RMSprop ", learning_rate="0.01", epochs=3.0, batch_size="32",
                        train_size=100.0, seed="5", layers=[{"type": "FC", "units": "8"}]))
    assert out.optimizer == "rmsprop"
    assert out.learning_rate == 0.01 and isinstance(out.learning_rate, float)
    assert (out.epochs, out.batch_size, out.train_size, out.seed) == (3, 32, 100, 5)
    assert all(isinstance(v, int) for v in (out.epochs, out.batch_size, out.train_size, out.seed))
    assert out.layers == [{"type": "dense", "units": 8, "activation": "relu"}]
    # limits themselves are allowed
    validate(spec(epochs=200, batch_size=1, learning_rate=1e-6, momentum=0.0, validation_split=0.5,
                  train_size=10, seed=0))
    validate(spec(learning_rate=10.0, validation_split=0.0, train_size=60_000))


@pytest.mark.parametrize("text, match", [
    ('{"layers": [], "colour": "red"}', r"Unknown spec field\(s\): colour\."),
    ('{"layers": [], "zeta": 1, "alpha": 2}', r"Unknown spec field\(s\): alpha, zeta\."),
    ('{"epochs": 3}', r"A spec needs a 'layers' list"),
    ('{"layers": 5}', r"'layers' must be a list of layer objects"),
    ('{"layers": [{"type": "pool", "size": 2}]}', r"Layer 1 \(maxpool\): unknown parameter\(s\) size"),
    ('[1, 2]', r"A spec must be a JSON object"),
    ('{"layers": [}', r"Not valid JSON: .*\(line 1\)"),
    ('{"layers": []', r"Not valid JSON"),
    ('', r"Not valid JSON"),
    ("{'layers': []}", r"Not valid JSON: Expecting property name"),
])
def test_from_json_errors(text, match):
    with raises(match):
        ModelSpec.from_json(text)


def test_spec_error_is_a_value_error_with_one_line():
    with pytest.raises(ValueError) as info:
        validate(spec(epochs=0))
    assert "\n" not in str(info.value)


# --- implied layers, presets, parameter counts ------------------------------------------

def test_mlp_starts_with_implied_flatten_and_ends_with_softmax():
    plan = layer_plan(parse_layers("dense:32:relu,dropout:0.5"))
    assert kinds(plan) == ["flatten", "dense", "dropout", "dense"]
    assert plan[0]["implied"] and plan[0]["output_shape"] == (784,)
    assert plan[-1] == {"type": "dense", "units": 10, "activation": "softmax",
                        "output_shape": (10,), "params": 330, "implied": True}
    assert not any(step["implied"] for step in plan[1:-1])


def test_batchnorm_first_in_mlp_normalises_784_pixels():
    plan = layer_plan(parse_layers("batchnorm,dense:10"))
    assert kinds(plan) == ["flatten", "batchnorm", "dense", "dense"]
    assert plan[1]["params"] == 4 * 784


def test_empty_stack_is_plain_softmax_regression():
    plan = layer_plan([])
    assert kinds(plan) == ["flatten", "dense"]
    assert count_params([]) == 7850


def test_cnn_gets_flatten_before_first_dense():
    plan = layer_plan(parse_layers("conv2d:8:3,maxpool:2,dropout:0.1,dense:16,dense:12"))
    assert kinds(plan) == ["conv2d", "maxpool", "dropout", "flatten", "dense", "dense", "dense"]
    assert plan[3]["implied"] and plan[3]["output_shape"] == (13 * 13 * 8,)
    assert [s["output_shape"] for s in plan[:3]] == [(26, 26, 8), (13, 13, 8), (13, 13, 8)]


def test_cnn_with_explicit_flatten_gets_no_second_one():
    plan = layer_plan(parse_layers("conv2d:8:3,flatten,dense:16"))
    assert kinds(plan) == ["conv2d", "flatten", "dense", "dense"]
    assert not plan[1]["implied"]


def test_cnn_without_dense_is_flattened_before_softmax():
    plan = layer_plan(parse_layers("conv2d:4:5,maxpool:2"))
    assert kinds(plan) == ["conv2d", "maxpool", "flatten", "dense"]
    assert plan[2]["implied"] and plan[-1]["params"] == 12 * 12 * 4 * 10 + 10


EXPECTED_PRESETS = {
    # name: (layer kinds actually built, parameter count)
    "seed-mlp": (["flatten", "dense", "dense"], 407_050),
    "seed-deep-sigmoid": (["flatten", "batchnorm", "dense", "dense", "dense", "dense", "dense"], 188_436),
    "seed-dropout": (["flatten", "dense", "dropout", "dense"], 101_770),
    "cnn": (["conv2d", "batchnorm", "conv2d", "batchnorm", "maxpool", "dropout", "conv2d", "batchnorm", "conv2d",
             "batchnorm", "maxpool", "dropout", "flatten", "dense", "dropout", "dense"], 198_250),
}


def test_every_preset_is_checked_here():
    assert set(PRESETS) == set(EXPECTED_PRESETS)


@pytest.mark.parametrize("name", sorted(EXPECTED_PRESETS))
def test_preset_plan_and_params(name):
    preset = PRESETS[name]
    expected_kinds, expected_params = EXPECTED_PRESETS[name]
    assert validate(preset.spec) == preset.spec
    assert kinds(layer_plan(preset.spec.layers)) == expected_kinds
    assert count_params(preset.spec) == expected_params
    assert preset.title and preset.source and preset.reported


def test_preset_settings_match_their_sources():
    mlp = PRESETS["seed-mlp"].spec
    assert (mlp.optimizer, mlp.epochs, mlp.batch_size, mlp.loss) == ("rmsprop", 5, 128, "categorical_crossentropy")
    deep = PRESETS["seed-deep-sigmoid"].spec
    assert (deep.optimizer, deep.learning_rate, deep.batch_size, deep.epochs, deep.validate_on_test) == (
        "sgd", 0.03, 32, 50, True)
    drop = PRESETS["seed-dropout"].spec
    assert (drop.optimizer, drop.epochs, drop.validation_split) == ("adam", 10, 0.2)
    cnn = PRESETS["cnn"].spec
    assert cnn.augment and cnn.lr_schedule == "cosine"


# --- layer_plan arithmetic against Keras ----------------------------------------------------

def random_stack(rng: random.Random) -> list[dict]:
    layers: list[dict] = []
    if rng.random() < 0.6:  # convolutional front
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(["conv2d", "conv2d", "maxpool", "avgpool", "batchnorm", "dropout"])
            if kind == "conv2d":
                layers.append({"type": "conv2d", "filters": rng.randint(1, 12), "kernel": rng.randint(1, 7),
                               "activation": rng.choice(S.ACTIVATIONS)})
            elif kind in ("maxpool", "avgpool"):
                layers.append({"type": kind, "pool": rng.randint(2, 4)})
            elif kind == "batchnorm":
                layers.append({"type": "batchnorm"})
            else:
                layers.append({"type": "dropout", "rate": round(rng.random() * 0.9, 2)})
        if rng.random() < 0.5:
            layers.append({"type": rng.choice(["flatten", "globalavgpool"])})
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(["dense", "dense", "batchnorm", "dropout"])
        if kind == "dense":
            layers.append({"type": "dense", "units": rng.randint(1, 300), "activation": rng.choice(S.ACTIVATIONS)})
        elif kind == "batchnorm":
            layers.append({"type": "batchnorm"})
        else:
            layers.append({"type": "dropout", "rate": 0.5})
    return layers


def random_valid_stacks(count: int, seed: int = 1234) -> list[list[dict]]:
    rng = random.Random(seed)
    stacks: list[list[dict]] = []
    while len(stacks) < count:
        layers = random_stack(rng)
        try:
            if count_params(layers) <= S.MAX_PARAMS:
                stacks.append(layers)
        except SpecError:
            continue
    return stacks


def test_count_params_matches_keras():
    keras = pytest.importorskip("keras")
    from digitstudio.modeling.build import build_model

    cases = [(name, p.spec) for name, p in PRESETS.items()]
    cases += [(format_layers(layers) or "(empty)", ModelSpec(layers=layers))
              for layers in [[]] + random_valid_stacks(25)]
    for label, model_spec in cases:
        model = build_model(model_spec)
        assert model.count_params() == count_params(model_spec), label
        plan = layer_plan(model_spec.layers)
        assert len(model.layers) == len(plan), label
        for layer, step in zip(model.layers, plan):
            assert tuple(layer.output.shape[1:]) == step["output_shape"], (label, step)
            assert layer.count_params() == step["params"], (label, step)
        keras.backend.clear_session()


# --- the two pooling kinds added through the catalogue alone ---------------------------------

def test_average_pooling_kinds_parse_plan_and_round_trip():
    layers = parse_layers("conv:8:3,AveragePooling2D:2,conv2d:16:3,gap")
    assert [layer["type"] for layer in layers] == ["conv2d", "avgpool", "conv2d", "globalavgpool"]
    assert format_layers(layers) == "conv2d:8:3:relu,avgpool:2,conv2d:16:3:relu,globalavgpool"
    plan = layer_plan(layers)
    assert [(step["type"], step["output_shape"]) for step in plan] == [
        ("conv2d", (26, 26, 8)), ("avgpool", (13, 13, 8)), ("conv2d", (11, 11, 16)),
        ("globalavgpool", (16,)), ("dense", (10,))]  # no Flatten: the global pool is already flat
    assert count_params(layers) == (9 * 8 + 8) + (9 * 8 * 16 + 16) + (16 * 10 + 10)
    with raises(r"Layer 2 \(avgpool\): pool size must be between 2 and 4, not 9"):
        layer_plan(parse_layers("conv2d:8,avgpool:9"))
    with raises(r"Layer 2 \(globalavgpool\) comes after Flatten/Dense"):
        layer_plan(parse_layers("dense:8,globalavgpool"))
    with raises(r"Layer 2 \(flatten\): the data is already flat here"):
        layer_plan(parse_layers("globalavgpool,flatten"))


def test_average_pooling_kinds_build_in_keras():
    keras = pytest.importorskip("keras")
    from digitstudio.modeling.build import build_model

    model = build_model(ModelSpec(layers=parse_layers("conv2d:8:3,avgpool:2,globalavgpool,dense:16")))
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "AveragePooling2D", "GlobalAveragePooling2D", "Dense", "Dense"]
    assert model.count_params() == count_params(parse_layers("conv2d:8:3,avgpool:2,globalavgpool,dense:16"))
    keras.backend.clear_session()
