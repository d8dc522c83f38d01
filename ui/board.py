"""The class challenge and its board (digitstudio/storage/board.py), as the Class page and
the sidebar show them.

The teacher opens a challenge (a question and budgets); in classroom mode students then
train from the sidebar within the budgets, one training each, in the server's queue; every
training of the class appears on the board (who, the setup in words, test accuracy,
parameters, seconds), live, best first, with the top runs' curves overlaid; the teacher
can make any finished run the class's model. The board is in the database, so several app
servers on one PostgreSQL show the same one.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from digitstudio.modeling.naming import run_name
from digitstudio.storage.board import DEFAULT_BUDGET, QUESTION, BoardRun, Challenge, ClassBoard, budget_problem
from digitstudio.storage.drawings import StoreUnavailable
from digitstudio.training.jobs import JobSnapshot
from ui.labels import drawing_store
from ui.resources import run_ref, run_store, set_class_model, training_manager

TOP_CURVES = 5  # runs whose curves the board overlays
BOARD_CSS = """<style>.st-key-board-table table { font-size: 1.5rem; }
.st-key-board-table th { font-size: 1.2rem; }</style>"""
BUDGET_LABELS = {"max_images": "Training images", "max_epochs": "Epochs", "max_params": "Parameters",
                 "max_seconds": "Seconds of training"}


@st.cache_resource
def class_board() -> ClassBoard:
    """One board per server, in the drawings' database. Reading it loads no training code
    (the frame asks for the open challenge before the first canvas is drawn)."""
    return ClassBoard(drawing_store())


@st.cache_resource
def board_recorder() -> ClassBoard:
    """The board, listening to the server's queue: it records every challenge run the queue
    reports (`record`), whoever's session is open. Called when a challenge run is submitted."""
    board = class_board()
    training_manager().listen("class board", lambda snapshot: record(board, snapshot))
    return board


def record(board: ClassBoard, snapshot: JobSnapshot) -> None:
    """A challenge job's row on the board: queued, running, then its result."""
    challenge = snapshot.tags.get("challenge")
    if challenge is None:
        return
    state = snapshot.state
    board.record(BoardRun(
        run_id=snapshot.run_id or snapshot.job_id, nickname=snapshot.tags.get("who") or "anonymous",
        setup=run_name(snapshot.spec), status=state.value, challenge_id=int(challenge),
        server=snapshot.tags.get("server", ""), test_accuracy=snapshot.test_accuracy if state.has_model else None,
        params=snapshot.params, seconds=snapshot.train_seconds, spec=snapshot.spec.to_dict(),
        history={k: v for k, v in snapshot.history.items() if k in ("accuracy", "val_accuracy")}),
        replaces=snapshot.job_id if snapshot.run_id else None)


@st.cache_data(ttl=3, show_spinner=False)
def current_challenge() -> Challenge | None:
    """The open challenge, or None (also when the database is unavailable); asked at most
    every 3 s per server, so a full-page rerun does not wait on the database."""
    try:
        return class_board().current()
    except StoreUnavailable:
        return None


def challenge_refusal(spec) -> str:
    """In a challenge: "" when `spec` is within its budgets, else the one line why not."""
    challenge = current_challenge()
    return budget_problem(challenge, spec) if challenge is not None else ""


def challenge_form() -> None:
    """The teacher's: open a challenge with a question and budgets, or close the open one."""
    board = class_board()
    try:
        open_now = board.current()
    except StoreUnavailable as exc:
        st.caption(str(exc))
        return
    with st.expander("Class challenge" + (" · open" if open_now else ""), icon=":material/emoji_events:",
                     expanded=open_now is None):
        if open_now is not None:
            st.markdown(f"**{open_now.question}** — {open_now.budget_words()}.")
            st.button("Close the challenge", on_click=_close, args=(board,), key="close_challenge")
        question = st.text_input("Question", value=QUESTION, key="challenge_question", max_chars=200)
        cols = st.columns(len(DEFAULT_BUDGET))
        budgets = {name: cols[k].number_input(BUDGET_LABELS[name], min_value=1, value=default, step=1,
                                              key=f"challenge_{name}")
                   for k, (name, default) in enumerate(DEFAULT_BUDGET.items())}
        if st.button("Open a new challenge" if open_now else "Open the challenge", type="primary",
                     key="open_challenge"):
            board.open_challenge(question, **{k: int(v) for k, v in budgets.items()})
            current_challenge.clear()
            st.rerun()


