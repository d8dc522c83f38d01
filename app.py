"""Digit Studio: draw a digit, see what a neural network sees and thinks, retrain it.

    streamlit run app.py                   # everything
    streamlit run app.py -- --classroom    # student view: drawing and inside views, no training

The page's frame only: the pages live in views/ (one file each, each with its own
address: /, /inside, /runs), shared pieces in ui/, the logic in digitstudio/.
"""

from __future__ import annotations

import streamlit as st

from ui.presenter import apply_style, class_join_link, presenter_toggle, presenting  # noqa: E402

PRESENTING = presenting()
# 420 px: room for the layer table's five columns (AUTO state: collapsed on phones); folded
# away on a projector.
st.set_page_config(page_title="Digit Studio", page_icon="✏️", layout="wide",
                   initial_sidebar_state="collapsed" if PRESENTING else 420)

from digitstudio.runtime import configure_tensorflow  # noqa: E402
from ui.streamlit_patch import keep_keras_state  # noqa: E402

configure_tensorflow()  # DIGIT_STUDIO_TF_THREADS, if set: before any model loads
keep_keras_state()  # no keras.backend.clear_session() after every rerun (see ui/streamlit_patch.py)

from ui.board import current_challenge  # noqa: E402
from ui.drawing import page_changed  # noqa: E402
from ui.frame import page_header  # noqa: E402
from ui.labels import nickname_input  # noqa: E402
from ui.nickname import restore_nickname  # noqa: E402
from ui.resources import active_predictor, active_ref, classroom_mode  # noqa: E402
from ui.sidebar import restore_job, training_form  # noqa: E402
from ui.teach import teacher_login  # noqa: E402
from ui.training_status import training_panel  # noqa: E402
from ui.viewport import probe_viewport  # noqa: E402

PAGES = [
    st.Page("views/draw.py", title="Draw", icon=":material/draw:", url_path="draw", default=True),
    st.Page("views/paper.py", title="On paper", icon=":material/photo_camera:", url_path="paper"),
    st.Page("views/handwriting.py", title="Your handwriting", icon=":material/gesture:", url_path="handwriting"),
    st.Page("views/class_view.py", title="Class", icon=":material/groups:", url_path="class"),
    st.Page("views/inside.py", title="Inside the model", icon=":material/neurology:", url_path="inside"),
    st.Page("views/runs.py", title="Runs", icon=":material/history:", url_path="runs"),
]

# In classroom mode students train only within an open class challenge's budgets (ui/board.py).
challenge = current_challenge() if classroom_mode() else None
locked = classroom_mode() and challenge is None
page = st.navigation(PAGES, position="top")
page_changed(page.url_path)
ON_DRAW = page.url_path in ("", "draw")
if ON_DRAW:  # the canvas first: the Draw page loads the model (and TensorFlow) after drawing it
    model_ref, model_loaded, model_warning = active_ref(), True, ""
else:
    predictor, model_ref, model_warning = active_predictor()
    model_loaded = predictor is not None

restore_nickname()  # ?name=… in the address: before the sidebar's nickname field
restore_job()  # ?job=…: a reload mid-training finds its training and its setup again
with st.sidebar:
    presenter_toggle()
    teacher_login()  # classroom mode: the passcode lives here, never on the projected page
    nickname_input()
    training_form(locked=locked, challenge=challenge)
    probe_viewport()  # the window's size, for the canvas and the projector's pictures
if PRESENTING:
    apply_style()
# One line on the projector (the Draw and Class pages show the QR code themselves), a
# title and a caption elsewhere, and on a phone only the model's name. Filled in after the
# page: on Draw the model (and TensorFlow) loads after the canvas, and only then is it known
# whether the model in use loaded, or which one stood in for it.
header = st.empty()
# A model that is gone or broken: the Draw page says so itself beside the prediction.
if model_warning:
    st.warning(model_warning, icon=":material/warning:")

page.run()

if ON_DRAW:
    predictor, model_ref, _ = active_predictor()  # the page's own call loaded it: cached
    model_loaded = predictor is not None
with header.container():
    page_header(model_ref.label if model_loaded else "none loaded", PRESENTING,
                class_join_link() if PRESENTING else "")

# This session's training, if it started one: in classroom mode only the teacher can (the
# class fine-tune), and its panel is what makes the finished run the class's model.
training_panel()
