"""The "Inside the model" page: how well the model does, what it learned, and why it
read the current drawing the way it did.

Streamlit glue only; the numbers come from digitstudio/inspect.py. Everything heavy
is cached per model (st.cache_data keyed on a model key string plus a cheap weight
fingerprint, with the model passed as an unhashed `_model` argument), so reruns and
other browser sessions reuse the results.
"""

from __future__ import annotations

import hashlib

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from digitstudio.explain import inspection as ins

GALLERY_LIMIT = 32  # misclassified digits shown at once
WEIGHT_UNITS = 32  # first-layer neurons shown at once
FEATURE_CHANNELS = 16  # channels shown per conv layer
SAMPLE_INDEX = 0  # the test digit explained when nothing is drawn (a 7 in MNIST's test set)
DIGITS = [str(d) for d in range(10)]  # category order for chart axes
# Material icons come with Streamlit's own font; emoji would need one on the viewer's machine.
TAB_LABELS = [":material/bar_chart: How well it does", ":material/neurology: What it learned",
              ":material/draw: Your drawing, explained"]

# ColorBrewer RdBu (blue = negative, white = 0, red = positive) and viridis anchors.
_RDBU = np.array([[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]], float)
_VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float)


# --- pictures --------------------------------------------------------------------------

def _colormap(values: np.ndarray, anchors: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((np.asarray(values, float) - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    points = np.linspace(0, 1, len(anchors))
    rgb = np.stack([np.interp(t, points, anchors[:, c]) for c in range(3)], axis=-1)
    return rgb.astype(np.uint8)


def _scale(values: np.ndarray, percentile: float = 99.5) -> float:
    """A robust 'largest magnitude' so one extreme pixel does not wash out the rest."""
    mag = np.abs(values[np.isfinite(values)])
    if mag.size == 0:
        return 1.0
    scale = float(np.percentile(mag, percentile))
    return scale if scale > 0 else (float(mag.max()) or 1.0)


def diverging(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Signed values → RGB: red positive, white zero, blue negative (symmetric)."""
    scale = _scale(values) if scale is None else scale
    return _colormap(values, _RDBU, -scale, scale)


def sequential(values: np.ndarray, hi: float | None = None) -> np.ndarray:
    """Non-negative values → viridis RGB (dark = 0, yellow = largest)."""
    values = np.asarray(values, float)
    lo = min(0.0, float(values.min())) if values.size else 0.0
    hi = float(values.max()) if hi is None and values.size else (hi or 1.0)
    return _colormap(values, _VIRIDIS, lo, hi if hi > lo else lo + 1.0)


def enlarge(pixels: np.ndarray, size: int) -> Image.Image:
    """uint8 grey (h, w) or RGB (h, w, 3) → a size-wide image with crisp square pixels."""
    image = Image.fromarray(np.ascontiguousarray(pixels))
    h, w = pixels.shape[:2]
    return image.resize((size, max(1, round(size * h / w))), Image.NEAREST)


def picture_row(pictures: list[np.ndarray], captions: list[str], size: int, gap: int = 8) -> None:
    """Several small pictures side by side, size px wide each. Streamlit lays an image list
    edge to edge, so each picture gets a transparent margin: tiles stay apart in any theme."""
    tiles = []
    for pixels in pictures:
        tile = enlarge(pixels, size).convert("RGBA")
        framed = Image.new("RGBA", (tile.width + gap, tile.height), (0, 0, 0, 0))
        framed.paste(tile, (gap // 2, 0))
        tiles.append(framed)
    st.image(tiles, caption=captions, width=size + gap)


def digit_pixels(image28: np.ndarray) -> np.ndarray:
    return (np.clip(ins.as_image28(image28), 0, 1) * 255).astype(np.uint8)


def saliency_overlay(image28: np.ndarray, sal: np.ndarray) -> np.ndarray:
    """The digit as pale grey ink on white, tinted red/blue where the saliency is strong."""
    ink = ins.as_image28(image28)
    base = np.repeat((255 - 70 * ink)[..., None], 3, axis=-1)
    scale = _scale(sal)
    colour = diverging(sal, scale).astype(float)
    alpha = np.clip(np.abs(sal) / scale, 0, 1)[..., None] ** 0.7
    return (base * (1 - alpha) + colour * alpha).astype(np.uint8)


# --- cached computations (keyed by model key, never by hashing the model) --------------

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


def _test_signature(x_test: np.ndarray, y_test: np.ndarray) -> str:
    digest = hashlib.sha1(f"{x_test.shape}{y_test.shape}".encode())
    step = max(1, len(x_test) // 64)
    digest.update(np.ascontiguousarray(x_test[::step]).tobytes())
    digest.update(np.ascontiguousarray(y_test).tobytes())
    return digest.hexdigest()[:12]


@st.cache_data(show_spinner="Testing the model on the test digits (once per model)…", max_entries=16)
def cached_evaluation(_model, key: str, test_key: str, _x_test, _y_test) -> ins.Evaluation:
    return ins.evaluate(_model, _x_test, _y_test)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_weights(_model, key: str):
    return ins.first_layer_weights(_model)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_explanation(_model, key: str, image_key: str, image: np.ndarray):
    """(probabilities, activations, evidence map, ink-would-help map) for one image."""
    predicted, probs = ins.predicted_class(_model, image)
    activations = ins.layer_activations(_model, image)
    # One gradient serves both maps: "gradient_x_input" is the same gradient times the pixels.
    where = ins.saliency(_model, image, predicted, method="gradient")
    evidence = where * ins.as_image28(image)
    return probs, [tuple(a) for a in activations], evidence, where


def _image_key(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(ins.as_image28(image)).tobytes()).hexdigest()[:16]


# --- the page --------------------------------------------------------------------------

def render_inside(model, model_key: str, image28: np.ndarray | None, test_data: tuple | None) -> None:
    """The whole "Inside the model" section.

    model       a loaded Keras model (28×28×1 in, 10 probabilities out)
    model_key   a string naming it (e.g. its file path); results are cached under it
    image28     the current drawing as 28×28 (float 0–1 or uint8), or None
    test_data   (x_test uint8 (n, 28, 28), y_test (n,)) or None when MNIST is unavailable
    """
    key = f"{model_key}#{model_fingerprint(model)}"
    tab_scored, tab_learned, tab_explained = st.tabs(TAB_LABELS)

    # The quick tabs are filled first, so they appear while the test set is still being scored.
    image, image_note = image28, None
    if image is None:
        if test_data is not None and len(test_data[0]) > 0:
            index = min(SAMPLE_INDEX, len(test_data[0]) - 1)
            image = test_data[0][index]
            image_note = (f"Draw a digit on the Draw tab to see it explained here. Meanwhile, here is "
                          f"a digit from the test set (a {int(test_data[1][index])}).")
        else:
            image_note = "Draw a digit on the Draw tab to see it explained here."
    with tab_explained:
        _explained_tab(model, key, image, image_note)
    with tab_learned:
        _learned_tab(model, key, image)
    with tab_scored:
        _scored_tab(model, key, test_data)


# --- How well it does ------------------------------------------------------------------

def _scored_tab(model, key: str, test_data: tuple | None) -> None:
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
    ev = cached_evaluation(model, key, _test_signature(x_test, y_test), x_test, y_test)
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
        st.altair_chart(_per_class_chart(ev), width="stretch")
        st.caption("Each bar: of all test images of that digit, the share the model read correctly. "
                   "The red bar is the hardest digit.")
    with right:
        st.markdown("**Confusion matrix: what it answered for each true digit**")
        st.altair_chart(_confusion_chart(ev), width="stretch")
        pairs = ev.most_confused(3)
        mixups = ", ".join(f"a {t} read as {p} ({n}×)" for t, p, n in pairs) or "none"
        st.caption("Rows: the true digit. Columns: the model's answer. The diagonal counts correct "
                   f"answers; every other cell is a kind of mistake. Most common mix-ups: {mixups}.")
    _gallery(ev, x_test)


def _per_class_chart(ev: ins.Evaluation) -> alt.Chart:
    acc = np.nan_to_num(ev.per_class_accuracy, nan=0.0)
    counts = ev.confusion.sum(axis=1)
    worst = int(np.nanargmin(ev.per_class_accuracy))
    frame = pd.DataFrame({
        "digit": [str(d) for d in range(10)], "accuracy": acc, "images": counts,
        "correct": np.diag(ev.confusion), "hardest": [d == worst for d in range(10)],
    })
    low = max(0.0, float(np.floor((acc.min() - 0.02) * 20) / 20))
    base = alt.Chart(frame).encode(
        x=alt.X("digit:N", title="true digit", sort=DIGITS, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("accuracy:Q", title="accuracy (% correct)", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[low, 1], clamp=True)),
    )
    bars = base.mark_bar(clip=True).encode(
        color=alt.condition(alt.datum.hardest, alt.value("#d62728"), alt.value("#4c78a8")),
        tooltip=[alt.Tooltip("digit:N", title="digit"), alt.Tooltip("accuracy:Q", format=".2%"),
                 alt.Tooltip("correct:Q", title="correct"), alt.Tooltip("images:Q", title="test images")],
    )
    labels = base.mark_text(dy=-7, fontSize=12).encode(text=alt.Text("accuracy:Q", format=".1%"))
    return (bars + labels).properties(height=300)


def _confusion_chart(ev: ins.Evaluation) -> alt.Chart:
    rows = [{"true": str(t), "predicted": str(p), "count": int(ev.confusion[t, p]), "correct": t == p}
            for t in range(10) for p in range(10)]
    frame = pd.DataFrame(rows)
    totals = ev.confusion.sum(axis=1)
    frame["share"] = [r["count"] / max(1, totals[int(r["true"])]) for r in rows]
    mistakes = frame[~frame["correct"]]
    top = max(1, int(mistakes["count"].max()) if len(mistakes) else 1)
    # An explicit order: with the layers below, "data order" would put column 0 last.
    x = alt.X("predicted:N", title="predicted digit", sort=DIGITS, axis=alt.Axis(labelAngle=0, orient="top"))
    y = alt.Y("true:N", title="true digit", sort=DIGITS)
    tooltip = [alt.Tooltip("true:N", title="true digit"), alt.Tooltip("predicted:N", title="predicted"),
               alt.Tooltip("count:Q", title="test images"), alt.Tooltip("share:Q", title="share of row", format=".1%")]
    # Mistakes are coloured on their own scale (orange), correct answers in green, so a
    # handful of 4→9 mix-ups is visible next to a diagonal of ~1,000.
    wrong = alt.Chart(frame).transform_filter(~alt.datum.correct).mark_rect(stroke="white").encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("count:Q", title="mistakes", scale=alt.Scale(scheme="oranges", domain=[0, top]),
                        legend=alt.Legend(orient="bottom", gradientLength=200)),
    )
    right = alt.Chart(frame).transform_filter(alt.datum.correct).mark_rect(
        stroke="white", color="#2ca02c").encode(x=x, y=y, tooltip=tooltip)
    text = alt.Chart(frame).mark_text(fontSize=11).encode(
        x=x, y=y, text=alt.Text("count:Q"),
        color=alt.condition(alt.datum.correct | (alt.datum.count > top * 0.6), alt.value("white"), alt.value("black")),
    )
    return (wrong + right + text).properties(height=380)


@st.fragment
def _gallery(ev: ins.Evaluation, x_test: np.ndarray) -> None:
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

def _learned_tab(model, key: str, image: np.ndarray | None) -> None:
    st.subheader("What it learned")
    weights = cached_weights(model, key)
    if weights is None:
        st.info("This model has no Dense or Conv2D layer reading the pixels directly, so there "
                "are no first-layer weights to picture.")
        return
    kind, array = weights
    layer = ins.first_weighted_layer(model)
    if kind == "dense":
        _dense_weights(model, layer, array)
    else:
        _conv_filters(layer, array)
        _feature_maps(model, key, image)


def _colour_key(positive: str, negative: str) -> str:
    return f":red-background[ red ] {positive} · :blue-background[ blue ] {negative} · white: no effect"


def _dense_weights(model, layer, array: np.ndarray) -> None:
    units = len(array)
    layers = ins._layers(model)
    after_bn = any(ins.layer_kind(l) == "batchnorm" for l in layers[: layers.index(layer)])
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
    scale = _scale(array, 100)
    shown = array[:64]
    picture_row([diverging(f, scale) for f in shown], [f"filter {i + 1}" for i in range(len(shown))], 64)


def _feature_maps(model, key: str, image: np.ndarray | None) -> None:
    if image is None:
        st.info("Draw a digit on the Draw tab to see its feature maps here.")
        return
    _, activations, _, _ = cached_explanation(model, key, _image_key(image), ins.as_image28(image))
    convs = [a for a in activations if a[1] == "conv2d"]
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

def _explained_tab(model, key: str, image: np.ndarray | None, note: str | None) -> None:
    st.subheader("Your drawing, explained")
    if note:
        st.info(note, icon="✏️")
    if image is None:
        return
    image = ins.as_image28(image)
    probs, activations, evidence, where = cached_explanation(model, key, _image_key(image), image)
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


_KIND_TEXT = {
    "dense": "Dense", "dropout": "Dropout", "batchnorm": "BatchNormalization", "conv2d": "Conv2D",
    "maxpool": "MaxPooling2D", "flatten": "Flatten", "output": "Output (softmax)",
}


def _activation_row(number: int, name: str, kind: str, act: np.ndarray) -> None:
    shape = "×".join(str(d) for d in act.shape)
    label = f"{number} · `{name}` · {_KIND_TEXT.get(kind, kind)} · output {shape}"
    if kind == "dropout":
        st.markdown(label)
        st.caption("Same numbers as the layer above: dropout only switches neurons off while training.")
        return
    if kind == "flatten":
        st.markdown(label)
        st.caption(f"The same {act.size:,} numbers as the layer above, laid out in one long row.")
        return
    if kind == "output":
        st.markdown(f"{number} · `{name}` · Output · 10 probabilities, one per digit")
        st.altair_chart(_probability_chart(act), width="stretch")
        return
    st.markdown(label)
    if act.ndim == 3:  # (h, w, channels): a row of channel images
        h, w, c = act.shape
        shown = min(c, FEATURE_CHANNELS)
        values = act[:, :, :shown]
        signed = values.min() < 0
        scale = _scale(values, 100)
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
        st.altair_chart(_strip_chart(act.reshape(-1)), width="stretch")
        active = int((act > 0).sum())
        st.caption(f"{act.size} numbers; {active} are above zero. Hover a cell for its value.")


def _strip_chart(values: np.ndarray) -> alt.Chart:
    n = len(values)
    per_row = 64 if n > 64 else n
    frame = pd.DataFrame({"neuron": np.arange(1, n + 1), "value": values.astype(float)})
    frame["column"] = (frame["neuron"] - 1) % per_row
    frame["row"] = (frame["neuron"] - 1) // per_row
    frame["column_end"], frame["row_end"] = frame["column"] + 1, frame["row"] + 1
    rows = int(frame["row"].max()) + 1
    if values.min() < 0:
        scale = _scale(values, 100)
        colours = alt.Scale(scheme="redblue", reverse=True, domain=[-scale, scale])
    else:
        colours = alt.Scale(scheme="viridis", domainMin=0)
    # Legend below: beside a one-row strip a vertical gradient would not fit.
    color = alt.Color("value:Q", title="value", scale=colours,
                      legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=200))
    # Cells placed on quantitative x/x2, y/y2: ordinal (band) axes collapse to zero height here.
    return alt.Chart(frame).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("column:Q", title=f"neurons 1–{n}" + (f", {per_row} per row" if rows > 1 else ""),
                scale=alt.Scale(domain=[0, per_row], nice=False),
                axis=alt.Axis(labels=False, ticks=False, grid=False, domain=False)),
        x2="column_end:Q",
        y=alt.Y("row:Q", scale=alt.Scale(domain=[rows, 0], nice=False), axis=None),
        y2="row_end:Q",
        color=color,
        tooltip=[alt.Tooltip("neuron:Q", title="neuron"), alt.Tooltip("value:Q", format=".3f")],
    ).properties(
        # "fit-x": stretch to the page width, but keep `height` for the cells alone (with the
        # default "fit" the axis title and legend are squeezed into it and the cells vanish).
        height=14 * rows, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def _probability_chart(probs: np.ndarray) -> alt.Chart:
    guess = int(np.argmax(probs))
    frame = pd.DataFrame({"digit": [str(d) for d in range(10)], "probability": probs.astype(float),
                          "chosen": [d == guess for d in range(10)]})
    base = alt.Chart(frame).encode(
        x=alt.X("digit:N", title="digit", sort=DIGITS, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("probability:Q", title="probability (%)", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar().encode(
        color=alt.condition(alt.datum.chosen, alt.value("#e4572e"), alt.value("#7f8c9d")),
        tooltip=["digit", alt.Tooltip("probability:Q", format=".1%")],
    )
    text = base.mark_text(dy=-7, fontSize=11).encode(text=alt.Text("probability:Q", format=".0%"))
    return (bars + text).properties(height=200)
