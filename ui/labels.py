"""People's own labelled digits, shared by the Draw, Your handwriting and Class pages:
the store (one per process), who "you" are (nickname or session), and the "It was a"
and "Not a digit" controls. Teaching the model on them is ui/teach.py.

A stroke never waits for the database: the Draw page's rerun asks only the store's
cached `health()` (probed on a background thread) and this session's cached count of
saved drawings, which is counted again only in callbacks (a label, an undo, a new
nickname), never on a stroke."""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitstudio.data.extra import NOT_A_DIGIT
from digitstudio.drawing.predict import Prediction
from digitstudio.storage.drawings import (
    FIRST_WAIT,
    DrawingStore,
    LabellingThrottled,
    Scope,
    StoreUnavailable,
    clean_nickname,
)
from ui.charts import a_digit
from ui.drawing import clear_drawing
from ui.resources import ModelRef, classroom_mode
from ui.session import LABEL_KEY, NICKNAME_KEY, session_id

_FEEDBACK = "_label_feedback"  # (kind, text) after the last label: a problem once, "Saved as" until the next drawing
_ABOUT_THE_LAST = ("success", "info")  # feedback kinds about a drawing already saved (or undone)
_LAST_SAVED = "_last_saved_drawing"  # the id of the drawing the last label saved (for Undo)
_SAVED_CANVAS = "_last_saved_canvas"  # the canvas the last label saved: a second tap event for it is ignored
_SAVED_COUNT = "_saved_drawings_count"  # (scope, store.changes(scope), count) as last counted


@st.cache_resource
def drawing_store() -> DrawingStore:
    """One store per server: SQLite in the DIGIT_STUDIO_DATA folder, or PostgreSQL when
    DIGIT_STUDIO_DATABASE_URL names one (several app replicas share a class)."""
    return DrawingStore()


def my_scope() -> Scope:
    """This person's drawings: by nickname once one is chosen (survives a reload), else
    by this browser session."""
    return Scope.person(session_id(), st.session_state.get(NICKNAME_KEY, ""))


def _nickname_changed() -> None:
    st.session_state[NICKNAME_KEY] = clean_nickname(st.session_state.get(NICKNAME_KEY, ""))
    _recount()


def nickname_input() -> None:
    """The sidebar's nickname (cleaned with clean_nickname: any script's letters and marks,
    no markup). Also starts the drawings database's health probe in the background, so the
    Draw page's label control finds an answer waiting."""
    st.text_input("Your nickname", key=NICKNAME_KEY, max_chars=24, placeholder="optional, e.g. Sam",
                  help="Keeps your labelled digits together for this session and after a reload. "
                       "No account and no other personal data.",
                  on_change=_nickname_changed)
    drawing_store().health()  # never waits: only starts a probe when the last answer is old


def _recount() -> None:
    """Count this person's saved drawings again (a label, an undo, a new nickname) for
    label_feedback, which shows the count without asking the database. Skipped when the
    store's cached health says the database is off: a callback must not wait for it."""
    store, scope = drawing_store(), my_scope()
    changes, count = store.changes(scope), None
    if store.health() is None:
        try:
            count = store.count(scope)
        except StoreUnavailable:
            pass
    st.session_state[_SAVED_COUNT] = (scope, changes, count)  # None: unknown until the next label


def saved_count() -> int | None:
    """This person's saved drawings as last counted, or None when unknown or possibly out of
    date (a label or deletion of theirs through another session since). Counted once when
    this person first shows up in the session (a new session, a nickname from the address),
    if the database answers within FIRST_WAIT s; after that no database call: the Draw page
    asks on every stroke."""
    store, scope = drawing_store(), my_scope()
    cached = st.session_state.get(_SAVED_COUNT)
    if (cached is None or cached[0] != scope) and store.health(wait=FIRST_WAIT) is None:
        _recount()
        cached = st.session_state.get(_SAVED_COUNT)
    if cached is None or cached[0] != scope or cached[1] != store.changes(scope):
        return None
    return cached[2]


