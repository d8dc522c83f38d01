"""digitstudio/inspect.py against small models trained for one epoch on 2,000 images.

Every expected value is computed another way than inspect.py computes it (Keras's own
predict, the layer's raw kernel, the softmax model's gradient in closed form), so the
tests fail if the logic breaks rather than restating it.
"""

from __future__ import annotations

import numpy as np
import pytest

from digitstudio.explain import inspection as ins
from digitstudio.modeling.spec import ModelSpec, parse_layers
from digitstudio.training.fit import train

# Every kind of layer the layer editor offers, in three small models.
ARCHITECTURES = {
    "mlp": "batchnorm,dense:32:relu,dropout:0.3,batchnorm,dense:16:tanh",
    "cnn": "conv2d:8:3:relu,batchnorm,maxpool:2,conv2d:8:3:relu,dropout:0.2,flatten,dense:16:relu",
    "softmax": "",  # no hidden layer: pixels → 10-way softmax
}


def trained(layers: str, data):
    spec = ModelSpec(layers=parse_layers(layers), epochs=1, batch_size=64, validation_split=0.0)
    result = train(spec, data)
    assert result.status == "completed", result.message
    return result.model


@pytest.fixture(scope="module")
def models(small_mnist):
    return {name: trained(layers, small_mnist) for name, layers in ARCHITECTURES.items()}


@pytest.fixture(scope="module")
def keras_predictions(models, small_mnist):
    """Each model's predicted digits and confidences on the test subset, via model.predict."""
    x = small_mnist.x_test.astype(np.float32)[..., None] / 255.0
    probs = {name: model.predict(x, verbose=0) for name, model in models.items()}
    return {name: (p.argmax(axis=1), p.max(axis=1)) for name, p in probs.items()}


def a_test_digit(data, digit: int) -> np.ndarray:
    return data.x_test[int(np.flatnonzero(data.y_test == digit)[0])]


# --- evaluation ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ARCHITECTURES)
def test_confusion_matrix_sums_to_test_set_and_diagonal_is_the_accuracy(name, models, keras_predictions,
                                                                        small_mnist):
    y = small_mnist.y_test
    ev = ins.evaluate(models[name], small_mnist.x_test, y)
    predicted, _ = keras_predictions[name]

    assert ev.confusion.shape == (10, 10)
    assert ev.confusion.sum() == len(y) == ev.n
    assert np.array_equal(ev.confusion.sum(axis=1), np.bincount(y, minlength=10))  # rows: true digits
    assert np.array_equal(ev.confusion.sum(axis=0), np.bincount(predicted, minlength=10))  # columns: answers
    assert np.trace(ev.confusion) / len(y) == pytest.approx(ev.accuracy)
    assert ev.accuracy == pytest.approx(np.mean(predicted == y))
    assert ev.accuracy > 0.3, "one epoch on 2,000 images should beat guessing (10%) by far"


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_per_class_accuracy_matches_keras(name, models, keras_predictions, small_mnist):
    y = small_mnist.y_test
    ev = ins.evaluate(models[name], small_mnist.x_test, y)
    predicted, _ = keras_predictions[name]
    expected = [np.mean(predicted[y == digit] == digit) for digit in range(10)]
    assert ev.per_class_accuracy == pytest.approx(expected)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_misclassified_are_exactly_the_mistakes_most_confident_first(name, models, keras_predictions,
                                                                     small_mnist):
    y = small_mnist.y_test
    ev = ins.evaluate(models[name], small_mnist.x_test, y)
    predicted, confidence = keras_predictions[name]

    assert sorted(ev.misclassified.tolist()) == np.flatnonzero(predicted != y).tolist()
    assert ev.errors == ev.n - np.trace(ev.confusion)
    assert np.array_equal(ev.predictions, predicted)
    assert ev.confidences == pytest.approx(confidence, abs=1e-5)
    shown = ev.confidences[ev.misclassified]
    assert np.all(np.diff(shown) <= 0), "the gallery should start with the most confident mistakes"
    assert np.all(ev.labels[ev.misclassified] != ev.predictions[ev.misclassified])


