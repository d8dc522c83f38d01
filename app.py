"""Digit Studio: draw a digit, see what a neural network sees and thinks, retrain it.

    streamlit run app.py                   # everything
    streamlit run app.py -- --classroom    # student view: drawing and inside views, no training
"""

from __future__ import annotations

import argparse
import os
import sys

import streamlit as st

# 420 px: room for the layer table's five columns (AUTO state: collapsed on phones).
st.set_page_config(page_title="Digit Studio", page_icon="✏️", layout="wide", initial_sidebar_state=420)

from digitstudio.runtime import configure_tensorflow, keep_keras_state  # noqa: E402

configure_tensorflow()  # DIGIT_STUDIO_TF_THREADS, if set: before any model loads
keep_keras_state()  # no keras.backend.clear_session() after every rerun (see digitstudio/runtime.py)

from views.draw import current_drawing, draw_view  # noqa: E402
from views.resources import active_predictor, mnist_or_error  # noqa: E402
from views.train_panel import training_form, training_panel  # noqa: E402


def classroom_mode() -> bool:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--classroom", action="store_true")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return args.classroom or os.environ.get("DIGIT_STUDIO_CLASSROOM", "").lower() in ("1", "true", "yes")


locked = classroom_mode()
predictor, model_ref, model_warning = active_predictor()

st.title("✏️ Digit Studio")
st.caption("Draw a digit and a neural network trained on MNIST reads it. "
           f"Model: **{model_ref.label if predictor is not None else 'none loaded'}**")

with st.sidebar:
    training_form(locked=locked)

VIEWS = ["Draw", "Inside the model", "Runs"]
view = st.radio("View", VIEWS, key="view", horizontal=True, label_visibility="collapsed")
# A model that is gone or broken: the Draw view says so itself beside the prediction.
if model_warning and not (view == "Draw" and predictor is None):
    st.warning(model_warning, icon=":material/warning:")

if view == "Draw":
    draw_view()
elif view == "Inside the model":
    from digitstudio.drawing.preprocess import preprocess
    from views.inside import render_inside

    drawing = current_drawing()
    pre = preprocess(drawing) if drawing is not None else None
    data, data_error = mnist_or_error()
    if predictor is None:
        st.error("No model is loaded.")
    else:
        render_inside(predictor.model, model_ref.path, pre.image if pre is not None and pre.status == "ok" else None,
                      (data.x_test, data.y_test) if data is not None else None)
        if data_error:
            st.caption(data_error)
else:
    from views.runs import runs_view

    runs_view(locked=locked)

if not locked:
    training_panel()
