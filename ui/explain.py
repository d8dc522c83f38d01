"""The Inside page's computations, cached per model for every session of the server.

st.cache_data keyed on a model key string plus a cheap weight fingerprint, with the
model (or its Predictor) passed as an unhashed `_` argument, so reruns and other
browser sessions reuse the results; a retrained file under the same name gets
fresh ones.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from digitstudio.explain import inspection as ins


def model_fingerprint(model) -> str:
    """Cheap identity of the weights: the output layer's weights change whenever the
    model is retrained, so a file overwritten under the same name gets fresh caches."""
    digest = hashlib.sha1()
    for layer in model.layers:
        digest.update(f"{layer.name}:{type(layer).__name__};".encode())
    weights = model.layers[-1].get_weights() if model.layers else []
    for array in weights:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:12]


def dataset_key(x_test: np.ndarray, y_test: np.ndarray) -> str:
    digest = hashlib.sha1(f"{x_test.shape}{y_test.shape}".encode())
    step = max(1, len(x_test) // 64)
    digest.update(np.ascontiguousarray(x_test[::step]).tobytes())
    digest.update(np.ascontiguousarray(y_test).tobytes())
    return digest.hexdigest()[:12]


@st.cache_data(show_spinner="Testing the model on the test digits (once per model)…", max_entries=16)
def cached_evaluation(_predictor, key: str, test_key: str, _x_test, _y_test) -> ins.Evaluation:
    return ins.evaluate(_predictor, _x_test, _y_test)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_weights(_model, key: str):
    return ins.first_layer_weights(_model)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_explanation(_predictor, key: str, image_key: str, image: np.ndarray):
    """(probabilities, activations, evidence map, ink-would-help map) for one image."""
    predicted, probs = ins.predicted_class(_predictor, image)
    fed = ins.as_image28(image) * _predictor.input_scale  # what the model itself receives (0–255 for raw models)
    activations = ins.layer_activations(_predictor.model, fed)
    # One gradient serves both maps: "gradient_x_input" is the same gradient times the pixels.
    where = ins.saliency(_predictor.model, fed, predicted, method="gradient")
    evidence = where * ins.as_image28(image)
    return probs, [tuple(a) for a in activations], evidence, where


def image_key(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(ins.as_image28(image)).tobytes()).hexdigest()[:16]