def test_evaluation_from_known_probabilities():
    # true 0,0,1,2,2 read as 0,1,1,0,2 (confidences .9 .8 .7 .95 .6)
    y = np.array([0, 0, 1, 2, 2])
    answers = [(0, 0.9), (1, 0.8), (1, 0.7), (0, 0.95), (2, 0.6)]
    probs = np.full((5, 10), 0.0, np.float32)
    for row, (digit, p) in enumerate(answers):
        probs[row] = (1 - p) / 9
        probs[row, digit] = p
    ev = ins.evaluation_from_probabilities(probs, y)

    assert ev.accuracy == pytest.approx(3 / 5)
    assert ev.confusion[0, 0] == 1 and ev.confusion[0, 1] == 1
    assert ev.confusion[1, 1] == 1 and ev.confusion[2, 0] == 1 and ev.confusion[2, 2] == 1
    assert ev.confusion.sum() == 5
    assert ev.per_class_accuracy[:3] == pytest.approx([0.5, 1.0, 0.5])
    assert np.isnan(ev.per_class_accuracy[3:]).all()  # digits absent from the test set
    assert ev.misclassified.tolist() == [3, 1]  # the 95%-sure mistake first
    assert sorted(ev.most_confused(5)) == [(0, 1, 1), (2, 0, 1)]  # only real mix-ups, with counts
    with pytest.raises(ValueError):
        ins.evaluation_from_probabilities(probs[:4], y)


# --- what it learned -------------------------------------------------------------------

def test_dense_weights_are_one_28x28_picture_per_neuron(models):
    model = models["mlp"]
    kind, pictures = ins.first_layer_weights(model)
    dense = next(layer for layer in model.layers if type(layer).__name__ == "Dense")
    kernel = dense.get_weights()[0]  # (784, 32): row = pixel, column = neuron

    assert kind == "units" and pictures.shape == (32, 28, 28)
    # pixel (row 5, column 20) of neuron 7 is the kernel entry for pixel index 5 * 28 + 20
    assert pictures[7, 5, 20] == kernel[5 * 28 + 20, 7]
    assert np.array_equal(pictures[3], kernel[:, 3].reshape(28, 28))


def test_conv_weights_are_the_first_filters(models):
    model = models["cnn"]
    kind, filters = ins.first_layer_weights(model)
    conv = model.layers[0]
    assert type(conv).__name__ == "Conv2D"
    assert kind == "filters" and filters.shape == (8, 3, 3)
    assert np.array_equal(filters[5], conv.get_weights()[0][:, :, 0, 5])


def test_softmax_only_model_shows_one_template_per_digit(models):
    kind, pictures = ins.first_layer_weights(models["softmax"])
    assert kind == "units" and pictures.shape == (10, 28, 28)
    assert ins.first_weighted_layer(models["softmax"]) is ins._layers(models["softmax"])[-1]


def test_no_weights_when_pooling_comes_first():
    from digitstudio.modeling.build import build_model

    model = build_model(ModelSpec(layers=parse_layers("maxpool:2,dense:8:relu")))
    assert ins.first_layer_weights(model) is None  # its Dense sees 14×14, not the 784 pixels


# --- activations -----------------------------------------------------------------------

EXPECTED_KINDS = {
    "mlp": ["flatten", "batchnorm", "dense", "dropout", "batchnorm", "dense", "output"],
    "cnn": ["conv2d", "batchnorm", "maxpool", "conv2d", "dropout", "flatten", "dense", "output"],
    "softmax": ["flatten", "output"],
}


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_one_activation_per_layer_with_the_layers_output_shape(name, models, small_mnist):
    model = models[name]
    image = a_test_digit(small_mnist, 3)
    activations = ins.layer_activations(model, image)

    assert [a.kind for a in activations] == EXPECTED_KINDS[name]
    for act, layer in zip(activations, ins._layers(model), strict=True):
        assert act.name == layer.name
        assert act.activation.shape == tuple(layer.output.shape[1:])
        assert np.isfinite(act.activation).all()
    probs = activations[-1].activation
    expected = model.predict(image[None, :, :, None] / 255.0, verbose=0)[0]
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert probs == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_dropout_is_off_when_explaining(name, models, small_mnist):
    activations = ins.layer_activations(models[name], a_test_digit(small_mnist, 5))
    index = next(i for i, a in enumerate(activations) if a.kind == "dropout")
    assert np.array_equal(activations[index].activation, activations[index - 1].activation)


