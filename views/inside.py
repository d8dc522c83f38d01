"""Inside the model: how well the model does, what it learned, and why it read the
current drawing the way it did. Opens at /inside, so a teacher can link straight to it.

The numbers come from digitstudio/explain/inspection.py through ui/explain.py's caches.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitstudio.explain import inspection as ins
from digitstudio.explain.inspection import Evaluation
from digitstudio.modeling.layers import CATALOGUE
from ui.charts import confusion_chart, per_class_chart, probability_chart, strip_chart
from ui.drawing import current_drawing, current_test_digit, read_drawing
from ui.explain import cached_evaluation, cached_explanation, cached_weights, dataset_key, image_key, model_fingerprint
from ui.pictures import digit_pixels, diverging, enlarge, picture_row, robust_scale, saliency_overlay, sequential
from ui.resources import active_predictor, mnist_or_error

GALLERY_LIMIT = 32  # misclassified digits shown at once
WEIGHT_UNITS = 32  # first-layer neurons shown at once
FEATURE_CHANNELS = 16  # channels shown per conv layer
SAMPLE_INDEX = 0  # the test digit explained when nothing is drawn (a 7 in MNIST's test set)
CONVOLUTION = next(kind.name for kind in CATALOGUE.values() if kind.role == "weights" and kind.input == "image")
# Material icons come with Streamlit's own font; emoji would need one on the viewer's machine.
TAB_LABELS = [":material/bar_chart: How well it does", ":material/neurology: What it learned",
              ":material/draw: Your drawing, explained"]


# --- the page --------------------------------------------------------------------------

def render_inside(predictor, model_key: str, image28: np.ndarray | None, test_data: tuple | None) -> None:
    """The whole "Inside the model" section.

    predictor   the session's Predictor (its model: 28×28 in, 10 outputs)
    model_key   a string naming it (e.g. its file path); results are cached under it
    image28     the current drawing as 28×28 (float 0–1 or uint8), or None
    test_data   (x_test uint8 (n, 28, 28), y_test (n,)) or None when MNIST is unavailable
    """
    model = predictor.model
    key = f"{model_key}#{model_fingerprint(model)}"
    tab_scored, tab_learned, tab_explained = st.tabs(TAB_LABELS)

    # The quick tabs are filled first, so they appear while the test set is still being scored.
    image, image_note = image28, None
    if image is None:
        if test_data is not None and len(test_data[0]) > 0:
            index = min(SAMPLE_INDEX, len(test_data[0]) - 1)
            image = test_data[0][index]
            image_note = (f"Draw a digit on the Draw page to see it explained here. Meanwhile, here is "
                          f"a digit from the test set (a {int(test_data[1][index])}).")
        else:
            image_note = "Draw a digit on the Draw page to see it explained here."
    with tab_explained:
        _explained_tab(predictor, key, image, image_note)
    with tab_learned:
        _learned_tab(predictor, key, image)
    with tab_scored:
        _scored_tab(predictor, key, test_data)


# --- How well it does ------------------------------------------------------------------

def _scored_tab(predictor, key: str, test_data: tuple | None) -> None:
    st.subheader("How well it does")
    if test_data is None:
        st.info("The MNIST test set isn't available here, so the model can't be scored. "
                "Set the `MNIST_NPZ` environment variable to a local `mnist.npz` (keys x_train, "
                "y_train, x_test, y_test) and restart the app.")
        return
    x_test, y_test = test_data
    if len(x_test) == 0:
        st.info("The test set is empty.")
        return
    ev = cached_evaluation(predictor, key, dataset_key(x_test, y_test), x_test, y_test)
    st.caption(f"Scored on **{ev.n:,} test digits** the model never saw while training.")

    worst = int(np.nanargmin(ev.per_class_accuracy))
    c1, c2, c3 = st.columns(3)
    c1.metric("Test accuracy", f"{ev.accuracy:.1%}", help="Share of test digits read correctly.")
    c2.metric("Mistakes", f"{ev.errors:,} of {ev.n:,}")
    c3.metric("Hardest digit", f"{worst}", f"{ev.per_class_accuracy[worst]:.1%} right",
              delta_color="off", delta_arrow="off", help="The digit it gets right least often.")

    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Accuracy for each digit**")
        st.altair_chart(per_class_chart(ev), width="stretch")
        st.caption("Each bar: of all test images of that digit, the share the model read correctly. "
                   "The red bar is the hardest digit.")
    with right:
        st.markdown("**Confusion matrix: what it answered for each true digit**")
        st.altair_chart(confusion_chart(ev), width="stretch")
        pairs = ev.most_confused(3)
        mixups = ", ".join(f"a {t} read as {p} ({n}×)" for t, p, n in pairs) or "none"
        st.caption("Rows: the true digit. Columns: the model's answer. The diagonal counts correct "
                   f"answers; every other cell is a kind of mistake. Most common mix-ups: {mixups}.")
    _gallery(ev, x_test)


@st.fragment
def _gallery(ev: Evaluation, x_test: np.ndarray) -> None:
    st.markdown("**Digits it got wrong**")
    options = ["any"] + [str(d) for d in range(10)]
    c1, c2, _ = st.columns([1, 1, 2])
    true_pick = c1.selectbox("True digit", options, key="inside_gallery_true")
    pred_pick = c2.selectbox("Model said", options, key="inside_gallery_pred")
    idx = ev.misclassified
    if true_pick != "any":
        idx = idx[ev.labels[idx] == int(true_pick)]
    if pred_pick != "any":
        idx = idx[ev.predictions[idx] == int(pred_pick)]
    if len(idx) == 0:
        st.success("No mistakes of this kind on the test set.")
        return
    shown = idx[:GALLERY_LIMIT]
    st.caption(f"{len(idx):,} mistake{'s' if len(idx) != 1 else ''} of this kind"
               f"{f'; showing the {len(shown)} it was most sure about' if len(idx) > len(shown) else ''}. "
               "Caption: true digit → model's answer (its confidence).")
    captions = [f"{ev.labels[i]} → {ev.predictions[i]} ({ev.confidences[i]:.0%})" for i in shown]
    # dark ink on white reads better on a projector
    picture_row([255 - x_test[i] for i in shown], captions, 84)


# --- What it learned -------------------------------------------------------------------

def _learned_tab(predictor, key: str, image: np.ndarray | None) -> None:
    st.subheader("What it learned")
    model = predictor.model
    weights = cached_weights(model, key)
    if weights is None:
        st.info("This model has no Dense or Conv2D layer reading the pixels directly, so there "
                "are no first-layer weights to picture.")
        return
    kind, array = weights
    layer = ins.first_weighted_layer(model)
    if kind == "units":
        _dense_weights(model, layer, array)
    else:
        _conv_filters(layer, array)
        _feature_maps(predictor, key, image)


def _colour_key(positive: str, negative: str) -> str:
    return f":red-background[ red ] {positive} · :blue-background[ blue ] {negative} · white: no effect"


def _dense_weights(model, layer, array: np.ndarray) -> None:
    units = len(array)
    layers = ins._layers(model)
    after_bn = any(ins.layer_role(before) == "normalize" for before in layers[: layers.index(layer)])
    bn_note = (" (This model normalises the pixels with BatchNormalization first, so the weights "
               "apply to normalised pixels.)" if after_bn else "")
    if layer is layers[-1]:
        # No hidden layer: the pixels feed the 10 output neurons, one per digit, directly.
        st.markdown(f"**Output layer** · layer `{layer.name}` · one weight per pixel for each digit (28×28)")
        st.caption("This model has no hidden layer: each digit's score is its weights times the pixels. "
                   "Each square is the template the model holds for one digit. "
                   + _colour_key("ink here votes for that digit", "ink here votes against it")
                   + ". Each square is scaled to its own strongest weight." + bn_note)
        picture_row([diverging(array[d]) for d in range(units)], [f"digit {d}" for d in range(units)], 96)
        return
    st.markdown(f"**First-layer neurons** · layer `{layer.name}` · {units} neurons, each with one weight "
                "per pixel (28×28)")
    st.caption("Each square is one neuron's weights laid out like the image. "
               + _colour_key("ink here makes the neuron fire more", "ink here holds it back")
               + ". Each square is scaled to its own strongest weight." + bn_note)
    start = 0
    if units > WEIGHT_UNITS:
        pages = [f"{s + 1}–{min(s + WEIGHT_UNITS, units)}" for s in range(0, units, WEIGHT_UNITS)]
        page = st.select_slider("Neurons shown", pages, key="inside_weight_page")
        start = pages.index(page) * WEIGHT_UNITS
    chosen = range(start, min(start + WEIGHT_UNITS, units))
    picture_row([diverging(array[u]) for u in chosen], [f"neuron {u + 1}" for u in chosen], 96)


def _conv_filters(layer, array: np.ndarray) -> None:
    filters, k = array.shape[0], array.shape[1]
    st.markdown(f"**First convolution filters** · layer `{layer.name}` · {filters} filters of {k}×{k} pixels")
    st.caption(f"Each filter is a small {k}×{k} stencil slid across the image; it responds where the image "
               f"matches its pattern. " + _colour_key("ink wanted", "ink unwanted") + ".")
    scale = robust_scale(array, 100)
    shown = array[:64]
    picture_row([diverging(f, scale) for f in shown], [f"filter {i + 1}" for i in range(len(shown))], 64)


def _feature_maps(predictor, key: str, image: np.ndarray | None) -> None:
    if image is None:
        st.info("Draw a digit on the Draw page to see its feature maps here.")
        return
    _, activations, _, _ = cached_explanation(predictor, key, image_key(image), ins.as_image28(image))
    convs = [a for a in activations if a[1] == CONVOLUTION and a[2].ndim == 3]
    st.markdown("**Feature maps for this digit**")
    st.caption("What each filter found in the digit on the “Your drawing, explained” tab: bright yellow = the "
               "pattern is strongly there, dark = not there. Deeper layers see bigger, more abstract "
               "shapes at lower resolution. All maps of one layer share one colour scale.")
    for number, (name, _, act) in enumerate(convs, start=1):
        h, w, c = act.shape
        shown = min(c, FEATURE_CHANNELS)
        hi = float(act.max()) if act.size else 1.0
        st.markdown(f"Conv layer {number} · `{name}` · {h}×{w} pixels × {c} filters"
                    f"{f' (first {shown} shown)' if shown < c else ''}")
        picture_row([sequential(act[:, :, i], hi) for i in range(shown)],
                    [f"#{i + 1}" for i in range(shown)], 48)


# --- Your drawing, explained -----------------------------------------------------------

def _explained_tab(predictor, key: str, image: np.ndarray | None, note: str | None) -> None:
    st.subheader("Your drawing, explained")
    if note:
        st.info(note, icon="✏️")
    if image is None:
        return
    image = ins.as_image28(image)
    probs, activations, evidence, where = cached_explanation(predictor, key, image_key(image), image)
    guess = int(np.argmax(probs))

    c1, c2, c3, c4 = st.columns([1, 1, 1, 1.6], gap="medium")
    with c1:
        st.image(enlarge(digit_pixels(image), 168), caption="What the model sees (28×28)", width=168)
    with c2:
        st.image(enlarge(saliency_overlay(image, evidence), 168),
                 caption=f"Ink that counted for “{guess}”", width=168)
    with c3:
        st.image(enlarge(diverging(where), 168), caption=f"Where more ink → more “{guess}”", width=168)
    with c4:
        st.metric("The model says", str(guess), f"{probs[guess]:.0%} sure", delta_color="off",
                  delta_arrow="off")
        st.caption(_colour_key(f"pushed it toward {guess}", "pushed it toward other digits") + ". "
                   "Left map: the pixels you drew, weighted by how much they mattered. "
                   f"Right map: red where adding ink would make it *more* sure of {guess}, blue where "
                   "ink would argue against it. (Gradients averaged over noisy copies: SmoothGrad.)")

    st.markdown("**Layer by layer**")
    st.caption("The digit flows top to bottom through the layers. Each strip shows the numbers a layer "
               "passes on; brighter = larger. Dropout is switched off when predicting.")
    for number, (name, kind, act) in enumerate(activations, start=1):
        _activation_row(number, name, kind, act)


def _activation_row(number: int, name: str, kind: str, act: np.ndarray) -> None:
    shape = "×".join(str(d) for d in act.shape)
    entry = CATALOGUE.get(kind)
    label = f"{number} · `{name}` · {entry.title if entry else kind} · output {shape}"
    if kind == "output":
        st.markdown(f"{number} · `{name}` · Output · 10 probabilities, one per digit")
        probability_chart(act, int(np.argmax(act)), height=200)
        return
    if entry is not None and entry.explain:  # same numbers, only passed on or laid out anew
        st.markdown(label)
        st.caption(entry.explain.format(size=act.size))
        return
    st.markdown(label)
    if act.ndim == 3:  # (h, w, channels): a row of channel images
        h, w, c = act.shape
        shown = min(c, FEATURE_CHANNELS)
        values = act[:, :, :shown]
        signed = values.min() < 0
        scale = robust_scale(values, 100)
        pictures = [diverging(values[:, :, i], scale) if signed else sequential(values[:, :, i], scale)
                    for i in range(shown)]
        picture_row(pictures, [f"#{i + 1}" for i in range(shown)], 44)
        st.caption(f"{shown if shown == c else f'First {shown} of {c}'} channels, each a {h}×{w} map.")
    elif act.size == 784:  # still one number per pixel (e.g. BatchNormalization of the input): show the image
        signed = act.min() < 0
        pixels = act.reshape(28, 28)
        picture_row([diverging(pixels) if signed else sequential(pixels)], ["28×28, one value per pixel"], 168)
        st.caption("784 numbers, one per pixel, laid out as the image. "
                   + ("Red: above zero, blue: below." if signed else "Brighter = larger."))
    else:
        st.altair_chart(strip_chart(act.reshape(-1)), width="stretch")
        active = int((act > 0).sum())
        st.caption(f"{act.size} numbers; {active} are above zero. Hover a cell for its value.")


def inside_page() -> None:
    predictor, ref, _ = active_predictor()  # the frame shows any warning about the model
    if predictor is None:
        st.error("No model is loaded.")
        return
    drawing, test_index = current_drawing(), current_test_digit()
    pre = read_drawing(drawing) if drawing is not None else None
    data, data_error = mnist_or_error()
    image = pre.image if pre is not None and pre.status == "ok" else None
    if drawing is None and test_index is not None and data is not None:
        image = data.x_test[test_index]  # the test digit on show on the Draw page
    render_inside(predictor, ref.path, image, (data.x_test, data.y_test) if data is not None else None)
    if data_error:
        st.caption(data_error)


inside_page()