def _save_label(image: np.ndarray, canvas, prediction: Prediction | None, model: ModelRef,
                label: int | None = None) -> None:
    """The "It was a" and "Not a digit" callback: store the drawing with its label (the
    tapped digit, or `label`), then clear the canvas."""
    label = st.session_state.get(LABEL_KEY) if label is None else label
    if label is None:
        return
    st.session_state[LABEL_KEY] = None
    if canvas is not None and canvas is st.session_state.get(_SAVED_CANVAS):
        return  # this very drawing was saved already (a tap's value arriving twice): once is enough
    try:
        saved = drawing_store().add(
            label=int(label), image=image, canvas=canvas, session_id=session_id(),
            nickname=st.session_state.get(NICKNAME_KEY, ""), classroom=classroom_mode(),
            predicted=prediction.digit if prediction else None,
            confidence=prediction.confidence if prediction else None, model_id=model.run_id or "shipped")
    except LabellingThrottled as exc:
        st.session_state[_FEEDBACK] = ("warning", str(exc))
        return
    except (StoreUnavailable, ValueError) as exc:
        st.session_state[_FEEDBACK] = ("error", str(exc))
        return
    if label == NOT_A_DIGIT:
        right = prediction is not None and prediction.not_sure
        text = "Saved as not a digit" + (" — the model was not sure either." if right else ".")
    else:
        right = prediction is not None and not prediction.not_sure and prediction.digit == int(label)
        text = f"Saved as {a_digit(int(label))}" + (" — the model was right." if right else ".")
    st.session_state[_FEEDBACK] = ("success", text)
    st.session_state[_LAST_SAVED] = saved.id
    st.session_state[_SAVED_CANVAS] = canvas
    _recount()
    clear_drawing()


def _undo_label() -> None:
    """Undo: delete the drawing the last tap saved (a wrong pill is one tap away)."""
    drawing_id = st.session_state.pop(_LAST_SAVED, None)
    try:
        removed = drawing_id is not None and drawing_store().delete(drawing_id, my_scope())
    except StoreUnavailable as exc:
        st.session_state[_FEEDBACK] = ("error", str(exc))
        return
    st.session_state[_FEEDBACK] = ("info", "Removed. Draw it again and pick the right label." if removed else
                                   "That drawing was already deleted.")
    _recount()


def label_control(image: np.ndarray, canvas, prediction: Prediction | None, model: ModelRef) -> None:
    """Under a prediction: one tap says what the digit really was (the model's answer is
    first and marked ✓, so "yes, right" is one tap too; after a "not sure" the digits
    stay in order, nudging to no guess). Off, with the reason in one line, when the database
    cannot take labels or does not answer within FIRST_WAIT s: asks only the store's cached
    health, so a hung database never holds the page."""
    if st.session_state.get(_FEEDBACK, ("",))[0] in _ABOUT_THE_LAST:
        st.session_state.pop(_FEEDBACK)  # a new drawing: "Saved as …" was about the last one
    problem = drawing_store().health(wait=FIRST_WAIT)
    if problem:
        st.caption(f":material/block: {problem}")
        return
    order = list(range(10))
    if prediction is not None and not prediction.not_sure:
        order.remove(prediction.digit)
        order.insert(0, prediction.digit)
    st.pills("It was a", order, key=LABEL_KEY, on_change=_save_label, args=(image, canvas, prediction, model),
             format_func=lambda d: f"{d} ✓" if prediction is not None and not prediction.not_sure
             and d == prediction.digit else str(d),
             help="Tell the model what you meant: your drawing is saved with this label for "
                  "“Your handwriting”, where you can teach the model your style.")
    st.button("Not a digit", key="not_a_digit", icon=":material/block:", type="tertiary",
              on_click=_save_label, args=(image, canvas, prediction, model, NOT_A_DIGIT),
              help="A letter, a sign, a doodle? Save it as not a digit: “Teach the model” then teaches "
                   "it to say “not sure” to drawings like it.")
    label_feedback()


def label_feedback() -> None:
    """What the last label did, once, and how many digits this person has saved (as last
    counted; no database call)."""
    kind, text = st.session_state.get(_FEEDBACK, (None, ""))
    if kind not in _ABOUT_THE_LAST:  # "Saved as …" stays until the next drawing (a rerun must not hide it)
        st.session_state.pop(_FEEDBACK, None)
    if kind == "success" and st.session_state.get(_LAST_SAVED) is not None:
        message, undo = st.columns([4, 1], vertical_alignment="center")
        message.success(text)
        undo.button("Undo label", key="undo_label", icon=":material/undo:", on_click=_undo_label,
                    help="Saved with the wrong label? Delete this drawing again")
    elif kind:
        getattr(st, kind)(text)
    saved = saved_count()
    if saved:
        st.caption(f"{saved} of your drawings saved.")
        st.page_link("views/handwriting.py", label="See them in Your handwriting", icon=":material/gesture:")
