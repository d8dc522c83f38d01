"""The drawing page: canvas → what the model sees (28×28) → prediction.

Runs as a fragment, so a stroke reruns only this part of the page, not the
sidebar or the other views.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from digitstudio.drawing.predict import describe
from digitstudio.drawing.preprocess import Preprocessed, preprocess

from .resources import active_predictor

try:  # The component registers itself with the running Streamlit server on import.
    from streamlit_drawable_canvas import st_canvas
except Exception:  # pragma: no cover - only outside a Streamlit runtime
    st_canvas = None

CANVAS_SIZE = 280
BRUSH_WIDTH = 18  # ~ MNIST's stroke relative to its 20 px digit box, at 10× scale
DRAWING_KEY = "drawing_rgba"  # session_state: the latest canvas pixels (RGBA) or None
_LAST_SENT = "_canvas_last_sent"
_CANVAS_GEN = "_canvas_generation"


def clear_drawing() -> None:
    st.session_state[DRAWING_KEY] = None
    st.session_state[_LAST_SENT] = None
    # A new key remounts the component empty; the toolbar's reset does the same client-side.
    st.session_state[_CANVAS_GEN] = st.session_state.get(_CANVAS_GEN, 0) + 1


def current_drawing() -> np.ndarray | None:
    return st.session_state.get(DRAWING_KEY)


def _canvas() -> None:
    """Show the canvas and keep session_state[DRAWING_KEY] in step with what it sends."""
    if st_canvas is None:
        st.info("The drawing canvas is not available in this environment.")
        return
    result = st_canvas(
        stroke_width=BRUSH_WIDTH, stroke_color="#FFFFFF", background_color="#000000",
        width=CANVAS_SIZE, height=CANVAS_SIZE, drawing_mode="freedraw",
        return_image_data=True, key=f"canvas-{st.session_state.get(_CANVAS_GEN, 0)}",
    )
    sent = result._image_data_url  # only changes when the browser sends a new drawing
    if sent is not None and sent != st.session_state.get(_LAST_SENT):
        st.session_state[_LAST_SENT] = sent
        st.session_state[DRAWING_KEY] = result.image_data


def model_view_image(image28: np.ndarray, size: int = 140) -> Image.Image:
    """The 28×28 input enlarged without smoothing, so each pixel stays a visible square."""
    pixels = (np.clip(image28, 0, 1) * 255).astype(np.uint8)
    return Image.fromarray(pixels, mode="L").resize((size, size), Image.NEAREST)


# The bar chart as a plain Vega-Lite spec: building it through Altair (schema
# validation, to_dict) cost ~15 ms of server CPU on every stroke; this costs <1 ms.
_CHART_SPEC = {
    "mark": {"type": "bar"},
    "encoding": {
        "x": {"field": "digit", "type": "nominal", "sort": None, "title": "digit", "axis": {"labelAngle": 0}},
        "y": {"field": "probability", "type": "quantitative", "scale": {"domain": [0, 1]},
              "title": "probability", "axis": {"format": "%"}},
        "color": {"field": "color", "type": "nominal", "scale": None, "legend": None},
        "tooltip": [{"field": "digit", "type": "nominal"},
                    {"field": "probability", "type": "quantitative", "format": ".1%"}],
    },
    "height": 220,
}


def probability_chart(probs: np.ndarray, predicted: int) -> None:
    values = [{"digit": str(d), "probability": float(p), "color": "#e4572e" if d == predicted else "#7f8c9d"}
              for d, p in enumerate(np.asarray(probs, dtype=float))]
    st.vega_lite_chart({**_CHART_SPEC, "data": {"values": values}}, width="stretch")


def _prediction(pre: Preprocessed | None) -> None:
    predictor, ref, warning = active_predictor()
    if warning:
        st.warning(warning)
    if pre is None or pre.status == "empty":
        st.metric("Prediction", "–")
        st.caption("Draw a digit (0–9) on the black square. Use a mouse, pen or finger.")
        return
    if pre.status != "ok":
        st.metric("Prediction", "–")
        st.info(pre.message or "Draw a bigger digit: that is too small to read.")
        return
    if predictor is None:
        st.metric("Prediction", "–")
        st.error("No model could be loaded; train one from the sidebar.")
        return
    probs = predictor.probabilities(pre.image)
    guess = describe(probs)
    st.metric("Prediction", str(guess.digit), help=f"Model: {ref.label}")
    st.progress(guess.confidence, text=f"Confidence {guess.confidence:.0%}")
    if guess.close:
        st.caption(f"Not sure: it could also be a **{guess.runner_up}** ({guess.runner_up_probability:.0%}).")
    probability_chart(probs, guess.digit)


@st.fragment
def draw_view() -> None:
    left, middle, right = st.columns([1.25, 0.8, 1.5], gap="medium")
    with left:
        st.markdown("**1 · Draw a digit**")
        _canvas()
        st.button("Clear", on_click=clear_drawing, icon=":material/delete:",
                  help="Empty the canvas (the canvas toolbar's reset does the same)")
    drawing = current_drawing()
    pre = preprocess(drawing) if drawing is not None else None
    with middle:
        st.markdown("**2 · What the model sees**")
        image = pre.image if pre is not None else np.zeros((28, 28), np.float32)
        st.image(model_view_image(image), caption="28×28 pixels, centred like MNIST", width=140)
    with right:
        st.markdown("**3 · What it thinks**")
        _prediction(pre)
