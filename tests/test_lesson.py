"""A real lesson holds up (no browser): the class's numbers are honest (a class fine-tune
holds out drawings per writer and digit, and the Class page scores only drawings the
model never trained on; "not sure" is counted as such), the join link carries no
training setup in classroom mode, the teacher's passcode lives in the sidebar, the
nickname is asked for on the Draw page and kept in the address, and the Inside page's
charts tell the truth (per-digit accuracy from 0, empty confusion cells uncoloured).
The browser half is tests/test_browser_lesson.py."""

from __future__ import annotations

import os

import numpy as np

from digitstudio.storage.drawings import DrawingStore, Scope
from digitstudio.training.finetune import FinetuneSettings, holdout_split
from testkit.apptest import label, new_app
from testkit.canvas import canvas_from_digit

TINY = FinetuneSettings(steps=8, epochs=2, batch_size=16)


def store() -> DrawingStore:
    """The same database the app under test uses (DIGIT_STUDIO_DATA of isolated_app)."""
    return DrawingStore(data_dir=os.environ["DIGIT_STUDIO_DATA"], rate_limit=10_000)


def classroom(monkeypatch) -> None:
    monkeypatch.setenv("DIGIT_STUDIO_CLASSROOM", "1")
    monkeypatch.setenv("DIGIT_STUDIO_TEACHER_PASSCODE", "owl")


def class_digits(mnist, writers=("Ada", "Sam", "Noor"), per_writer: int = 10, start: int = 0) -> list:
    """Each writer labels `per_writer` MNIST test digits into the class collection."""
    saved, kept = [], store()
    for w, name in enumerate(writers):
        for i in range(per_writer):
            index = start + w * per_writer + i
            saved.append(kept.add(label=int(mnist.y_test[index]), image=mnist.x_test[index],
                                  session_id=f"session-{name}", nickname=name, classroom=True))
    return saved


def sign_in_as_teacher(at):
    at.sidebar.text_input(key="_teacher_passcode").input("owl").run()
    assert not at.exception
    assert not [t for t in at.sidebar.text_input if t.key == "_teacher_passcode"]  # gone once signed in
    return at


# --- the hold-out ---------------------------------------------------------------------------

def test_a_class_hold_out_is_per_writer_and_digit():
    y = np.array([7] * 5 + [7] * 5 + [1, 1, 1] + [3, 3, 3] + [0])
    writers = ["Ada"] * 5 + ["Sam"] * 5 + ["Ada", "Sam", "Noor"] + ["Noor"] * 3 + ["Ada"]
    train, held = holdout_split(y, 0.2, seed=0, writers=writers)
    assert np.intersect1d(train, held).size == 0 and len(train) + len(held) == len(y)
    who = np.array(writers)
    for writer, digit in [("Ada", 7), ("Sam", 7), ("Noor", 3)]:  # each writer's 7s and 3s give some up
        group = np.flatnonzero((who == writer) & (y == digit))
        assert 1 <= np.isin(group, held).sum() < len(group)
    assert np.isin([10, 11, 12], held).sum() == 1  # three writers' single 1s are pooled: one held out
    assert 16 in train  # a digit's only drawing trains
    assert set(who[held]) == {"Ada", "Sam", "Noor"}  # every hand is in the test
    assert holdout_split(y, 0.2, seed=0, writers=writers)[1].tolist() == held.tolist()
    # one person's drawings (no writers): stratified by digit, as before
    assert holdout_split(y, 0.2, seed=0)[1].tolist() != held.tolist()


def test_the_drawings_a_model_trained_on_follow_its_line_of_fine_tunes():
    from digitstudio.training.finetune import trained_drawings

    records = {
        "first": {"finetune": {"parent": "shipped CNN", "holdout": {"trained_drawing_ids": [1, 2, 3]}}},
        "second": {"finetune": {"parent": "first", "holdout": {"trained_drawing_ids": [4, 5]}}},
        "old": {"finetune": {"parent": "shipped CNN", "holdout": {"drawing_ids": [9]}}},
    }
    assert trained_drawings(records["second"], records.get) == {1, 2, 3, 4, 5}
    assert trained_drawings({"test_accuracy": 0.99}, records.get) == set()  # never fine-tuned here
    assert trained_drawings(records["old"], records.get) is None  # a fine-tune from before this was recorded


# --- the Class page's numbers ---------------------------------------------------------------

