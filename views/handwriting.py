"""Your handwriting: the digits you labelled with "It was a" (and the drawings you saved
as "Not a digit"), how well the active model reads them, and "Teach the model" to
fine-tune it on them. Opens at /handwriting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from digitstudio.data.extra import NOT_A_DIGIT
from digitstudio.storage.drawings import StoreUnavailable
from digitstudio.training.finetune import MIN_DIGITS, holdout_split
from digitstudio.training.jobs import JobState
from ui.charts import per_class_chart
from ui.labels import drawing_store, my_scope
from ui.pictures import picture_row
from ui.resources import active_predictor, run_store, training_manager
from ui.scoring import never_trained, reads_of, score, verdict
from ui.session import JOB_KEY, NICKNAME_KEY
from ui.teach import STUDENT_TEACH, TEACH_SETTINGS, is_teacher, teach
from ui.words import counted

PER_DIGIT = 16  # drawings shown per digit


def _gallery(drawings: dict, reads: dict[int, int | None]) -> None:
    """Each label's newest drawings; `reads`: drawing id → the digit the model reads,
    None for "not sure" (a "?" is not a misread digit: it is counted apart)."""
    for label in (*range(10), NOT_A_DIGIT):
        shown = drawings.get(label) or []
        if not shown:
            continue
        verdicts = [verdict(label, reads[d.id]) for d in shown if d.id in reads]
        wrong, unsure = verdicts.count("misread"), verdicts.count("not sure")
        name = "Not a digit" if label == NOT_A_DIGIT else str(label)
        st.markdown(f"**{name}** · {len(shown)} shown" + (f" · :red[{wrong} misread]" if wrong else "")
                    + (f" · {unsure} “not sure”" if unsure else ""))
        pictures = [255 - d.image for d in shown]  # dark ink on white reads better on a projector
        picture_row(pictures, [_caption(d.id, label, reads) for d in shown], 64)


def _caption(drawing_id: int, label: int, reads: dict[int, int | None]) -> str:
    if drawing_id not in reads:  # no model loaded
        return f"#{drawing_id}"
    read = reads[drawing_id]
    if label == NOT_A_DIGIT:
        return f"#{drawing_id} not sure ✓" if read is None else f"#{drawing_id} read as {read} ✗"
    if read is None:
        return f"#{drawing_id} not sure ?"
    return f"#{drawing_id} ✓" if read == label else f"#{drawing_id} read as {read} ✗"


def _comparison(run: dict) -> None:
    """A fine-tune's before → after, side by side."""
    report = run.get("finetune") or {}
    if not report:
        return
    others = report.get("not_digits") or {}
    trained_others = report.get("user_not_digits_trained") or 0
    held = sum((report.get("holdout") or {}).get("counts", {}).values()) + (others.get("n") or 0)
    trained = [f"{report['user_digits_trained']} of your digits" if report.get("user_digits_trained") else "",
               counted(trained_others, "not-a-digit drawing") if trained_others else ""]
    st.markdown(f"**Last fine-tune** (run `{run['id']}`, kept in **Runs**: after a reload, make it active there "
                f"again): trained on {' and '.join(part for part in trained if part)}, tested on {held} it never "
                "saw.")

    def pct(value) -> str:
        return f"{value:.1%}" if value is not None else "–"

    shown = [("MNIST test digits", report.get("mnist_before"), report.get("mnist_after"))]
    if report.get("user_after") is not None:  # some digits were held out
        shown.insert(0, ("Your held-out digits", report.get("user_before"), report.get("user_after")))
    if others.get("n"):
        shown.append(("Held-out non-digits called “not sure”", others.get("before"), others.get("after")))
    for col, (name, before, after) in zip(st.columns(len(shown)), shown):
        col.metric(name, pct(after), f"from {pct(before)}", delta_color="off", delta_arrow="off")
    rows = [{"digit": str(digit), "held out": entry["n"], "before": entry.get("before"), "after": entry.get("after")}
            for digit, entry in sorted((int(k), v) for k, v in (report.get("user_by_digit") or {}).items())
            if entry.get("n")]  # only what was held out: a digit with none has nothing to show
    if others.get("n"):
        rows.append({"digit": "not a digit (“not sure”)", "held out": others["n"], "before": others.get("before"),
                     "after": others.get("after")})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"before": st.column_config.NumberColumn(format="percent"),
                                    "after": st.column_config.NumberColumn(format="percent")})