def test_feature_maps_are_the_conv_outputs(models, small_mnist):
    def feature_maps(model):
        return [a for a in ins.layer_activations(model, a_test_digit(small_mnist, 8)) if a.kind == "conv2d"]

    maps = feature_maps(models["cnn"])
    assert [m.activation.shape for m in maps] == [(26, 26, 8), (11, 11, 8)]
    assert all(m.activation.max() > 0 for m in maps), "a drawn 8 should light up some filter"
    assert feature_maps(models["mlp"]) == []


def test_image_layouts_and_bad_shapes(models, small_mnist):
    digit = a_test_digit(small_mnist, 2)
    as_floats = digit.astype(np.float32) / 255.0
    first = ins.layer_activations(models["cnn"], digit)[0].activation
    for same in (as_floats, as_floats.reshape(784), as_floats.reshape(1, 28, 28, 1)):
        assert np.allclose(ins.layer_activations(models["cnn"], same)[0].activation, first, atol=1e-6)
    with pytest.raises(ValueError):
        ins.as_image28(np.zeros((27, 27)))


# --- saliency --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ARCHITECTURES)
@pytest.mark.parametrize("method", ins.SALIENCY_METHODS)
def test_saliency_has_the_input_shape_and_real_values(name, method, models, small_mnist):
    digit = a_test_digit(small_mnist, 7)
    sal = ins.saliency(models[name], digit, method=method)

    assert sal.shape == (28, 28) and sal.dtype == np.float32
    assert np.isfinite(sal).all()
    assert np.abs(sal).max() > 1e-4 and sal.std() > 0, "an all-flat map explains nothing"
    assert (sal > 0).any() and (sal < 0).any(), "some pixels should argue for, some against"
    if method == "gradient_x_input":
        assert np.all(sal[digit == 0] == 0), "blank pixels carried no ink, so no evidence"


def test_saliency_of_the_softmax_model_matches_its_closed_form(models, small_mnist):
    """For z = W·x + b the score z_c − logsumexp(z_others) has gradient
    W_c − Σ_j softmax(z_others)_j W_j, which needs no TensorFlow to compute."""
    model = models["softmax"]
    weights, bias = ins._layers(model)[-1].get_weights()  # (784, 10), (10,)
    x = a_test_digit(small_mnist, 4).astype(np.float32).reshape(784) / 255.0
    z = x @ weights + bias
    c = int(np.argmax(z))
    others = [j for j in range(10) if j != c]
    share = np.exp(z[others] - z[others].max())
    share /= share.sum()
    expected = (weights[:, c] - weights[:, others] @ share).reshape(28, 28)

    got = ins.saliency(model, x, method="gradient", samples=0)
    assert got == pytest.approx(expected, rel=1e-3, abs=1e-5)
    evidence = ins.saliency(model, x, method="gradient_x_input", samples=0)
    assert evidence == pytest.approx(expected * x.reshape(28, 28), rel=1e-3, abs=1e-5)


def test_removing_the_strongest_evidence_lowers_the_models_confidence(models, small_mnist):
    model = models["mlp"]
    digit = a_test_digit(small_mnist, 0).astype(np.float32) / 255.0
    guess, probs = ins.predicted_class(model, digit)
    evidence = ins.saliency(model, digit, guess)
    ink = int((digit > 0).sum())

    top = np.argsort(evidence, axis=None)[::-1][: ink // 5]  # the fifth of the ink that helped most
    without_top = digit.copy().reshape(-1)
    without_top[top] = 0
    bottom = np.argsort(evidence, axis=None)[: ink // 5]  # the fifth that argued most against
    without_bottom = digit.copy().reshape(-1)
    without_bottom[bottom] = 0

    p_top = ins.predicted_class(model, without_top)[1][guess]
    p_bottom = ins.predicted_class(model, without_bottom)[1][guess]
    assert p_top < probs[guess] and p_top < p_bottom


def test_saliency_depends_on_the_class_asked_about(models, small_mnist):
    digit = a_test_digit(small_mnist, 1)
    for_one = ins.saliency(models["cnn"], digit, 1)
    for_seven = ins.saliency(models["cnn"], digit, 7)
    assert not np.allclose(for_one, for_seven)
    with pytest.raises(ValueError):
        ins.saliency(models["cnn"], digit, 10)
    with pytest.raises(ValueError):
        ins.saliency(models["cnn"], digit, method="occlusion")


def test_saliency_of_a_blank_image_is_zero_and_finite(models):
    sal = ins.saliency(models["cnn"], np.zeros((28, 28), np.uint8))
    assert np.isfinite(sal).all() and not sal.any()
