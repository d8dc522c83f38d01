"""Real handwriting (data/real.py, data/real_drawings.py): the loader, the left-out rule,
training on it, and models that load in plain Keras."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitstudio.data.mnist import DataError
from digitstudio.data.real import ENV_VAR, KEYS, QUICKDRAW_DIGITS, QUICKDRAW_HELD_OUT, load_npz, resolve_source
from digitstudio.data.real_drawings import (
    DigitLikeness,
    doodle_canvas,
    drawn_non_digits,
    omniglot_canvas,
    read_canvas,
    real_non_digits,
    semeion_digits,
)
from digitstudio.drawing.preprocess import preprocess
from digitstudio.storage.model_files import load_predictor
from testkit.style_strokes import _UNSEEN_LETTERS, _box, render

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "model" / "digit_cnn.keras"


@pytest.fixture(scope="module")
def likeness(mnist):
    return DigitLikeness(mnist.x_train, mnist.y_train, mnist.x_test)


# --- the loader ---------------------------------------------------------------------------

def test_loader_reads_the_shared_file(real_data):
    assert real_data.quickdraw_images.shape == (75000, 28, 28)
    assert len(real_data.quickdraw_classes) == 17 and "circle" in real_data.quickdraw_classes
    assert len(real_data.omniglot_split) == 32000
    assert real_data.semeion_images.shape == (1592, 16, 16)
    strokes = real_data.omniglot_strokes(0)
    assert strokes and all(s.ndim == 2 and s.shape[1] == 2 for s in strokes)
    assert sum(len(s) for s in strokes) == real_data.omniglot_offsets[1] - real_data.omniglot_offsets[0]


def test_parts_are_disjoint_and_drawn_zeros_never_count(real_data):
    train, held = real_data.quickdraw_part("train"), real_data.quickdraw_part("held_out")
    assert not set(train) & set(held)
    names = {real_data.quickdraw_classes[k] for k in np.unique(real_data.quickdraw_labels[np.r_[train, held]])}
    assert not names & set(QUICKDRAW_DIGITS) and set(QUICKDRAW_HELD_OUT) <= names
    assert len(real_data.omniglot_part("train")) == 30000 and len(real_data.omniglot_part("test")) == 1000
    semeion_train, semeion_held = real_data.semeion_part("train"), real_data.semeion_part("held_out")
    assert len(semeion_train) + len(semeion_held) == 1592 and semeion_train.max() < semeion_held.min()
    with pytest.raises(ValueError, match="part must be"):
        real_data.quickdraw_part("test")


def _write(path: Path, real, **changes) -> Path:
    arrays = {key: getattr(real, key) if key != "quickdraw_classes" else np.array(real.quickdraw_classes)
              for key in KEYS}
    arrays = {key: value[:50] if key in ("quickdraw_images", "quickdraw_labels") else value
              for key, value in arrays.items()}
    arrays.update(changes)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


@pytest.mark.parametrize("break_it, message", [
    (lambda path: path.write_bytes(path.read_bytes()[:4000]), "is not a readable .npz file"),
    (lambda path: path.write_bytes(b"not a zip at all"), "is not a readable .npz file"),
])
def test_a_corrupt_file_is_refused_in_one_line(tmp_path, real_data, break_it, message):
    path = _write(tmp_path / "real.npz", real_data)
    break_it(path)
    with pytest.raises(DataError, match=message) as caught:
        load_npz(path)
    assert "\n" not in str(caught.value) and caught.value.__cause__ is None


@pytest.mark.parametrize("changes, message", [
    ({"semeion_labels": None}, "is missing semeion_labels"),
    ({"quickdraw_images": np.zeros((50, 28, 28), np.float32)}, "quickdraw_images must be uint8"),
    ({"omniglot_offsets": np.array([0, 5, 3], np.int64)}, "omniglot_offsets must rise"),
    ({"semeion_labels": np.full(1592, 12, np.int8)}, "semeion_labels must be 1592 digits"),
])
def test_a_malformed_file_names_what_is_wrong(tmp_path, real_data, changes, message):
    with pytest.raises(DataError, match=message):
        load_npz(_write(tmp_path / "real.npz", real_data, **changes))


def test_missing_file_and_the_setting(tmp_path, monkeypatch):
    with pytest.raises(DataError, match=f"set {ENV_VAR} or --real-data"):
        load_npz(tmp_path / "nope.npz")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "x.npz"))
    assert resolve_source() == tmp_path / "x.npz"
    assert resolve_source(tmp_path / "y.npz") == tmp_path / "y.npz"


# --- the left-out rule ---------------------------------------------------------------------

def _letter(name: str, brush: float = 18) -> np.ndarray:
    """A hand-made letter of the bench's unseen set, drawn 150 px tall on the canvas."""
    width, strokes = _UNSEEN_LETTERS[name]
    return render(_box(strokes, 140 - 75 * width, 65, 150 * width, 150), brush=brush)


