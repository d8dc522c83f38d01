"""Draw: canvas → what the model sees (28×28) → what it thinks.

The page body runs as a fragment, so a stroke reruns only this part of the page,
not the sidebar or the rest of the frame.

Three layouts of the same pieces (a CSS grid over keyed containers, so the pieces are
drawn once and only placed differently):

- a computer: canvas (with Clear below) | the 28×28 | the answer;
- a phone (≤ 640 px wide): the canvas, the answer and **It was a** on one screen, so
  draw → answer → tap → draw the next needs no scrolling, even at 320×640 (the canvas
  shrinks to fit the window's height); Clear and the 28×28 follow below;
- presenter mode (a projector): canvas | 28×28 | answer | QR code, each as large as the
  window allows (sizes from ui/viewport.py), the Prediction read from the back of the room.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitstudio.drawing.predict import Prediction, describe
from digitstudio.drawing.preprocess import Preprocessed
from digitstudio.pixels import to_unit
from ui.charts import announce, highlighted, probability_chart, show_prediction, spoken
from ui.drawing import (
    CANVAS_SIZE,
    canvas,
    clear_drawing,
    current_drawing,
    current_test_digit,
    read_drawing,
    show_test_digit,
)
from ui.labels import label_control, label_feedback
from ui.nickname import nickname_prompt
from ui.pictures import model_view_image
from ui.presenter import class_join_link, presenting, show_join_code
from ui.resources import active_predictor, classroom_mode, mnist_or_error
from ui.viewport import clamp, viewport

PHONE_WIDTH = 640  # px: at most this wide, the phone layout (Streamlit stacks columns there too)


def _sizes(present: bool) -> dict[str, int]:
    """Pixel sizes of the canvas, the 28×28 view, the QR code and the probability chart for
    this window (defaults until the window's size is known)."""
    size = viewport()
    if present:
        if size is None:
            return {"canvas": 480, "view": 240, "qr": 320, "chart": 260}
        width, height = size
        side = clamp(min(height - 400, (width - 900) * 0.6), 280, 640)
        return {"canvas": side, "view": clamp(side * 0.5, 168, 320), "qr": clamp(min(height * 0.37, 400), 220, 420),
                "chart": clamp(height - 720, 180, 320)}
    if size is not None and size[0] <= PHONE_WIDTH:
        width, height = size
        # what the phone's screen holds besides the canvas: the top bar, the nickname line,
        # the toolbar, the Prediction and It was a (measured at 390×844 and 320×640)
        return {"canvas": clamp(min(width - 32, height - 400), 180, CANVAS_SIZE), "view": 140, "qr": 0, "chart": 180}
    return {"canvas": CANVAS_SIZE, "view": 140, "qr": 0, "chart": 220}


# The pieces are keyed containers inside one horizontal container; CSS grid places them.
# (Streamlit wraps each child in a layout wrapper: the rules name the wrapper that holds it.)
LAYOUT_CSS = """<style>
.st-key-draw-layout { display: grid !important; align-items: start; column-gap: 2rem; row-gap: 0.5rem;
  grid-template-columns: max-content minmax(150px, 0.55fr) minmax(320px, 1.5fr);
  grid-template-rows: auto 1fr; grid-template-areas: "canvas view answer" "tools view answer"; }
.st-key-draw-layout > div { width: auto !important; min-width: 0; }
.st-key-draw-layout > div:has(> .st-key-draw-canvas) { grid-area: canvas; }
.st-key-draw-layout > div:has(> .st-key-draw-tools) { grid-area: tools; }
.st-key-draw-layout > div:has(> .st-key-draw-model-view) { grid-area: view; }
.st-key-draw-layout > div:has(> .st-key-draw-answer) { grid-area: answer; }
.st-key-draw-layout > div:has(> .st-key-draw-join) { grid-area: join; }
@media (max-width: 640px) {
  .st-key-draw-layout { grid-template-columns: minmax(0, 1fr); grid-template-rows: none; row-gap: 0.6rem;
    grid-template-areas: "canvas" "answer" "tools" "view"; }
  .st-key-draw-canvas > div:has(.draw-heading), .st-key-draw-answer > div:has(.draw-heading) { display: none; }
  .st-key-draw-answer { gap: 0.5rem; }
  .st-key-prediction [data-testid="stMetric"] > div { display: flex; flex-direction: row; align-items: baseline;
    gap: 0.75rem; }
  .st-key-prediction [data-testid="stMetricValue"], .st-key-prediction [data-testid="stMetricValue"] p {
    font-size: 2.5rem; line-height: 1.1; }
  .st-key-prediction { gap: 0.25rem; }
  .st-key-draw-answer [data-testid="stButtonGroup"] button { min-width: 2.6rem; min-height: 2.4rem; }
}
</style>"""

PRESENTER_CSS = """<style>
.st-key-draw-layout { column-gap: 2.5rem;
  grid-template-columns: max-content max-content minmax(360px, 1fr) max-content;
  grid-template-areas: "canvas view answer join" "tools view answer join"; }
.st-key-draw-layout p.draw-heading { font-size: 1.5rem; }
.st-key-draw-model-view [data-testid="stImage"] img { image-rendering: pixelated; }
.st-key-draw-join { width: QRpx; }
</style>"""


def _test_digit(index: int) -> tuple[Preprocessed, int] | None:
    """The MNIST test digit on show, as the model input it already is, and its label."""
    data, _ = mnist_or_error()
    if data is None or index >= len(data.x_test):
        return None
    image = to_unit(data.x_test[index])
    return Preprocessed(image, "ok", float(image.mean()), None, ""), int(data.y_test[index])


def _view_alt(pre: Preprocessed | None, label: int | None) -> str:
    """The 28×28 picture in words, for a screen reader."""
    if pre is None or pre.status != "ok":
        return "What the model sees: an empty 28 by 28 pixel square (nothing drawn yet)."
    ink = float((pre.image > 0.1).mean())
    what = f"MNIST's test digit {label}" if label is not None else "your drawing"
    return (f"What the model sees: {what}, scaled into a 20 by 20 pixel box and centred by its mass in a "
            f"28 by 28 pixel square, white on black; {ink:.0%} of the pixels are ink.")


def _heading(text: str) -> None:
    st.markdown(f"<p class='draw-heading'><b>{text}</b></p>", unsafe_allow_html=True)


def _prediction(pre: Preprocessed | None, predictor, ref, warning: str) -> tuple[Prediction | None, np.ndarray | None]:
    """The Prediction (metric, confidence) and the probabilities it came from."""
    if warning:
        st.warning(warning)
    if pre is None or pre.status == "empty" or pre.status != "ok" or predictor is None:
        with st.container(key="prediction"):  # "–" as large as a digit would be (presenter mode)
            st.metric("Prediction", "–")
        if pre is None or pre.status == "empty":
            st.caption("Draw a digit (0–9) on the black square. Use a mouse, pen or finger.")
        elif pre.status != "ok":
            st.info(pre.message or "Draw a bigger digit: that is too small to read.")
        else:
            st.error("No model could be loaded; train one from the sidebar.")
        return None, None
    probs = predictor.probabilities(pre.image)
    guess = describe(probs, predictor.threshold)
    show_prediction(guess, ref.label)
    return guess, probs


@st.fragment
def draw_view() -> None:
    present = presenting()
    sizes = _sizes(present)
    st.html(LAYOUT_CSS + (PRESENTER_CSS.replace("QR", str(sizes["qr"])) if present else ""))
    if not present:
        nickname_prompt(classroom_mode())
    with st.container(key="draw-layout", horizontal=True):
        with st.container(key="draw-canvas"):
            _heading("Draw a digit")
            canvas(sizes["canvas"])
        with st.container(key="draw-tools", horizontal=True):
            st.button("Clear", on_click=clear_drawing, icon=":material/delete:",
                      help="Empty the canvas (the canvas toolbar's reset does the same)")
            data, data_error = mnist_or_error()
            st.button("Try a test digit", icon=":material/casino:", disabled=data is None,
                      on_click=show_test_digit, args=(data,),
                      help=data_error or "Show the model a random handwritten digit from MNIST's test set "
                                         "(no drawing needed: works with a keyboard or screen reader)")
        drawing, test_index = current_drawing(), current_test_digit()
        pre, label = (read_drawing(drawing), None) if drawing is not None else (None, None)
        if pre is None and test_index is not None and (shown := _test_digit(test_index)) is not None:
            pre, label = shown
        with st.container(key="draw-model-view"):
            _heading("What the model sees")
            image = pre.image if pre is not None else np.zeros((28, 28), np.float32)
            st.image(model_view_image(image, sizes["view"]), caption="28×28 pixels, centred like MNIST",
                     width=sizes["view"], alt=_view_alt(pre, label))
            if label is not None:
                st.markdown(f"MNIST test digit #{test_index:,}, written by a person and labelled **{label}**.")
        with st.container(key="draw-answer"):
            _heading("What it thinks")
            status = st.empty()  # the screen reader's live region, first in the column on every run
            predictor, ref, warning = active_predictor()
            guess, probs = _prediction(pre, predictor, ref, warning)
            with status:
                announce(spoken(guess) if guess is not None or pre is None or pre.status in ("ok", "empty")
                         else pre.message or "Draw a bigger digit: that is too small to read.")
            if present and probs is not None:  # on the projector the bars come first: the class reads them
                probability_chart(probs, highlighted(guess), height=sizes["chart"])
            if drawing is not None and pre is not None and pre.status == "ok":  # a readable drawing, not a test digit
                label_control(pre.image, drawing, guess, ref)
            else:
                label_feedback()
            if not present and probs is not None:  # below It was a: on a phone the tap stays in view
                probability_chart(probs, highlighted(guess), height=sizes["chart"])
        if present:
            with st.container(key="draw-join"):
                show_join_code(class_join_link(), sizes["qr"])


draw_view()