def test_the_class_page_scores_only_digits_the_class_model_never_trained_on(isolated_app, mnist, monkeypatch):
    import ui.teach as teach
    from ui.resources import default_ref, training_manager
    from ui.session import JOB_KEY

    classroom(monkeypatch)
    monkeypatch.setattr(teach, "TEACH_SETTINGS", TINY)
    drawings = class_digits(mnist)
    at = new_app(timeout=180).run()
    at.switch_page("views/class_view.py").run()
    assert any(m.label.endswith("reads the class's digits") and m.value and "30 digits" in str(m.delta)
               for m in at.metric)  # nothing trained on yet: all 30 count
    sign_in_as_teacher(at)
    next(b for b in at.button if b.label == "Teach the model on the class's digits").click().run()
    snapshot = training_manager().wait(at.session_state[JOB_KEY], timeout=300)
    assert snapshot.state == "completed", snapshot.message
    at.run()
    at.run()
    assert not at.exception and default_ref().run_id == snapshot.run_id

    from ui.resources import run_store

    record = run_store().get(snapshot.run_id)
    held = record["finetune"]["holdout"]
    assert held["by"] == "writer and digit" and held["writers"] == 3
    assert sorted(held["drawing_ids"] + held["trained_drawing_ids"]) == sorted(d.id for d in drawings)
    assert not set(held["drawing_ids"]) & set(held["trained_drawing_ids"])
    writers_held = {d.nickname for d in drawings if d.id in held["drawing_ids"]}
    assert writers_held == {"Ada", "Sam", "Noor"}  # every student's hand is in the test
    # a short name: what it is, not a run id four lines long
    name = at.session_state["active_model"].label
    assert name.startswith("Class model (fine-tune of shipped CNN on ") and snapshot.run_id not in name

    n_held, n_trained = len(held["drawing_ids"]), len(held["trained_drawing_ids"])
    metric = next(m for m in at.metric if m.label == "Class model reads the class's digits")
    assert metric.delta == f"{n_held} digits it never trained on"
    assert any(f"the {n_trained} digits it was taught are left out" in c.value for c in at.caption)
    assert any(m.label == "Held-out class digits" for m in at.metric)  # before → after on the held-out ones
    # new digits from the class count too: the model never saw them
    class_digits(mnist, writers=("Leo",), per_writer=2, start=100)
    at.run()
    metric = next(m for m in at.metric if m.label == "Class model reads the class's digits")
    assert metric.delta == f"{n_held + 2} digits it never trained on"


def unsure_picture(shipped) -> np.ndarray:
    """A scribble the shipped model answers "?" to (found, then checked)."""
    from digitstudio.drawing.predict import describe
    from digitstudio.pixels import to_unit

    for seed in range(200):
        rng = np.random.default_rng(seed)
        picture = ((rng.random((28, 28)) > 0.8) * 255).astype(np.uint8)
        if describe(shipped.probabilities(to_unit(picture)), shipped.threshold).not_sure:
            return picture
    raise AssertionError("no scribble found that the shipped model is not sure of")


def test_a_not_sure_is_counted_as_not_sure_not_as_a_misread(isolated_app, mnist, shipped, monkeypatch):
    classroom(monkeypatch)
    kept = store()
    kept.add(label=7, image=unsure_picture(shipped), session_id="s1", nickname="Ada", classroom=True)
    for i in range(3):
        kept.add(label=int(mnist.y_test[i]), image=mnist.x_test[i], session_id="s1", nickname="Ada", classroom=True)
    at = new_app().run()
    at.switch_page("views/class_view.py").run()
    assert not at.exception
    misread = next(m.value for m in at.markdown if m.value.startswith("**Misread most**"))
    assert "a **7** read as" not in misread and "“not sure” (?) 1×: a 7" in misread
    assert any("? 1 not sure" in c.value for c in at.caption)
    assert next(m for m in at.metric if m.label.endswith("reads the class's digits")).value == "75%"
    captions = [picture.caption for image in at.get("image") for picture in image.proto.imgs]
    assert "7→? · Ada" in captions  # the wall shows the scribble with its "?", not "read as"


# --- the projector, the teacher, the nickname ---------------------------------------------

def test_in_classroom_mode_the_join_link_carries_no_training_setup(isolated_app, monkeypatch):
    classroom(monkeypatch)
    at = new_app(present="1").run()
    assert not at.exception
    join = [c.value for c in at.caption if c.value.startswith("http")]
    assert join == ["http://localhost:8501/"]  # the Draw page's QR code says the same (a browser test decodes it)
    assert not any("preset" in m.value or "spec=" in m.value for m in at.markdown)
    student = new_app().run()  # a student who scanned it: no teacher's setup, no train.py command
    assert not any("teacher's setup" in m.value for m in student.sidebar.markdown)


