"""Digit Studio: draw a digit, see what a neural network sees and thinks, retrain it.

    streamlit run app.py                   # everything
    streamlit run app.py -- --classroom    # student view: drawing and inside views, no training

The page's frame only: the pages live in views/ (one file each, each with its own
address: /, /inside, /runs), shared pieces in ui/, the logic in digitstudio/.
"""

from __future__ import annotations

import streamlit as st

from ui.presenter import apply_style, join_url, presenter_toggle, presenting, show_join_code  # noqa: E402

PRESENTING = presenting()
# 420 px: room for the layer table's five columns (AUTO state: collapsed on phones); folded
# away on a projector.
st.set_page_config(page_title="Digit Studio", page_icon="✏️", layout="wide",
                   initial_sidebar_state="collapsed" if PRESENTING else 420)

from digitstudio.runtime import configure_tensorflow  # noqa: E402
from ui.streamlit_patch import keep_keras_state  # noqa: E402

configure_tensorflow()  # DIGIT_STUDIO_TF_THREADS, if set: before any model loads
keep_keras_state()  # no keras.backend.clear_session() after every rerun (see ui/streamlit_patch.py)

from ui.drawing import page_changed  # noqa: E402
from ui.labels import nickname_input  # noqa: E402
from ui.resources import active_predictor, classroom_mode  # noqa: E402
from ui.sidebar import setup_query, training_form  # noqa: E402
from ui.training_status import training_panel  # noqa: E402

PAGES = [
    st.Page("views/draw.py", title="Draw", icon=":material/draw:", url_path="draw", default=True),
    st.Page("views/paper.py", title="On paper", icon=":material/photo_camera:", url_path="paper"),
    st.Page("views/handwriting.py", title="Your handwriting", icon=":material/gesture:", url_path="handwriting"),
    st.Page("views/class_view.py", title="Class", icon=":material/groups:", url_path="class"),
    st.Page("views/inside.py", title="Inside the model", icon=":material/neurology:", url_path="inside"),
    st.Page("views/runs.py", title="Runs", icon=":material/history:", url_path="runs"),
]

locked = classroom_mode()
page = st.navigation(PAGES, position="top")
page_changed(page.url_path)
predictor, model_ref, model_warning = active_predictor()

header, corner = st.columns([4, 1], vertical_alignment="top")
with header:
    st.title("✏️ Digit Studio")
    st.caption("Draw a digit and a neural network trained on MNIST reads it. "
               f"Model: **{model_ref.label if predictor is not None else 'none loaded'}**")
with st.sidebar:
    presenter_toggle()
    nickname_input()
    training_form(locked=locked)
if PRESENTING:
    apply_style()
    with corner:
        show_join_code(join_url(setup_query()))
# A model that is gone or broken: the Draw page says so itself beside the prediction.
if model_warning and not (page.url_path in ("", "draw") and predictor is None):
    st.warning(model_warning, icon=":material/warning:")

page.run()

# This session's training, if it started one: in classroom mode only the teacher can (the
# class fine-tune), and its panel is what makes the finished run the class's model.
training_panel()
