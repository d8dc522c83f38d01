"""Draw: canvas → what the model sees (28×28) → what it thinks.

The page body runs as a fragment, so a stroke reruns only this part of the page,
not the sidebar or the rest of the frame.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitstudio.drawing.predict import Prediction, describe
from digitstudio.drawing.preprocess import Preprocessed
from digitstudio.pixels import to_unit
from ui.charts import highlighted, probability_chart, show_prediction
from ui.drawing import canvas, clear_drawing, current_drawing, current_test_digit, read_drawing, show_test_digit
from ui.labels import label_control, label_feedback
from ui.pictures import model_view_image
from ui.resources import active_predictor, mnist_or_error


def _test_digit(index: int) -> tuple[Preprocessed, int] | None:
    """The MNIST test digit on show, as the model input it already is, and its label."""
    data, _ = mnist_or_error()
    if data is None or index >= len(data.x_test):
        return None
    image = to_unit(data.x_test[index])
    return Preprocessed(image, "ok", float(image.mean()), None, ""), int(data.y_test[index])


def _prediction(pre: Preprocessed | None, predictor, ref, warning: str) -> Prediction | None:
    if warning:
        st.warning(warning)
    if pre is None or pre.status == "empty":
        st.metric("Prediction", "–")
        st.caption("Draw a digit (0–9) on the black square. Use a mouse, pen or finger.")
        return None
    if pre.status != "ok":
        st.metric("Prediction", "–")
        st.info(pre.message or "Draw a bigger digit: that is too small to read.")
        return None
    if predictor is None:
        st.metric("Prediction", "–")
        st.error("No model could be loaded; train one from the sidebar.")
        return None
    probs = predictor.probabilities(pre.image)
    guess = describe(probs, predictor.threshold)
    show_prediction(guess, ref.label)
    probability_chart(probs, highlighted(guess))
    return guess


# On a phone the three columns stack; the answer moves up to right below the canvas, so
# a student sees canvas and Prediction together without scrolling (the 28×28 follows).
PHONE_CSS = """<style>
@media (max-width: 640px) {
  [data-testid="stColumn"]:has(.st-key-draw-answer) { order: -1; }
  [data-testid="stColumn"]:has(.st-key-draw-canvas) { order: -2; }
}
</style>"""


@st.fragment
def draw_view() -> None:
    st.html(PHONE_CSS)
    left, middle, right = st.columns([1.25, 0.8, 1.5], gap="medium")
    with left, st.container(key="draw-canvas"):
        st.markdown("**Draw a digit**")
        canvas()
        buttons = st.container(horizontal=True)
        buttons.button("Clear", on_click=clear_drawing, icon=":material/delete:",
                       help="Empty the canvas (the canvas toolbar's reset does the same)")
        data, data_error = mnist_or_error()
        buttons.button("Try a test digit", icon=":material/casino:", disabled=data is None,
                    on_click=show_test_digit, args=(data,),
                    help=data_error or "Show the model a random handwritten digit from MNIST's test set "
                                       "(no drawing needed: works with a keyboard or screen reader)")
    drawing, test_index = current_drawing(), current_test_digit()
    pre, label = (read_drawing(drawing), None) if drawing is not None else (None, None)
    if pre is None and test_index is not None and (shown := _test_digit(test_index)) is not None:
        pre, label = shown
    with middle, st.container(key="draw-model-view"):
        st.markdown("**What the model sees**")
        image = pre.image if pre is not None else np.zeros((28, 28), np.float32)
        st.image(model_view_image(image), caption="28×28 pixels, centred like MNIST", width=140)
        if label is not None:
            st.markdown(f"MNIST test digit #{test_index:,}, written by a person and labelled **{label}**.")
    with right, st.container(key="draw-answer"):
        st.markdown("**What it thinks**")
        predictor, ref, warning = active_predictor()
        guess = _prediction(pre, predictor, ref, warning)
        if drawing is not None and pre is not None and pre.status == "ok":  # a readable drawing, not a test digit
            label_control(pre.image, drawing, guess, ref)
        else:
            label_feedback()


draw_view()
