"""The class challenge and its board (storage/board.py, ui/board.py): budgets refused in one
line before anything trains, the time budget, runs recorded through the queue, and one board
seen by two app servers sharing a PostgreSQL database."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from digitstudio.modeling.spec import ModelSpec, parse_layers
from digitstudio.storage.board import BoardRun, ClassBoard, budget_problem
from digitstudio.storage.drawings import DrawingStore
from digitstudio.storage.runs import RunStore
from digitstudio.training.fit import train
from digitstudio.training.queue import TrainingManager

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PG_URL = os.environ.get("DIGIT_STUDIO_TEST_POSTGRES_URL", "").strip()
SMALL = ModelSpec(layers=parse_layers("dense:32:relu"), epochs=2, train_size=2000, validation_split=0.1)


@pytest.fixture
def board(tmp_path):
    store = DrawingStore(data_dir=tmp_path)
    yield ClassBoard(store)
    store.close()


def test_budgets_are_refused_in_one_line_that_says_how_to_get_under(board):
    challenge = board.open_challenge("Best accuracy under 50,000 parameters", max_images=5000, max_epochs=3,
                                     max_params=50_000, max_seconds=60)
    assert board.current() == challenge
    assert budget_problem(challenge, SMALL) == ""
    for spec, words in ((SMALL.replace(train_size=None), "set Training images to 5,000 or fewer"),
                        (SMALL.replace(epochs=5), "set Epochs to 3 or fewer"),
                        (SMALL.replace(layers=parse_layers("dense:512")), "this network has 407,050")):
        message = budget_problem(challenge, spec)
        assert words in message and "\n" not in message
    again = board.open_challenge("Which learning rate trains fastest?")
    assert board.current() == again and again.id != challenge.id  # one open challenge at a time
    board.close_challenge()
    assert board.current() is None


def test_the_time_budget_stops_a_training_and_keeps_its_model(small_mnist):
    result = train(SMALL.replace(epochs=200), small_mnist, max_seconds=2)
    assert result.status == "stopped" and result.model is not None
    assert result.message.startswith("Stopped at the time budget (2 s)")
    assert len(result.history["loss"]) < 200


def test_the_queue_records_a_challenge_run_from_queued_to_scored(board, tmp_path, small_mnist):
    challenge = board.open_challenge()
    manager = TrainingManager(RunStore(tmp_path / "runs"), lambda: small_mnist)
    seen = []

    def on_change(snapshot):
        seen.append(snapshot.state.value)
        from ui.board import record

        record(board, snapshot)

    manager.listen("board", on_change)
    try:
        job = manager.submit(SMALL, owner="sam", tags={"challenge": challenge.id, "who": "Sam"})
        done = manager.wait(job, 120)
        deadline = time.monotonic() + 10
        while "completed" not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        manager.shutdown()
    assert seen[0] == "queued" and "running" in seen and seen[-1] == "completed"
    [row] = board.runs(challenge.id)
    assert (row.run_id, row.nickname, row.status) == (done.run_id, "Sam", "completed")
    assert row.test_accuracy == pytest.approx(done.test_accuracy) and row.params == 25_450
    assert row.setup and row.history["val_accuracy"]


def _drop_board_tables(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS class_runs, class_challenges"))
    engine.dispose()


def test_two_app_servers_on_one_postgresql_show_the_same_board():
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("DIGIT_STUDIO_TEST_POSTGRES_URL is not set in CI: scripts/test.sh starts PostgreSQL")
        pytest.skip("PostgreSQL board test SKIPPED: DIGIT_STUDIO_TEST_POSTGRES_URL is not set (scripts/test.sh "
                    "sets it as root)")
    _drop_board_tables(PG_URL)
    first, second = DrawingStore(PG_URL), DrawingStore(PG_URL)  # two servers: two pools, one database
    try:
        one, two = ClassBoard(first), ClassBoard(second)
        challenge = one.open_challenge("Best test accuracy")
        assert two.current() == challenge
        one.record(BoardRun("run-a", "Sam", "Dense 32 · Adam 0.001 · 2 ep", "completed", challenge.id,
                            server="one", test_accuracy=0.95, params=25_450, seconds=3.0))
        two.record(BoardRun("job-b", "Ana", "Dense 64 · Adam 0.001 · 2 ep", "running", challenge.id, server="two"))
        two.record(BoardRun("run-b", "Ana", "Dense 64 · Adam 0.001 · 2 ep", "completed", challenge.id,
                            server="two", test_accuracy=0.96, params=50_890, seconds=4.0), replaces="job-b")
        for board in (one, two):
            assert [(r.run_id, r.server) for r in board.runs(challenge.id)] == [("run-b", "two"), ("run-a", "one")]
    finally:
        first.close()
        second.close()


def test_a_student_over_budget_is_refused_before_anything_trains(mnist_path, monkeypatch, tmp_path):
    import streamlit as st

    for name, value in {"MNIST_NPZ": str(mnist_path), "DIGIT_STUDIO_RUNS": str(tmp_path / "runs"),
                        "DIGIT_STUDIO_DATA": str(tmp_path / "data"), "DIGIT_STUDIO_CLASSROOM": "1"}.items():
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        ClassBoard(DrawingStore(data_dir=tmp_path / "data")).open_challenge(max_images=5000, max_epochs=2)
        at = AppTest.from_file(APP, default_timeout=120).run()
        assert any("Class challenge" in i.value for i in at.sidebar.info)
        at.sidebar.number_input(key="f_train_size").set_value(20_000).run()
        next(b for b in at.sidebar.button if b.label == "Train").click().run()
        assert any("set Training images to 5,000 or fewer" in e.value for e in at.sidebar.error)
        from ui.session import JOB_KEY

        assert JOB_KEY not in at.session_state
        from ui.resources import training_manager

        assert training_manager().snapshot(None) is None and not training_manager()._jobs  # nothing queued
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_the_teacher_opens_a_challenge_on_the_class_page_and_the_board_shows_its_runs(isolated_app):
    """Outside classroom mode everyone is the teacher: the Class page's form opens the
    challenge, the board lists the class's runs best first, and the teacher can make one the
    class's model."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("views/class_view.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="challenge_question").set_value("Best accuracy in 2 epochs")
    at.number_input(key="challenge_max_epochs").set_value(2)
    next(b for b in at.button if b.key == "open_challenge").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(h.value == "Challenge: Best accuracy in 2 epochs" for h in at.subheader)
    from ui.board import class_board

    challenge = class_board().current()
    assert challenge is not None and challenge.max_epochs == 2
    class_board().record(BoardRun("run-x", "Ada", "Dense 32 · Adam 0.001 · 2 ep", "completed", challenge.id,
                                  test_accuracy=0.95, params=25_450, seconds=3.0))
    class_board().record(BoardRun("run-y", "Leo", "Dense 64 · Adam 0.001 · 2 ep", "completed", challenge.id,
                                  test_accuracy=0.97, params=50_890, seconds=4.0))
    at.run()
    board = next(frame.value for frame in at.dataframe if "who" in frame.value.columns)
    assert list(board["who"]) == ["Leo", "Ada"]
    projector = AppTest.from_file(APP, default_timeout=120)
    projector.query_params["present"] = "1"
    projector.run().switch_page("views/class_view.py").run()
    table = next(t.value for t in projector.table if "who" in t.value.columns)  # HTML, large type
    assert list(table["who"]) == ["Leo", "Ada"] and list(table["test accuracy"]) == ["97.00%", "95.00%"]
    next(b for b in at.button if b.key == "close_challenge").click().run()
    assert class_board().current() is None
    assert not any(h.value.startswith("Challenge:") for h in at.subheader)
