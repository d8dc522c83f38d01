"""Class: for the projector. A live wall of the class's newest labelled digits (the ones
the model misread framed in red, its "not sure"s in grey), how the active model reads
the class's digits it never trained on (accuracy, what it misreads most, the confusion
matrix with a "?" column), and for the teacher "Teach the model on the class's digits"
and "Clear everything". Opens at /class.

Wall and numbers are one fragment that reruns every 3 s, so a Class page opened before
anyone labelled fills in by itself. In presenter mode they fit one 1920×1080 screen.

In classroom mode students' labels go to the class collection; outside it, everyone is
the teacher and the page shows everyone's digits labelled in classroom mode."""

from __future__ import annotations

import streamlit as st

from digitstudio.data.extra import NOT_A_DIGIT
from digitstudio.storage.drawings import Drawing, Scope, StoreUnavailable
from digitstudio.storage.runs import RunKind, run_kind
from ui.board import board_view, challenge_form
from ui.charts import a_digit, confusion_chart
from ui.labels import drawing_store
from ui.pictures import picture_row
from ui.presenter import class_join_link, presenting, show_join_code
from ui.resources import active_predictor, model_record, run_ref, run_store
from ui.scoring import Scores, never_trained, reads_of, score, verdict
from ui.teach import is_teacher, teach
from ui.viewport import clamp, viewport
from ui.words import counted

WALL = 40  # newest digits on the wall
REFRESH = 3  # seconds between looks at the class's digits
CLEARED = "_cleared_message"  # what "Clear everything" did, shown once
MARKS = {"misread": "#d62728", "not sure": "#9e9e9e"}  # frames on the wall; a right answer has none

WALL_CSS = """<style>
.st-key-class-live [data-testid="stImageCaption"], .st-key-class-lesson [data-testid="stImageCaption"] {
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.st-key-class-summary [data-testid="stMetricLabel"] * { white-space: normal !important; }
</style>"""
PRESENTER_CSS = """<style>
.st-key-class-live [data-testid="stImageCaption"] { font-size: 0.95rem; }
.st-key-class-summary { gap: 0.5rem; }
</style>"""


def short(label: str) -> str:
    """A model's label without its details: "Class model (fine-tune of …)" → "Class model"."""
    return label.split(" (")[0]


def _caption(drawing: Drawing, read: int | None, known: bool) -> str:
    """"7 · Ada ✓", "4→1 · Ada" (misread), "4→? · Leo" (not sure), "no digit · Sam ✓"."""
    who = drawing.nickname or "anon"
    if drawing.label == NOT_A_DIGIT:
        return f"no digit · {who}" + ("" if not known else " ✓" if read is None else f" → {read}")
    if not known or read == drawing.label:
        return f"{drawing.label} · {who}" + (" ✓" if known else "")
    return f"{drawing.label}→{'?' if read is None else read} · {who}"


def _wall(newest: list[Drawing], reads: dict[int, int | None], size: int) -> None:
    st.markdown(f"**The class's newest digits** · refreshes every {REFRESH} s · "
                ":red[red: misread] · grey: “not sure”")
    if not newest:
        st.info("No class digits yet. Students draw on the **Draw** page and tap **It was a**; in classroom mode "
                "(DIGIT_STUDIO_CLASSROOM=1) their digits land here.")
        return
    marks = [MARKS.get(verdict(d.label, reads[d.id])) if d.id in reads else None for d in newest]
    picture_row([255 - d.image for d in newest], [_caption(d, reads.get(d.id), d.id in reads) for d in newest],
                size, marks=marks)


def _misreads(scores: Scores) -> str:
    lines = [f"- a **{t}** read as **{p}** ({n}×)" for t, p, n in scores.most_misread(4)]
    if scores.not_sure:
        digits = ", ".join(a_digit(d) for d in range(10) if scores.not_sure_by_digit[d])
        lines.append(f"- “not sure” (?) {scores.not_sure}×: {digits}")
    return "**Misread most**\n\n" + ("\n".join(lines) if lines else "No misreads.")