def test_left_out_rule_on_named_examples(real_data, mnist, likeness):
    rng = np.random.default_rng(0)
    # Real digits are digit-like by construction of the rule (90% of MNIST test digits).
    assert likeness.digit_like(mnist.x_test[:500]).mean() > 0.85
    ring = [np.array([(np.cos(t) * 40, np.sin(t) * 55) for t in np.linspace(0, 2 * np.pi, 40)])]
    bar = [np.array([(0.0, 0.0), (3.0, 100.0)])]
    digit_like = [read_canvas(omniglot_canvas(s, rng, size=180, brush=18)).image for s in (ring, bar)]
    assert likeness.digit_like(np.stack(digit_like)).all(), "a drawn ring (0) and bar (1) are left out"
    circle = real_data.quickdraw_classes.index("circle")
    assert circle not in real_data.quickdraw_labels[real_data.quickdraw_part("train")]
    house = real_data.quickdraw_classes.index("house")
    houses = [read_canvas(doodle_canvas(real_data.quickdraw_images[i], rng, size=200)).image
              for i in np.flatnonzero(real_data.quickdraw_labels == house)[:20]]
    assert not likeness.digit_like(np.stack(houses)).mean() > 0.2, "houses are not digits"
    letters = [preprocess(_letter(name)).image for name in ("e", "a", "h", "m")]
    assert not likeness.digit_like(np.stack(letters)).any(), "e, a, h, m stay in as non-digits"


def test_real_non_digits_are_the_apps_recipe_and_leave_digit_like_ones_out(real_data, likeness):
    images, origins = drawn_non_digits(real_data, 200, seed=1)
    assert images.dtype == np.uint8 and images.shape[1:] == (28, 28) and 180 <= len(images) <= 200
    assert (origins >= 0).any() and (origins < 0).any(), "both doodles and characters"
    kept = real_non_digits(real_data, 300, seed=1, likeness=likeness)
    assert kept.shape == (300, 28, 28) and not likeness.digit_like(kept).any()
    centre = np.argwhere(kept.astype(float).mean(axis=0) > 0).mean(axis=0)
    assert np.allclose(centre, 13.5, atol=2.5), "centred by the MNIST recipe"
    assert np.array_equal(kept, real_non_digits(real_data, 300, seed=1, likeness=likeness)), "seeded"


def test_semeion_digits_get_a_digits_proportions(real_data, mnist):
    x, y = semeion_digits(real_data, 2, 0, mnist.x_train, mnist.y_train)
    n = len(real_data.semeion_part("train"))
    assert x.shape == (2 * n, 28, 28) and y.dtype == np.uint8 and set(np.unique(y)) == set(range(10))
    ones = x[y == 1] > 60
    widths = ones.any(axis=1).sum(axis=1)
    assert np.median(widths) < 14, "ones are narrower than the stretched 16×16 box"
    held, _ = semeion_digits(real_data, 1, 0, mnist.x_train, mnist.y_train, part="held_out")
    assert len(held) == len(real_data.semeion_part("held_out"))


def test_training_with_real_data(real_data, small_mnist):
    from digitstudio.modeling.spec import ModelSpec, parse_layers
    from digitstudio.training.data import prepare_data

    spec = ModelSpec(layers=parse_layers("dense:32"), epochs=1, negatives=0.1, real_negatives=0.2, real_digits=1,
                     validation_split=0.1)
    prepared = prepare_data(spec, small_mnist, real_data)
    digits = 1800 + len(real_data.semeion_part("train"))
    uniform = np.isclose(prepared.y_train, 0.1).all(axis=1)
    assert len(prepared.x_train) == digits + round(0.1 * digits) + round(0.2 * digits)
    assert uniform.sum() == round(0.1 * digits) + round(0.2 * digits)