def handwriting_page() -> None:
    store = drawing_store()
    predictor, ref, _ = active_predictor()
    try:
        scope = my_scope()
        mine = list(reversed(store.list(scope, with_images=True)))  # oldest first, as arrays() gives them
        drawings = store.gallery(scope, per_digit=PER_DIGIT)
    except StoreUnavailable as exc:
        st.error(str(exc))
        return
    digits = [d for d in mine if d.label != NOT_A_DIGIT]
    others = [d for d in mine if d.label == NOT_A_DIGIT]
    st.subheader("Your handwriting")
    if not st.session_state.get(NICKNAME_KEY):
        st.caption(":material/info: Without a nickname your digits belong to this browser tab: give one on the "
                   "**Draw** page (or in the sidebar) to find them again after a reload. (Anyone using the same "
                   "nickname shares them.)")
    if not mine:
        st.info("No digits yet. On the **Draw** page, draw a digit and tap what it really was under "
                "**It was a** (or **Not a digit** for a letter, a sign or a doodle): each one is saved here."
                + ("" if st.session_state.get(NICKNAME_KEY) else " Saved some under a nickname before? Enter it "
                   "on the Draw page or in the sidebar to see them again."))
        return
    reads: dict[int, int | None] = {}
    if predictor is not None:
        reads = reads_of(predictor, ref, mine)
        scored, _, known = never_trained(mine, ref)
        scores = score(scored, reads)
        scores.left_out = len(digits) - sum(d.label != NOT_A_DIGIT for d in scored)
        name = ref.label.split(" (")[0]
        left, right = st.columns([1.4, 2.5])
        if scores.n:
            left.metric(f"{name} reads your digits", f"{scores.accuracy:.0%}",
                        counted(scores.n, "digit") + (" it never trained on" if scores.left_out else ""),
                        delta_color="off", delta_arrow="off",
                        help="Right answers among your labelled digits this model never trained on; a “not sure” "
                             "(?) is not a right answer")
            pairs = scores.most_misread(3)
            note = ("Misread most: " + ", ".join(f"a {t} as {p} ({n}×)" for t, p, n in pairs)) if pairs else \
                "No misreads."
            if scores.not_sure:
                note += f" “Not sure” (?) to {counted(scores.not_sure, 'digit')}."
            if scores.left_out:
                note += f" The {counted(scores.left_out, 'digit')} it was taught are left out."
            left.caption(note)
            right.altair_chart(per_class_chart(scores.per_digit()).properties(height=200), width="stretch")
        elif scores.left_out:
            left.info(f"{name} was taught all {counted(scores.left_out, 'digit')} of yours: draw new ones to see "
                      "how well it reads them.")
        held_others = [d for d in scored if d.label == NOT_A_DIGIT and d.id in reads]
        if held_others:
            unsure = sum(reads[d.id] is None for d in held_others) / len(held_others)
            left.metric("Your non-digits called “not sure”", f"{unsure:.0%}", counted(len(held_others), "drawing"),
                        delta_color="off", delta_arrow="off",
                        help="Drawings you saved as “Not a digit”: the share the model answers “?” "
                             "(top probability under its threshold)"
                             + ("" if predictor.threshold is not None else "; this model has no threshold"))
    labels = np.array([d.label for d in digits] + [NOT_A_DIGIT] * len(others), np.uint8)
    _teach_box(labels, predictor, ref)
    job = training_manager().snapshot(st.session_state.get(JOB_KEY))
    if job is not None and job.state is JobState.COMPLETED and job.run_id and job.kind.is_finetune:
        _comparison(run_store().get(job.run_id))
    _gallery(drawings, reads)
    _manage(scope, [d.id for d in digits] + [d.id for d in others])


