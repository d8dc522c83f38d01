"""The "teach it your handwriting" loop through AppTest: the It was a control on the
Draw page, the Your handwriting page (gallery, accuracy, delete, export) and Teach the
model, and the Class page for the projector."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitstudio.training.finetune import FinetuneSettings
from testkit.apptest import current_drawing, label, new_app, not_a_digit, set_drawing
from testkit.canvas import canvas_from_digit
from testkit.style_strokes import ISSUE_INPUTS, NON_DIGITS, render

pytestmark = pytest.mark.usefixtures("isolated_app")


def test_it_was_a_saves_the_drawing_clears_the_canvas_and_counts(small_mnist):
    at = new_app().run()
    assert not at.get("button_group")  # an empty canvas cannot be labelled
    at = label(at, canvas_from_digit(small_mnist.x_test[0]), int(small_mnist.y_test[0]))
    assert not at.exception
    assert current_drawing(at) is None  # cleared, ready for the next
    assert any("Saved as a" in s.value for s in at.success)
    assert any("1 of your drawings saved" in c.value for c in at.caption)
    at = label(at, canvas_from_digit(small_mnist.x_test[1]), 3)
    assert any("2 of your drawings saved" in c.value for c in at.caption)


def test_your_handwriting_shows_them_and_teaches_the_model(small_mnist, monkeypatch):
    import ui.teach as handwriting

    monkeypatch.setattr(handwriting, "TEACH_SETTINGS", FinetuneSettings(steps=8, epochs=2, batch_size=16))
    at = new_app(timeout=180).run()
    at.sidebar.text_input(key="nickname").input("<b>Sam</b>").run()
    assert at.session_state["nickname"] == "Sam"  # markup stripped
    for i in range(12):
        at = label(at, canvas_from_digit(small_mnist.x_test[i]), int(small_mnist.y_test[i]))
    at.switch_page("views/handwriting.py").run()
    assert not at.exception
    assert any("reads your digits" in m.label for m in at.metric)
    teach = next(b for b in at.button if b.label == "Teach the model")
    assert not teach.disabled
    teach.click().run()
    from ui.resources import training_manager
    from ui.session import JOB_KEY

    snapshot = training_manager().wait(at.session_state[JOB_KEY], timeout=300)
    assert snapshot.state == "completed", snapshot.message
    assert snapshot.label == "fine-tune of shipped CNN" and "fine-tune-of-shipped-cnn" in snapshot.run_id
    at.run()
    at.run()
    active = at.session_state["active_model"]
    assert active.run_id == snapshot.run_id  # the fine-tune reads your drawings now
    assert "(fine-tune of shipped CNN on " in active.label and " drawn digits, " in active.label  # says what it is
    assert any(m.label == "Your held-out digits" for m in at.metric)
    # delete all of mine: only once it is confirmed
    assert next(b for b in at.button if b.label == "Delete all of mine").disabled
    at.checkbox(key="delete_all_sure").check().run()
    next(b for b in at.button if b.label == "Delete all of mine").click().run()
    assert any("No digits yet" in i.value for i in at.info)


def test_the_teach_button_waits_for_ten_digits(small_mnist):
    at = new_app().run()
    at = label(at, canvas_from_digit(small_mnist.x_test[0]), int(small_mnist.y_test[0]))
    at.switch_page("views/handwriting.py").run()
    teach = next(b for b in at.button if b.label == "Teach the model")
    assert teach.disabled and "at least 10" in teach.help


def classroom_student(small_mnist, monkeypatch, n: int) -> AppTest:
    """A student in classroom mode (teacher passcode "owl") who labelled n MNIST test digits."""
    monkeypatch.setenv("DIGIT_STUDIO_CLASSROOM", "1")
    monkeypatch.setenv("DIGIT_STUDIO_TEACHER_PASSCODE", "owl")
    student = new_app(timeout=180).run()
    for i in range(n):
        student = label(student, canvas_from_digit(small_mnist.x_test[i]), int(small_mnist.y_test[i]))
    return student


def test_classroom_labels_go_to_the_class_wall_and_only_the_teacher_teaches(small_mnist, monkeypatch):
    student = classroom_student(small_mnist, monkeypatch, 3)
    student.switch_page("views/class_view.py").run()
    assert not student.exception
    assert any("reads the class's digits" in m.label for m in student.metric)
    assert not [b for b in student.button if b.label == "Clear everything"]
    student.text_input(key="_teacher_passcode").input("wrong").run()
    assert any("not the teacher passcode" in e.value for e in student.error)
    student.text_input(key="_teacher_passcode").input("owl").run()
    assert next(b for b in student.button if b.label == "Clear everything").disabled  # only once confirmed
    student.checkbox(key="clear_everything_sure").check().run()
    next(b for b in student.button if b.label == "Clear everything").click().run()
    assert any("Deleted 3 drawings." == s.value for s in student.success)
    assert not any("reads the class's digits" in m.label for m in student.metric)  # the page shows what is left


def test_in_classroom_mode_the_teachers_fine_tune_becomes_the_class_model_and_students_cannot_teach(
        small_mnist, monkeypatch):
    import ui.teach as handwriting
    from ui.resources import default_ref, training_manager
    from ui.session import JOB_KEY

    monkeypatch.setattr(handwriting, "TEACH_SETTINGS", FinetuneSettings(steps=8, epochs=2, batch_size=16))
    student = classroom_student(small_mnist, monkeypatch, 12)
    student.switch_page("views/handwriting.py").run()
    teach = next(b for b in student.button if b.label == "Teach the model")
    assert teach.disabled and "the teacher teaches it on the Class page" in teach.help  # training is off

    teacher = new_app(timeout=180).run()
    teacher.switch_page("views/class_view.py").run()
    teacher.text_input(key="_teacher_passcode").input("owl").run()
    next(b for b in teacher.button if b.label == "Teach the model on the class's digits").click().run()
    assert not teacher.exception and not teacher.warning
    snapshot = training_manager().wait(teacher.session_state[JOB_KEY], timeout=300)
    assert snapshot.state == "completed", snapshot.message
    teacher.run()
    teacher.run()
    assert default_ref().run_id == snapshot.run_id  # everyone draws with it now
    assert teacher.session_state["active_model"].run_id == snapshot.run_id
    assert any("Everyone in the class now draws with it." in s.value for s in teacher.success)
    newcomer = new_app(timeout=180).run()
    assert "Class model (fine-tune of shipped CNN on " in newcomer.caption[0].value  # "Model: …" under the title


def test_the_per_digit_chart_leaves_out_digits_never_drawn_and_marks_no_hardest_when_all_are_right():
    from digitstudio.explain.inspection import evaluation_from_probabilities
    from ui.charts import per_class_chart

    probs = np.eye(10, dtype=np.float32)[[0, 1, 1, 3]]
    values = per_class_chart(evaluation_from_probabilities(probs, np.array([0, 1, 1, 3]))).to_dict()
    rows = next(iter(values["datasets"].values()))
    assert [row["digit"] for row in rows] == ["0", "1", "3"] and not any(row["hardest"] for row in rows)
    wrong = evaluation_from_probabilities(probs, np.array([0, 1, 2, 3]))  # a 2 read as 1
    rows = next(iter(per_class_chart(wrong).to_dict()["datasets"].values()))
    assert [row["digit"] for row in rows if row["hardest"]] == ["2"]


def test_refused_drawings_cannot_be_labelled_and_a_not_sure_is_not_praised():
    at = new_app().run()
    set_drawing(at, render([[(140, 140)]])).run()  # a dot: refused as too small
    assert not at.exception and any("small" in i.value for i in at.info)
    assert not at.get("button_group")  # nothing to label: a refused drawing is no digit to learn from

    set_drawing(at, render(ISSUE_INPUTS["letter A"][1])).run()
    assert at.metric[0].value == "?"
    # ~10% on every digit: no "closest" digits to name (the chart highlights none either)
    assert [i.value for i in at.info] == [
        "Not sure this is a digit: the model spreads its probability evenly over all ten digits."]
    control = at.get("button_group")[0]
    assert [o.content for o in control.proto.options] == [str(d) for d in range(10)]  # no nudge to a guess
    control.set_value(4).run()
    assert [s.value for s in at.success] == ["Saved as a 4."]  # not "the model was right"


def test_a_frame_along_the_canvas_edge_is_read_not_refused_as_mostly_ink():
    at = new_app().run()
    frame = np.zeros((280, 280, 4), np.uint8)
    frame[..., 3] = 255  # the canvas as the browser sends it: opaque black
    frame[:18, :, :3] = frame[-18:, :, :3] = frame[:, :18, :3] = frame[:, -18:, :3] = 255
    set_drawing(at, frame).run()
    assert not at.exception
    assert not any("mostly ink" in i.value for i in at.info)
    assert at.metric[0].value != "–"  # read (a digit or "?"), not refused


def test_not_a_digit_is_saved_shown_and_taught(small_mnist, monkeypatch):
    # A letter A gets "?"; "Not a digit" saves it (label 10) and clears the canvas. With ten
    # digits and four non-digits, Your handwriting scores and shows them apart, and Teach the
    # model trains on both: the run and its report say so.
    import ui.teach as handwriting
    from digitstudio.data.extra import NOT_A_DIGIT

    monkeypatch.setattr(handwriting, "TEACH_SETTINGS", FinetuneSettings(steps=8, epochs=2, batch_size=16))
    at = new_app(timeout=180).run()
    at.sidebar.text_input(key="nickname").input("Sam").run()
    at = not_a_digit(at, render(ISSUE_INPUTS["letter A"][1]))
    assert not at.exception and current_drawing(at) is None
    assert [x.value for x in at.success] == ["Saved as not a digit — the model was not sure either."]
    assert any("1 of your drawings saved" in c.value for c in at.caption)
    for drawing in (ISSUE_INPUTS["plus"][1], NON_DIGITS["letter"][0], NON_DIGITS["shape"][0]):
        at = not_a_digit(at, render(drawing))
    for i in range(10):
        at = label(at, canvas_from_digit(small_mnist.x_test[i]), int(small_mnist.y_test[i]))
    store = handwriting.drawing_store()
    assert store.counts(handwriting.Scope.person("any", "Sam"))[NOT_A_DIGIT] == 4

    at.switch_page("views/handwriting.py").run()
    assert not at.exception
    unsure = next(m for m in at.metric if m.label == "Your non-digits called “not sure”")
    assert unsure.value.endswith("%") and "4 drawings" in unsure.proto.delta
    assert any(md.value.startswith("**Not a digit** · 4 shown") for md in at.markdown)
    teach = next(b for b in at.button if b.label == "Teach the model")
    assert not teach.disabled and "14 drawings" in teach.help
    teach.click().run()
    from ui.resources import run_store, training_manager
    from ui.session import JOB_KEY

    snapshot = training_manager().wait(at.session_state[JOB_KEY], timeout=300)
    assert snapshot.state == "completed", snapshot.message
    report = run_store().get(snapshot.run_id)["finetune"]
    assert report["user_not_digits_trained"] == 3 and report["not_digits"]["n"] == 1  # 20% of 4 held out
    assert report["not_digits"]["before"] is not None  # scored with the shipped model's threshold
    at.run()
    at.run()
    assert " not-a-digit drawings, " in at.session_state["active_model"].label
    assert any(m.label == "Held-out non-digits called “not sure”" for m in at.metric)
    rows = at.dataframe[0].value
    assert rows["held out"].min() >= 1 and rows["digit"].iloc[-1].startswith("not a digit")  # only what was held out


def test_a_wrong_tap_is_undone_with_one_click(small_mnist):
    at = new_app().run()
    at = label(at, canvas_from_digit(small_mnist.x_test[0]), 4 if small_mnist.y_test[0] != 4 else 5)
    assert any("1 of your drawings saved" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Undo label").click().run()
    assert not at.exception
    assert "Removed. Draw it again and pick the right label." in [i.value for i in at.info]
    assert not any("of your drawings saved" in c.value for c in at.caption)  # the count is back to none
    assert not [b for b in at.button if b.label == "Undo label"]  # once
