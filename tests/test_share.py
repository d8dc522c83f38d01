"""Shareable links: a spec survives the round trip through query parameters, and a
link with nonsense in it is refused with the validation message (never a crash)."""

from __future__ import annotations

import base64
import json

import pytest

from digitstudio.export.share import (
    MAX_SPEC_CHARS,
    spec_from_query,
    spec_to_query,
)
from digitstudio.modeling.presets import PRESETS, matching_preset
from digitstudio.modeling.spec import ModelSpec, SpecError, parse_layers, validate

CUSTOM = ModelSpec(layers=parse_layers("conv2d:8:3:relu,maxpool:2,dense:32:tanh,dropout:0.25"),
                   optimizer="sgd", learning_rate=0.05, momentum=0.9, epochs=3, batch_size=64,
                   validation_split=0.2, train_size=5000, augment=True, seed=7, lr_schedule="cosine")


def encode(data) -> str:
    """What a hand-made (or hostile) link would carry in ?spec=."""
    text = data if isinstance(data, str) else json.dumps(data)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_a_custom_spec_round_trips_exactly():
    query = spec_to_query(CUSTOM)
    assert set(query) == {"spec"}
    assert all(c.isalnum() or c in "-_" for c in query["spec"])  # nothing to escape in a URL
    assert spec_from_query(query) == validate(CUSTOM)


@pytest.mark.parametrize("name", list(PRESETS))
def test_an_unchanged_preset_becomes_a_short_link(name):
    assert spec_to_query(PRESETS[name].spec) == {"preset": name}
    assert spec_from_query({"preset": name}) == validate(PRESETS[name].spec)
    assert matching_preset(PRESETS[name].spec) == name


def test_a_changed_preset_is_no_longer_the_preset():
    changed = PRESETS["cnn"].spec.replace(epochs=2)
    assert matching_preset(changed) is None
    assert spec_from_query(spec_to_query(changed)).epochs == 2


def test_no_setup_in_the_query_is_none():
    assert spec_from_query({}) is None
    assert spec_from_query({"view": "Runs"}) is None


def test_repeated_parameters_use_the_last_one():
    assert spec_from_query({"preset": ["nonsense", "cnn"]}) == validate(PRESETS["cnn"].spec)


def test_a_hand_written_json_link_with_layer_objects_works():
    spec = spec_from_query({"spec": encode({"layers": [{"type": "fc", "units": 10}], "epochs": 2})})
    assert spec.layers == [{"type": "dense", "units": 10, "activation": "relu"}] and spec.epochs == 2


@pytest.mark.parametrize("fields, message", [
    ({"layers": "dense:64,lstm:3"}, "unknown layer type 'lstm'"),
    ({"layers": "dense:64", "learning_rate": -1}, "Learning rate must be between"),
    ({"layers": "dense:64", "epochs": 1e9}, "Epochs must be between"),
    ({"layers": "dense:64", "epochs": 10 ** 400}, "not valid"),  # too big for a float
    ({"layers": "dense:64", "batch_size": "lots"}, "Batch size must be a whole number"),
    ({"layers": "dense:64", "optimizer": ["adam"]}, "Unknown optimizer"),
    ({"layers": "dense:64", "augment": "yes"}, "Augment must be true or false"),
    ({"layers": "dense:4096,dense:4096"}, "parameters; the limit here is"),
    ({"layers": "dense:64", "momentum": 1.0}, "Momentum must be in"),
    ({"layers": "dense:64", "run_this": "rm -rf /"}, "Unknown spec field(s): run_this"),
    ({"epochs": 2}, "needs a 'layers' list"),
], ids=["unknown-layer", "negative-lr", "epochs-1e9", "huge-int", "text-batch", "list-optimizer",
        "text-bool", "too-many-params", "momentum-one", "unknown-field", "no-layers"])
def test_nonsense_values_are_refused_with_the_validation_message(fields, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        spec_from_query({"spec": encode(fields)})


def test_nan_from_json_is_refused():
    with pytest.raises(SpecError, match="finite"):
        spec_from_query({"spec": encode('{"layers":"dense:8","learning_rate":NaN}')})


@pytest.mark.parametrize("value", [
    "!!!not base64!!!",  # characters outside the alphabet
    "a",  # impossible length
    encode("this is not json"),
    base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode(),  # not UTF-8
    encode("[1, 2, 3]"),  # JSON, but not an object
    encode("[" * 1400 + "]" * 1400),  # deep nesting (within the length cap)
], ids=["alphabet", "length", "not-json", "not-utf8", "not-object", "deep-nesting"])
def test_garbage_is_refused_in_plain_words(value):
    with pytest.raises(SpecError):
        spec_from_query({"spec": value})


def test_huge_strings_are_refused_before_decoding():
    with pytest.raises(SpecError, match="too long"):
        spec_from_query({"spec": "A" * (MAX_SPEC_CHARS + 1)})
    with pytest.raises(SpecError, match="Unknown preset"):
        spec_from_query({"preset": "x" * 100_000})


def test_an_unknown_preset_names_the_real_ones():
    with pytest.raises(SpecError, match="seed-mlp"):
        spec_from_query({"preset": "../../etc/passwd"})
