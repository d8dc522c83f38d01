"""The training panel's controls through AppTest: Pause, Step, a learning-rate change,
Resume, the replay slider, the range test's "Use" button, and who may press them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from digitstudio.modeling.spec import ModelSpec, parse_layers
from testkit.apptest import WAIT, new_app, set_drawing
from testkit.canvas import canvas_from_digit
from testkit.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
LONG = ModelSpec(layers=parse_layers("dense:16:relu"), epochs=100, batch_size=16, train_size=2000)

pytestmark = pytest.mark.skipif(not (ROOT / "model" / "digit_cnn.keras").exists(), reason="no shipped model")


@pytest.fixture(autouse=True)
def no_training_left(isolated_app):
    """conftest.py's isolated_app, and no training left running after a test."""
    yield
    from ui.resources import training_manager

    training_manager().shutdown(wait=True, timeout=WAIT)


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no {label!r} button; buttons: {[b.label for b in at.button]}"
    return found[0]


def done_batches(snapshot) -> int:
    return (snapshot.progress.epoch - 1) * snapshot.progress.batches + snapshot.progress.batch


def test_pause_step_change_the_rate_resume_and_replay_from_the_panel():
    from ui.resources import training_manager
    from ui.session import JOB_KEY

    at = new_app().run()
    at.sidebar.number_input(key="f_train_size").set_value(2000)
    at.sidebar.number_input(key="f_epochs").set_value(100)
    at.sidebar.number_input(key="f_batch_size").set_value(16)
    next(b for b in at.sidebar.button if b.label == "Train").click().run()
    manager, job = training_manager(), at.session_state[JOB_KEY]
    wait_until(lambda: manager.snapshot(job).progress.batch > 0)
    at.run()
    button(at, "Pause").click().run()
    assert manager.snapshot(job).state == "paused"
    wait_until(lambda: any(shot.kind == "step" for shot in manager.snapshot(job).insides))  # it holds
    held = done_batches(manager.snapshot(job))
    at.run()
    assert "paused" in at.get("progress")[0].proto.text
    assert not button(at, "Step").disabled and button(at, "Resume")
    button(at, "Step").click().run()
    wait_until(lambda: len([s for s in manager.snapshot(job).insides if s.kind == "step"]) >= 2)
    assert done_batches(manager.snapshot(job)) == held + 1  # exactly one batch

    at.number_input(key=f"lr_now_{job}").set_value(0.02)
    button(at, "Change").click().run()
    assert not [w for w in at.warning if "not yours" in w.value]
    button(at, "Step").click().run()
    wait_until(lambda: manager.snapshot(job).lr_changes)
    assert manager.snapshot(job).lr_changes == ((held + 1, 0.02),)
    at.run()
    assert any(f"0.02 from batch {held + 2}" in c.value for c in at.caption)  # 1-based: the batch after the Step

    epochs_before = sum(shot.kind == "epoch" for shot in manager.snapshot(job).insides)
    button(at, "Epoch").click().run()  # to the end of this epoch, then hold again
    wait_until(lambda: sum(shot.kind == "epoch" for shot in manager.snapshot(job).insides) > epochs_before)
    time.sleep(0.5)
    at_end = manager.snapshot(job)
    assert at_end.state == "paused" and at_end.insides[-1].kind == "epoch"
    assert done_batches(at_end) == at_end.insides[-1].step and at_end.insides[-1].step % at_end.progress.batches == 0

    button(at, "Resume").click().run()
    assert manager.snapshot(job).state == "running"
    wait_until(lambda: done_batches(manager.snapshot(job)) > held + 5)
    at.run()
    button(at, "Stop").click().run()
    final = manager.wait(job, WAIT)
    assert final.state == "stopped" and final.spec.lr_changes == f"{held + 1}:0.02"
    at.run()
    assert not at.exception
    slider = at.select_slider(key=f"replay_{job}_slider")
    assert any(label.startswith("step") for label in slider.options)  # the holds after each Step
    assert slider.value == len(slider.options) - 1  # it opens at the last snapshot
    slider.set_value(0).run()  # scrub back to the first snapshot
    assert not at.exception
    assert at.select_slider(key=f"replay_{job}_slider").value == 0


def test_the_panel_offers_controls_only_to_the_session_that_started_the_job(monkeypatch):
    import ui.training_status
    from ui.resources import training_manager
    from ui.session import JOB_KEY

    at = new_app().run()
    manager = training_manager()
    job = manager.submit(LONG, owner="someone-else")
    wait_until(lambda: manager.snapshot(job).progress.batch > 0)
    at.session_state[JOB_KEY] = job
    at.run()
    assert at.get("progress"), "the panel shows the training"
    assert not [b for b in at.button if b.label in ("Pause", "Step", "Stop", "Change")]

    monkeypatch.setattr(ui.training_status, "session_id", lambda: "someone-else")  # now it is this session's
    at.run()
    assert button(at, "Pause") and button(at, "Stop")

    monkeypatch.setenv("DIGIT_STUDIO_CLASSROOM", "1")  # there only the teacher starts one (the class fine-tune)
    at.run()
    assert button(at, "Pause") and button(at, "Stop")
    monkeypatch.setattr(ui.training_status, "session_id", lambda: "a-student")
    at.run()
    assert at.get("progress") and not [b for b in at.button if b.label in ("Pause", "Step", "Stop", "Change")]
    manager.stop(job)
    manager.wait(job, WAIT)


