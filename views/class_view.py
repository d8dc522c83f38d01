"""Class: for the projector. A live wall of the class's newest labelled digits, how the
active model reads them (confusion matrix, the digits it misreads most), and for the
teacher "Teach the model on the class's digits" and "Clear everything". Opens at /class.

In classroom mode students' labels go to the class collection; outside it, everyone is
the teacher and the page shows everyone's digits labelled in classroom mode."""

from __future__ import annotations

import streamlit as st

from digitstudio.data.extra import NOT_A_DIGIT
from digitstudio.drawing.predict import not_sure_rows
from digitstudio.explain.accuracy import most_confused
from digitstudio.explain.inspection import evaluation_from_probabilities
from digitstudio.pixels import to_unit
from digitstudio.storage.drawings import Scope, StoreUnavailable
from ui.charts import confusion_chart
from ui.labels import drawing_store
from ui.pictures import picture_row
from ui.resources import active_predictor
from ui.teach import is_teacher, teach, teacher_login
from ui.words import counted

WALL = 40  # newest digits on the wall
CLEARED = "_cleared_message"  # what "Clear everything" did, shown once


@st.fragment(run_every=3)
def _wall() -> None:
    try:
        newest = drawing_store().list(Scope.class_collection(), limit=WALL, with_images=True)
    except StoreUnavailable as exc:
        st.error(str(exc))
        return
    st.markdown("**The class's newest digits** · refreshes every 3 s")
    if not newest:
        st.info("No class digits yet. Students draw on the **Draw** page and tap **It was a**; in classroom mode "
                "(DIGIT_STUDIO_CLASSROOM=1) their digits land here.")
        return
    names = ["not a digit" if d.label == NOT_A_DIGIT else str(d.label) for d in newest]
    picture_row([255 - d.image for d in newest], [f"{name} · {d.nickname or 'anon'}" for name, d in zip(names, newest)],
                56)


def class_page() -> None:
    st.subheader("The class's digits")
    _wall()
    predictor, ref, _ = active_predictor()
    store = drawing_store()
    try:
        x, y, _ = store.arrays(Scope.class_collection())
        others, _, _ = store.arrays(Scope.class_collection(), not_digits=True)
    except StoreUnavailable:
        return
    if len(y) and predictor is not None:
        probs = predictor.probabilities(to_unit(x)).reshape(-1, 10)
        ev = evaluation_from_probabilities(probs, y)
        left, right = st.columns([1, 1.4])
        left.metric(f"{ref.label} reads the class's digits", f"{ev.accuracy:.0%}", counted(ev.n, "digit"),
                    delta_color="off", delta_arrow="off")
        worst = most_confused(y, ev.predictions, top=5)
        left.markdown("**Misread most**\n\n" + "\n".join(f"- a **{t}** read as **{p}** ({n}×)" for t, p, n in worst)
                      if worst else "No misreads.")
        with right:
            st.altair_chart(confusion_chart(ev), width="stretch")
    if len(others) and predictor is not None:
        unsure = int(not_sure_rows(predictor.probabilities(to_unit(others)),
                                   predictor.threshold).sum())
        st.caption(f"The class saved {counted(len(others), 'drawing')} as “Not a digit”; {ref.label} says "
                   f"“not sure” to {unsure} of them. Teaching the model on the class's drawings teaches it those too.")
    teacher_login()
    if not is_teacher():
        st.caption("Teaching and clearing are for the teacher.")
        return
    with st.container(border=True):
        st.markdown("**Teacher**")
        cols = st.columns(2)
        if cols[0].button("Teach the model on the class's digits", type="primary", icon=":material/school:",
                          disabled=predictor is None or len(y) + len(others) == 0):
            problem = teach(Scope.class_collection(), predictor.model, ref)
            (st.warning if problem else st.success)(problem or "Queued: progress below. When it finishes, it is "
                                                                "the model everyone draws with.")
        sure = cols[1].checkbox("Yes, delete every drawing on this server", key="clear_everything_sure")
        cols[1].button("Clear everything", icon=":material/delete_forever:", disabled=not sure,
                       on_click=_clear_everything,
                       help="Delete every labelled drawing on this server: the class's and everyone's own")
        if CLEARED in st.session_state:
            st.success(st.session_state.pop(CLEARED))


def _clear_everything() -> None:
    """Before the page is drawn again, so the wall and the counts show what is left."""
    st.session_state[CLEARED] = f"Deleted {counted(drawing_store().clear_everything(), 'drawing')}."
    st.session_state["clear_everything_sure"] = False


class_page()