def test_outside_classroom_mode_the_join_link_is_the_share_link(isolated_app):
    at = new_app(present="1").run()
    assert [c.value for c in at.caption if c.value.startswith("http")] == ["http://localhost:8501/?preset=seed-mlp"]


def test_the_teacher_passcode_is_typed_in_the_sidebar_never_on_the_page(isolated_app, monkeypatch):
    classroom(monkeypatch)
    at = new_app(present="1").run()
    at.switch_page("views/class_view.py").run()
    assert not at.main.text_input  # nothing to type on the projected page
    assert [t.label for t in at.sidebar.text_input if t.key == "_teacher_passcode"] == ["Teacher passcode"]
    at.sidebar.text_input(key="_teacher_passcode").input("nope").run()
    assert any("not the teacher passcode" in e.value for e in at.sidebar.error)
    assert at.session_state["_teacher_passcode"] == ""  # never left in the field
    sign_in_as_teacher(at)
    assert any("You are the teacher" in c.value for c in at.sidebar.caption)
    assert any(b.label == "Teach the model on the class's digits" for b in at.main.button)


def test_the_nickname_is_asked_on_the_draw_page_kept_in_the_address_and_given_to_earlier_digits(
        isolated_app, mnist, monkeypatch):
    classroom(monkeypatch)
    at = new_app().run()
    assert at.text_input(key="nickname_prompt")  # asked before the first label
    at = label(at, canvas_from_digit(mnist.x_test[0]), int(mnist.y_test[0]))  # labelled before giving one
    at.text_input(key="nickname_prompt").input("Noor").run()
    assert not at.exception and at.session_state["nickname"] == "Noor"
    assert at.query_params["name"] == ["Noor"] or at.query_params["name"] == "Noor"
    assert not [t for t in at.main.text_input if t.key == "nickname_prompt"]  # asked once
    mine = store().list(Scope.person("", "Noor"))
    assert len(mine) == 1  # the digit labelled before the nickname is Noor's, not "anon"
    # a reload: the address brings the nickname back, and the next digit is the same person's
    again = new_app(name="Noor").run()
    assert again.session_state["nickname"] == "Noor" and not [t for t in again.main.text_input
                                                              if t.key == "nickname_prompt"]
    label(again, canvas_from_digit(mnist.x_test[1]), int(mnist.y_test[1]))
    assert len(store().list(Scope.person("", "Noor"))) == 2
    assert {d.nickname for d in store().list(Scope.class_collection())} == {"Noor"}


def test_skip_stops_asking_for_a_nickname(isolated_app):
    at = new_app().run()
    next(b for b in at.button if b.label == "Skip").click().run()
    assert not [t for t in at.main.text_input if t.key == "nickname_prompt"]


# --- the charts -----------------------------------------------------------------------------

def test_per_digit_accuracy_is_drawn_from_zero(mnist, shipped):
    from digitstudio.explain.inspection import evaluation_from_probabilities
    from ui.charts import per_class_chart

    probs = shipped.probabilities(mnist.x_test[:1000].astype(np.float32) / 255).reshape(-1, 10)
    spec = per_class_chart(evaluation_from_probabilities(probs, mnist.y_test[:1000])).to_dict()
    domains = [layer["encoding"]["y"]["scale"]["domain"] for layer in spec.get("layer", [spec])
               if "y" in layer.get("encoding", {})] or [spec["encoding"]["y"]["scale"]["domain"]]
    assert all(domain[0] == 0 for domain in domains), domains


def test_empty_confusion_cells_are_not_coloured():
    from digitstudio.explain.inspection import evaluation_from_probabilities
    from ui.charts import confusion_chart

    labels = np.repeat(np.arange(10), 50)
    read = labels.copy()
    read[:2] = 9  # two 0s read as 9: the only mistakes
    ev = evaluation_from_probabilities(np.eye(10, dtype=np.float32)[read], labels)
    spec = confusion_chart(ev).to_dict()
    filled = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rect"
              and ("color" in layer.get("encoding", {}) or "color" in layer["mark"])]
    assert filled and all("datum.count > 0" in str(layer.get("transform")) for layer in filled), filled
    # the Class page's matrix has a "not sure" column of its own, coloured only where used
    spec = confusion_chart(ev.confusion, not_sure=np.array([0] * 9 + [1])).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {row["predicted"] for row in rows} == {*map(str, range(10)), "?"}