def test_find_a_learning_rate_fills_the_sidebar_control():
    from ui.resources import training_manager
    from ui.session import JOB_KEY, RANGE_KEY

    at = new_app().run()
    at.sidebar.number_input(key="f_train_size").set_value(2000)
    next(b for b in at.sidebar.button if b.label == "Find a learning rate").click().run()
    assert not at.exception
    job = at.session_state[RANGE_KEY]
    assert JOB_KEY not in at.session_state  # the search is not the session's training
    snapshot = training_manager().wait(job, WAIT)
    assert snapshot.kind == "lr_range" and snapshot.details["suggestion"], snapshot.message
    at.run()
    use = next(b for b in at.sidebar.button if b.label.startswith("Use "))  # under Learning rate
    use.click().run()
    expected = float(f"{snapshot.details['suggestion']:.2g}")
    assert at.sidebar.number_input(key="f_learning_rate").value == pytest.approx(expected)
    assert "active_model" not in at.session_state  # a range test trains no model for the session


def _replay_page(run_id: str) -> None:
    from ui.replay import run_replay

    run_replay(run_id)


def test_run_replay_scrubs_a_saved_run_and_explains_a_run_without_snapshots():
    from ui.resources import run_store, training_manager

    manager = training_manager()
    snap = manager.wait(manager.submit(LONG.replace(epochs=2, batch_size=64), owner="x"), WAIT)
    assert snap.state == "completed" and len(snap.insides) == 2
    at = AppTest.from_function(_replay_page, args=(snap.run_id,), default_timeout=WAIT).run()
    assert not at.exception
    slider = at.select_slider(key=f"run_replay_{snap.run_id}_slider")
    assert slider.options == ["epoch 1", "epoch 2"] and slider.value == 1
    slider.set_value(0).run()
    assert not at.exception and any("held-out digits" in m.value for m in at.markdown)

    (run_store().resolve(snap.run_id) / "insides.npz").unlink()
    at = AppTest.from_function(_replay_page, args=(snap.run_id,), default_timeout=WAIT).run()
    assert any("no snapshots" in c.value for c in at.caption)


def _drawing_page() -> None:
    import streamlit as st

    from ui.drawing import submission_drawing

    drawing = submission_drawing()
    st.write("none" if drawing is None else f"{drawing.shape} {drawing.dtype} {drawing.max():.2f}")


def test_submission_drawing_is_the_drawing_as_the_model_sees_it(mnist):
    at = AppTest.from_function(_drawing_page, default_timeout=WAIT).run()
    assert at.markdown[0].value == "none"  # nothing drawn
    set_drawing(at, canvas_from_digit(mnist.x_test[0])).run()
    assert at.markdown[0].value.startswith("(28, 28) float32")


def test_a_reload_mid_training_finds_the_training_and_its_setup_again():
    """A reload is a new session: the address's ?job=… (set by Train) hands the training to it,
    with its panel and Stop, and the sidebar shows the setup that is training, not the defaults."""
    from ui.resources import training_manager
    from ui.session import JOB_KEY

    at = new_app().run()
    at.sidebar.number_input(key="f_train_size").set_value(2000)
    at.sidebar.number_input(key="f_epochs").set_value(40)
    at.sidebar.selectbox(key="f_optimizer").set_value("adam").run()
    button(at.sidebar, "Train").click().run()
    job = at.session_state[JOB_KEY]
    assert at.query_params["job"] == [job] or at.query_params["job"] == job
    assert any("Your training:" in c.value for c in at.sidebar.caption)  # where it is, under Train
    wait_until(lambda: training_manager().snapshot(job).state == "running", WAIT)

    reloaded = new_app(job=job).run()  # the same address, a new session
    assert reloaded.session_state[JOB_KEY] == job
    assert reloaded.sidebar.number_input(key="f_epochs").value == 40
    assert reloaded.sidebar.number_input(key="f_train_size").value == 2000
    assert reloaded.sidebar.selectbox(key="f_optimizer").value == "adam"
    button(reloaded, "Stop").click().run()  # the controls are the reloaded page's now
    assert training_manager().wait(job, WAIT).state in ("stopped", "completed")
    stranger = new_app(job="0123456789ab").run()  # an unknown id: nothing restored, the address cleaned
    assert JOB_KEY not in stranger.session_state and "job" not in stranger.query_params