def _summary(scores: Scores, model: str, others: list[Drawing], reads: dict, chart_height: int,
             present: bool) -> None:
    if not scores.n:
        if scores.left_out:
            st.info(f"{model} was taught all {counted(scores.left_out, 'class digit')} labelled so far: the score "
                    "waits for digits it has not seen. Keep drawing!")
        return
    top = st.columns([1.4, 1.3, 0.8] if present else [1, 1.4], vertical_alignment="top")
    with top[0]:
        st.metric(f"{model} reads the class's digits", f"{scores.accuracy:.0%}",
                  counted(scores.n, "digit") + (" it never trained on" if scores.left_out else ""),
                  delta_color="off", delta_arrow="off",
                  help="Right answers among the class's labelled digits this model never trained on; a “not sure” "
                       "(?) is not a right answer")
    top[1].markdown(_misreads(scores))
    if present:
        with top[2]:
            show_join_code(class_join_link(), 150, compact=True)
    parts = [f"✓ {scores.right} right", f"✗ {scores.misread} misread", f"? {scores.not_sure} not sure"]
    note = " · ".join(parts)
    if scores.left_out:
        note += (f". Scored only on digits it never trained on: the {counted(scores.left_out, 'digit')} it was "
                 "taught are left out" + ("" if scores.known else " (taken from when it was taught)") + ".")
    st.caption(note)
    st.altair_chart(confusion_chart(scores.confusion, scores.not_sure_by_digit, height=chart_height),
                    width="stretch")
    if others:
        unsure = sum(reads.get(d.id, 0) is None for d in others if d.id in reads)
        st.caption(f"The class saved {counted(len(others), 'drawing')} as “Not a digit”; {model} says “not sure” to "
                   f"{unsure} of them. Teaching the model on the class's drawings teaches it those too.")


@st.fragment(run_every=REFRESH)
def _live() -> None:
    """The wall and the numbers, every REFRESH s: labels from phones show up by themselves."""
    present = presenting()
    size = viewport()
    predictor, ref, _ = active_predictor()
    try:
        drawings = drawing_store().list(Scope.class_collection(), with_images=True)
    except StoreUnavailable as exc:
        st.error(str(exc))
        return
    reads = reads_of(predictor, ref, drawings) if predictor is not None else {}
    scored, _, known = never_trained(drawings, ref)
    scores = score(scored, reads)
    digits = [d for d in drawings if d.label != NOT_A_DIGIT]
    scores.known, scores.left_out = known, len(digits) - sum(d.label != NOT_A_DIGIT for d in scored)
    others = [d for d in scored if d.label == NOT_A_DIGIT]
    if present:
        height = size[1] if size else 1080
        tile = clamp((height - 330) / 6, 72, 110)
        chart = clamp(height - 640, 300, 440)
    else:
        tile, chart = 64, 360
    with st.container(key="class-live"):
        wall, summary = st.columns([1.25, 1] if present else [1, 1], gap="large")
        with wall:
            _wall(drawings[:WALL], reads, tile)
        with summary, st.container(key="class-summary"):
            if predictor is not None:
                _summary(scores, short(ref.label), others, reads, chart, present)


def _last_class_model(drawings_by_id: dict[int, Drawing]) -> tuple[dict, bool]:
    """The record of the teacher's last Teach the model and whether the class draws with it:
    the active model when it is a class fine-tune, else the newest class fine-tune whose
    held-out drawings are still in the class's collection (one the verdict did not put in
    use); ({}, False) when there is none."""
    _, ref, _ = active_predictor()
    active = model_record(ref) if ref.run_id else {}
    if run_kind(active) is RunKind.CLASS_FINETUNE and active.get("finetune"):
        return active, True
    for record in run_store().list():  # newest first
        if run_kind(record) is RunKind.CLASS_FINETUNE and record.get("finetune"):
            held = (record["finetune"].get("holdout") or {}).get("drawing_ids") or []
            return (record, False) if any(i in drawings_by_id for i in held) else ({}, False)
    return {}, False