# --- what ships -----------------------------------------------------------------------------

def test_shipped_model_calls_a_letter_e_and_a_held_out_doodle_not_sure(real_data):
    predictor = load_predictor(SHIPPED)
    assert predictor.threshold is not None
    for brush in (10, 18):
        letter = preprocess(_letter("e", brush))
        assert letter.status == "ok"
        answer = predictor.predict(letter.image)
        assert answer.not_sure, f"a letter e (brush {brush}) read as {answer.digit} at {answer.confidence:.0%}"
    skull = real_data.quickdraw_classes.index("skull")
    doodle = real_data.quickdraw_images[np.flatnonzero(real_data.quickdraw_labels == skull)[0]]
    answer = predictor.predict(read_canvas(doodle_canvas(doodle, np.random.default_rng(0), size=200)).image)
    assert answer.not_sure, f"a held-out skull read as {answer.digit} at {answer.confidence:.0%}"


PLAIN_KERAS = ("import sys, keras, numpy; m = keras.models.load_model(sys.argv[1]); "
               "p = m.predict(numpy.zeros((1, 28, 28, 1)), verbose=0); print(p.shape)")


def _loads_in_plain_keras(path: Path) -> subprocess.CompletedProcess:
    """A fresh interpreter (-I: no project on sys.path, no PYTHON* settings), started
    outside the repository, that imports only Keras and loads the file."""
    return subprocess.run([sys.executable, "-I", "-c", PLAIN_KERAS, str(path)], cwd="/", capture_output=True,
                          text=True, timeout=180, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})


def test_the_shipped_model_loads_in_plain_keras():
    done = _loads_in_plain_keras(SHIPPED)
    assert done.returncode == 0 and "(1, 10)" in done.stdout, done.stderr[-600:]


def test_the_cnn_preset_is_exactly_the_shipped_models_recipe():
    """The model card's command (`--preset cnn`) retrains what ships: every spec field agrees."""
    import json

    from digitstudio.modeling.presets import PRESETS

    shipped = json.loads(SHIPPED.with_suffix(".json").read_text())
    preset = PRESETS["cnn"].spec.to_dict()
    assert {k: (v, shipped["spec"].get(k)) for k, v in preset.items() if shipped["spec"].get(k) != v} == {}
    assert shipped["command"].startswith("python train.py --preset cnn ")


def test_a_model_the_app_trains_loads_in_plain_keras(tmp_path, small_mnist):
    from digitstudio.modeling.spec import ModelSpec, parse_layers
    from digitstudio.training.fit import save_result, train

    spec = ModelSpec(layers=parse_layers("dense:16"), epochs=1, negatives=0.1, train_size=500)
    result = train(spec, small_mnist)
    save_result(result, tmp_path / "m.keras")
    done = _loads_in_plain_keras(tmp_path / "m.keras")
    assert done.returncode == 0 and "(1, 10)" in done.stdout, done.stderr[-600:]


def test_non_digits_can_weigh_less_in_the_loss(small_mnist):
    """negatives_weight: outlier exposure's λ (Hendrycks et al. 2019 use 0.5)."""
    from digitstudio.modeling.spec import ModelSpec, parse_layers
    from digitstudio.training.data import prepare_data
    from digitstudio.training.fit import train

    spec = ModelSpec(layers=parse_layers("dense:16"), epochs=1, negatives=0.1, negatives_weight=0.5, train_size=500,
                     augment=True)
    prepared = prepare_data(spec, small_mnist)
    uniform = np.isclose(prepared.y_train, 0.1).all(axis=1)
    assert np.all(prepared.sample_weight[uniform] == 0.5) and np.all(prepared.sample_weight[~uniform] == 1.0)
    assert prepare_data(spec.replace(negatives_weight=1.0), small_mnist).sample_weight is None
    weighted, plain = train(spec, small_mnist), train(spec.replace(negatives_weight=1.0), small_mnist)
    assert weighted.status == plain.status == "completed"
    assert not np.allclose(weighted.model.get_weights()[0], plain.model.get_weights()[0])