def _close(board: ClassBoard) -> None:
    board.close_challenge()
    current_challenge.clear()


def _make_class_model(run_id: str) -> None:
    set_class_model(run_ref(run_store().get(run_id)))


@st.fragment(run_every=3)
def board_view(teacher: bool, presenting: bool = False) -> None:
    """The board, live: best first; the top runs' curves; the teacher's "make it the class's model"."""
    try:
        challenge = class_board().current()
        runs = class_board().runs(challenge.id) if challenge else []
    except StoreUnavailable as exc:
        st.caption(str(exc))
        return
    if challenge is None:
        return
    st.subheader(f"Challenge: {challenge.question}")
    st.caption(f"Budget: {challenge.budget_words()}. Test accuracy on MNIST's 10,000 test digits, which no "
               "training looks at.")
    if not runs:
        st.info("No runs yet: students train from the sidebar (☰ on a phone), within the budget.")
        return
    frame = pd.DataFrame([{
        "#": k + 1, "who": r.nickname, "setup": r.setup,
        "test accuracy": r.test_accuracy, "parameters": r.params,
        "seconds": r.seconds, "status": r.status, "run": r.run_id,
    } for k, r in enumerate(runs)])
    if presenting:  # an HTML table, in type the back of the room reads (st.dataframe draws on a canvas)
        st.html(BOARD_CSS)
        shown = frame.drop(columns=["run"]).assign(**{
            "test accuracy": frame["test accuracy"].map(lambda v: f"{v:.2%}" if pd.notna(v) else "–"),
            "parameters": frame["parameters"].map(lambda v: f"{int(v):,}" if pd.notna(v) else "–"),
            "seconds": frame["seconds"].map(lambda v: f"{v:.0f}" if pd.notna(v) else "–")})
        with st.container(key="board-table"):
            st.table(shown.head(12).set_index("#"))
    else:
        st.dataframe(frame, hide_index=True, width="stretch", column_config={
            "test accuracy": st.column_config.ProgressColumn("test accuracy", format="percent", min_value=0,
                                                             max_value=1),
            "seconds": st.column_config.NumberColumn("seconds", format="%.0f"),
            "run": st.column_config.TextColumn("run")})
    curves = [{"run": f"{r.nickname}: {r.setup}", "epoch": epoch + 1, "accuracy": value}
              for r in runs[:TOP_CURVES] for epoch, value in enumerate(r.history.get("val_accuracy")
                                                                       or r.history.get("accuracy") or [])]
    if curves and max(point["epoch"] for point in curves) > 1:  # one epoch is one dot: no curve to read
        chart = alt.Chart(pd.DataFrame(curves)).mark_line(point=True).encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("accuracy:Q", axis=alt.Axis(format=".0%"), scale=alt.Scale(zero=False)),
            color=alt.Color("run:N", legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)))
        st.altair_chart(chart, width="stretch")
        st.caption("The top runs' accuracy after each epoch of training, on their validation images (their "
                   "training images when they kept none); the table's test accuracy is on MNIST's 10,000 test "
                   "digits.")
    if teacher:
        finished = [r for r in runs if r.test_accuracy is not None and run_store_has(r.run_id)]
        if finished:
            pick, button = st.columns([3, 1], vertical_alignment="bottom")
            chosen = pick.selectbox("Make a run the class's model", [r.run_id for r in finished],
                                    format_func=lambda i: next(f"{r.nickname}: {r.setup} ({r.test_accuracy:.2%})"
                                                               for r in finished if r.run_id == i),
                                    key="board_pick")
            button.button("Make it the class's model", on_click=_make_class_model, args=(chosen,),
                          key="board_make_model", type="primary")


def run_store_has(run_id: str) -> bool:
    try:
        return run_store().get(run_id).get("has_model", False)
    except (LookupError, ValueError):
        return False