def _lesson(drawings_by_id: dict[int, Drawing]) -> None:
    """What the teacher's last Teach the model did: before → after on the class digits it
    held out (never trained on), which they are, and MNIST's test digits before → after."""
    record, in_use = _last_class_model(drawings_by_id)
    if not record:
        return
    report = record["finetune"]
    held = report.get("holdout") or {}
    n = sum((held.get("counts") or {}).values())
    name = short(run_ref(record).label)

    def pct(value) -> str:
        return f"{value:.0%}" if value is not None else "–"

    with st.container(border=True, key="class-lesson"):
        by = "per writer and digit" if held.get("by") == "writer and digit" else "per digit"
        st.markdown(f"**What teaching did** · {name} was taught "
                    f"{counted(report.get('user_digits_trained') or 0, 'class digit')} and tested on "
                    f"{counted(n, 'drawing')} it never saw, held out {by}")
        if not in_use:
            st.caption(f"The class does not draw with it (run `{record['id']}`): make it active in **Runs**.")
        shown_metrics = []
        if report.get("user_after") is not None:
            shown_metrics.append(("Held-out class digits", pct(report.get("user_after")),
                                  f"from {pct(report.get('user_before'))}"))
        others = report.get("not_digits") or {}
        if others.get("n"):
            shown_metrics.append(("Held-out non-digits called “not sure”", pct(others.get("after")),
                                  f"from {pct(others.get('before'))}"))
        shown_metrics.append(("MNIST test digits", f"{report['mnist_after']:.1%}" if report.get("mnist_after") else "–",
                              f"from {report['mnist_before']:.1%}" if report.get("mnist_before") else None))
        for column, (label, value, before) in zip(st.columns(3), shown_metrics):
            column.metric(label, value, before, delta_color="off", delta_arrow="off")
        shown = [drawings_by_id[i] for i in held.get("drawing_ids") or [] if i in drawings_by_id]
        if shown:
            predictor, ref, _ = active_predictor()
            reads = reads_of(predictor, ref, shown) if predictor is not None and in_use else {}
            st.caption("The held-out drawings" + (", with what the class model reads now:" if reads else ":"))
            marks = [MARKS.get(verdict(d.label, reads[d.id])) if d.id in reads else None for d in shown]
            picture_row([255 - d.image for d in shown], [_caption(d, reads.get(d.id), d.id in reads) for d in shown],
                        80, marks=marks)


def class_page() -> None:
    present = presenting()
    st.html(WALL_CSS + (PRESENTER_CSS if present else ""))
    if not present:
        st.subheader("The class's digits")
    _live()
    predictor, ref, _ = active_predictor()
    try:
        drawings = drawing_store().list(Scope.class_collection(), with_images=True)
    except StoreUnavailable:
        return
    _lesson({d.id: d for d in drawings})
    teacher = is_teacher()
    board_view(teacher, present)  # the class challenge's board, live (nothing when none is open)
    if not teacher:
        st.caption("Teaching and clearing are for the teacher: the **Teacher** box in the sidebar (») takes the "
                   "passcode.")
        return
    with st.container(border=True):
        st.markdown("**Teacher**")
        cols = st.columns(2)
        if cols[0].button("Teach the model on the class's digits", type="primary", icon=":material/school:",
                          disabled=predictor is None or not drawings,
                          help="Fine-tunes the model on the class's drawings, holding out some of each student's "
                               "digits to test it honestly; the result becomes the model everyone draws with"):
            problem = teach(Scope.class_collection(), predictor.model, ref)
            (st.warning if problem else st.success)(problem or "Queued: progress below. When it finishes, it is "
                                                                "the model everyone draws with.")
        sure = cols[1].checkbox("Yes, delete every drawing on this server", key="clear_everything_sure")
        cols[1].button("Clear everything", icon=":material/delete_forever:", disabled=not sure,
                       on_click=_clear_everything,
                       help="Delete every labelled drawing on this server: the class's and everyone's own")
        if CLEARED in st.session_state:
            st.success(st.session_state.pop(CLEARED))
        challenge_form()  # open a challenge (question, budgets) or close it; folded once open


def _clear_everything() -> None:
    """Before the page is drawn again, so the wall and the counts show what is left."""
    st.session_state[CLEARED] = f"Deleted {counted(drawing_store().clear_everything(), 'drawing')}."
    st.session_state["clear_everything_sure"] = False


class_page()