def _teach_box(labels: np.ndarray, predictor, ref) -> None:
    """The Teach the model card; `labels` (n,): the person's drawings' labels (10 = not a digit)."""
    count = len(labels)
    with st.container(border=True):
        st.markdown("**Teach the model your handwriting**")
        st.caption("Fine-tunes the model you draw with on your drawings, mixed half and half with MNIST so it "
                   "does not forget MNIST. Some of your drawings are held out to show the gain honestly.")
        with st.expander("How it works", icon=":material/info:"):
            st.caption("Each batch is half your drawings and half MNIST digits it already knows (experience "
                       "replay, Robins 1995; Chaudhry et al. 2019): with only your digits it would forget MNIST. "
                       "Drawings you saved as “Not a digit” are taught as “no digit stands out” (equal probability "
                       "for all ten: outlier exposure, Hendrycks et al. 2019), so it learns to say “not sure” to "
                       "drawings like them. About a fifth of your drawings are held out (at least one of each "
                       "digit you labelled twice or more, so with a few of each it is up to half) and scored "
                       "before → after, on drawings it was not taught. With few drawings that is a small, noisy "
                       "test.")
        why_not = f"Label at least {MIN_DIGITS} drawings first ({count} so far)." if count < MIN_DIGITS else ""
        if not why_not:
            _, held = holdout_split(labels, TEACH_SETTINGS.holdout_fraction, TEACH_SETTINGS.seed)
            st.caption(f"Now: it would train on {count - len(held)} of your {count} drawings and hold out "
                       f"{len(held)}.")
        if predictor is None:
            why_not = "No model is loaded."
        if not is_teacher():
            why_not = STUDENT_TEACH
        if st.button("Teach the model", type="primary", icon=":material/school:", disabled=bool(why_not),
                     help=why_not or f"Fine-tune {ref.label} on your {count} drawings (about half a minute)"):
            problem = teach(my_scope(), predictor.model, ref)
            if problem:
                st.warning(problem)
            else:
                st.success("Queued: the progress shows below. The result becomes your model (and stays in "
                           "**Runs**).")
        elif why_not:
            st.caption(why_not)


def _manage(scope, ids: list[int]) -> None:
    store = drawing_store()
    with st.expander("Download or delete", icon=":material/folder_open:"):
        try:
            data = store.export_zip(scope)
            st.download_button("Download my digits (.zip: MNIST-format .npz + the canvas images)", data=data,
                               file_name="my-digits.zip", mime="application/zip", icon=":material/download:",
                               help="digits.npz holds x (uint8 28×28, as the model sees them) and y (labels): "
                                    "train on them with `python train.py --extra-data digits.npz`")
        except (ValueError, StoreUnavailable) as exc:
            st.caption(str(exc))
        chosen = st.multiselect("Delete these drawings", ids, format_func=lambda i: f"#{i}", key="delete_ids")
        left, right = st.columns(2)
        left.button("Delete the chosen ones", disabled=not chosen, on_click=_delete, args=(scope, False))
        sure = right.checkbox(f"Yes, delete all {len(ids)} of mine", key="delete_all_sure")
        right.button("Delete all of mine", type="secondary", on_click=_delete, args=(scope, True), disabled=not sure)


def _delete(scope, everything: bool) -> None:
    """Before the page is drawn again, so the gallery and the chooser show what is left."""
    store = drawing_store()
    if everything:
        store.delete_all(scope)
    else:
        for drawing_id in st.session_state.get("delete_ids", []):
            store.delete(drawing_id, scope)
    st.session_state["delete_ids"] = []
    st.session_state["delete_all_sure"] = False


handwriting_page()
