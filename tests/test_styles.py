"""digitstudio.data.styles and negatives: strokes land where intended on real MNIST
digits, labels are unchanged, rates are respected; non-digits and their targets; the
hand-made non-digits of testkit/style_strokes.py that share no template with them."""

from __future__ import annotations

import numpy as np
import pytest

from digitstudio.data import negatives
from digitstudio.data.negatives import KINDS, digit_accuracy, make_negatives, soft_targets
from digitstudio.data.styles import PAD, SCALE, STYLE_RATES, STYLES, Geometry, apply_styles, style_layers, stylize
from testkit.style_strokes import BRUSH, CANVAS, NON_DIGITS_UNSEEN, _box, render


def _examples(mnist, label: int, count: int = 4) -> np.ndarray:
    return mnist.x_train[np.flatnonzero(mnist.y_train == label)[:count]]


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.mark.parametrize("style", STYLES)
def test_every_style_gives_an_mnist_like_digit(mnist, style):
    label = STYLE_RATES[style][0]
    rng = np.random.default_rng(0)
    for digit in _examples(mnist, label):
        out = stylize(digit, style, rng)
        assert out.shape == (28, 28) and out.dtype == np.uint8
        ys, xs = np.nonzero(out > 25)
        assert max(ys.max() - ys.min(), xs.max() - xs.min()) in range(18, 22)  # the 20-px box
        assert out.max() > 200


def test_slash_past_crosses_the_centre_and_runs_past_the_ring(mnist):
    rng = np.random.default_rng(1)
    for digit in _examples(mnist, 0):
        base, strokes = style_layers(digit, "zero_slash_past", rng)
        g = Geometry(base)
        cx, cy = (round(v) for v in g.centre)
        assert strokes[cy, cx] > 0.5  # through the centre of mass
        ys, xs = np.nonzero(strokes > 0.5)
        ring_ys, ring_xs = np.nonzero(base > 0.3)
        diagonal, ring_diagonal = xs - ys, ring_xs - ring_ys  # along ↗
        assert diagonal.max() > ring_diagonal.max() and diagonal.min() < ring_diagonal.min()  # past both ends
        left, top, right, bottom = _bbox(strokes > 0.5)
        assert left < g.bbox[0] or top < g.bbox[1] or right > g.bbox[2] or bottom > g.bbox[3]
        assert (right - left) > 0.4 * (bottom - top)  # a slant, not an upright bar


def test_slash_inside_crosses_the_centre_and_stays_in_the_ring(mnist):
    rng = np.random.default_rng(2)
    for digit in _examples(mnist, 0):
        base, strokes = style_layers(digit, "zero_slash_inside", rng)
        g = Geometry(base)
        cx, cy = (round(v) for v in g.centre)
        assert strokes[cy, cx] > 0.5
        left, top, right, bottom = _bbox(strokes > 0.5)
        ring, slack = g.bbox, 8  # half a working stroke
        assert left >= ring[0] - slack and right <= ring[2] + slack
        assert top >= ring[1] - slack and bottom <= ring[3] + slack


def test_dot_sits_in_the_middle_of_the_zero(mnist):
    rng = np.random.default_rng(3)
    for digit in _examples(mnist, 0):
        base, strokes = style_layers(digit, "zero_dot", rng)
        g = Geometry(base)
        ys, xs = np.nonzero(strokes > 0.5)
        assert np.hypot(xs.mean() - g.centre[0], ys.mean() - g.centre[1]) < 2
        assert max(np.ptp(xs), np.ptp(ys)) < 0.3 * max(g.width, g.height)  # a dot, not a stroke


def test_seven_bar_crosses_the_middle_of_the_stem(mnist):
    rng = np.random.default_rng(4)
    for digit in _examples(mnist, 7):
        base, strokes = style_layers(digit, "seven_crossed", rng)
        g = Geometry(base)
        left, top, right, bottom = _bbox(strokes > 0.5)
        middle = ((top + bottom) / 2 - g.bbox[1]) / g.height
        assert 0.35 < middle < 0.72  # around the middle of the height
        assert right - left > 1.5 * (bottom - top)  # lying across
        assert (base[top:bottom, left:right] > 0.5).any()  # it crosses the stem's ink


@pytest.mark.parametrize("style", ["one_flag", "one_flag_base"])
def test_flag_hangs_from_the_top_left_of_a_one(mnist, style):
    rng = np.random.default_rng(5)
    for digit in _examples(mnist, 1):
        base, strokes = style_layers(digit, style, rng)
        g = Geometry(base)
        added = (strokes > 0.5) & ~(base > 0.3)
        flag = added[: int(g.centre[1])]  # the upper half
        ys, xs = np.nonzero(flag)
        assert xs.size and xs.mean() < g.point(g.top_along)[0]  # left of the top of the stroke
        assert ys.min() <= g.bbox[1] + 0.15 * g.height  # starting at the top
        lower = added[int(g.centre[1]) + int(0.3 * g.height):]
        assert lower.any() == (style == "one_flag_base")  # a base only when asked for


@pytest.mark.parametrize("style", ["one_european", "four_open", "nine_straight"])
def test_styles_drawn_anew_fill_the_digits_box(mnist, style):
    rng = np.random.default_rng(6)
    label = STYLE_RATES[style][0]
    for digit in _examples(mnist, label):
        base, strokes = style_layers(digit, style, rng)
        assert not base.any()  # drawn anew: nothing of the old digit kept
        g = Geometry(np.asarray(_enlarged(digit)))
        left, top, right, bottom = _bbox(strokes > 0.5)
        assert abs(top - g.bbox[1]) < 10 and abs(bottom - g.bbox[3]) < 10  # same height as the digit


def _enlarged(digit):
    from digitstudio.data.styles import enlarge

    return enlarge(digit)


def test_european_one_has_a_long_rising_flag(mnist):
    rng = np.random.default_rng(7)
    for digit in _examples(mnist, 1):
        _, strokes = style_layers(digit, "one_european", rng)
        left, top, right, bottom = _bbox(strokes > 0.5)
        assert right - left > 0.3 * (bottom - top)  # much wider than a plain 1


def test_apply_styles_keeps_labels_and_respects_rates(small_mnist):
    x, y = small_mnist.x_train, small_mnist.y_train
    before = x.copy()
    x_new, y_new, chosen = apply_styles(x, y, seed=3)
    np.testing.assert_array_equal(x, before)  # the input is not modified
    n = len(y)
    np.testing.assert_array_equal(x_new[:n], x)  # every original kept, first, unchanged
    np.testing.assert_array_equal(y_new[:n], y)
    assert (chosen[:n] == -1).all() and (chosen[n:] >= 0).all()
    assert x_new.dtype == np.uint8 and len(x_new) == len(y_new) == len(chosen)
    for index, style in enumerate(STYLES):
        label, rate = STYLE_RATES[style]
        picked = chosen == index
        assert (y_new[picked] == label).all()  # labels unchanged
        assert picked.sum() == round(rate * (y == label).sum())
    for label in range(10):  # MNIST's own style stays dominant in every class
        assert (chosen[y_new == label] == -1).mean() >= 0.75
    again = apply_styles(x, y, seed=3)[0]
    np.testing.assert_array_equal(again, x_new)  # seeded


def test_styles_working_canvas_has_room_for_a_long_slash():
    assert PAD >= 0.4 * 28 * SCALE


# --- negatives --------------------------------------------------------------------------

def test_negatives_are_mnist_like_images(small_mnist):
    images = make_negatives(60, seed=0, digits=small_mnist.x_train)
    assert images.shape == (60, 28, 28) and images.dtype == np.uint8
    assert (images.reshape(60, -1).max(axis=1) > 128).all()  # every one has ink
    np.testing.assert_array_equal(images, make_negatives(60, seed=0, digits=small_mnist.x_train))
    assert not np.array_equal(images, make_negatives(60, seed=1, digits=small_mnist.x_train))
    assert abs(sum(KINDS.values()) - 1) < 1e-9


def test_every_kind_draws_an_inked_image(small_mnist):
    from digitstudio.data.negatives import draw_negative

    rng = np.random.default_rng(0)
    for kind in KINDS:
        image = draw_negative(kind, rng, small_mnist.x_train)
        assert image.shape == (28, 28) and image.max() > 0.5, kind
    with pytest.raises(KeyError):
        draw_negative("turtle", rng)


def test_negatives_without_digits_skip_the_pairs():
    images = make_negatives(20, seed=0)
    assert images.shape == (20, 28, 28)


def test_soft_targets_are_one_hot_then_uniform():
    targets = soft_targets(np.array([3, 0, 9]), 2)
    assert targets.shape == (5, 10) and targets.dtype == np.float32
    np.testing.assert_allclose(targets.sum(axis=1), 1, rtol=1e-6)
    assert targets[0, 3] == 1 and targets[2, 9] == 1
    np.testing.assert_allclose(targets[3:], 0.1)


def test_digit_accuracy_ignores_non_digit_rows():
    metric = digit_accuracy()
    targets = soft_targets(np.array([1, 2]), 2)
    predictions = np.full((4, 10), 0.01, np.float32)
    predictions[0, 1] = predictions[1, 5] = 0.9  # one digit right, one wrong
    predictions[2, 0] = predictions[3, 7] = 0.9  # non-digits: whatever the argmax
    metric.update_state(targets, predictions)
    assert metric.name == "accuracy"
    assert float(metric.result()) == pytest.approx(0.5)


# --- hand-made non-digits unlike any training template ------------------------------------

def _unit(drawing) -> list[np.ndarray]:
    """The strokes scaled into the drawing's unit bounding box (x and y each 0..1)."""
    points = np.array([p for stroke in drawing for p in stroke], np.float64)
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    span[span == 0] = 1.0
    return [(np.asarray(stroke, np.float64).reshape(-1, 2) - low) / span for stroke in drawing]


def _same_shape(a, b, tol: float = 0.03) -> bool:
    """Whether two drawings are the same polylines once each is scaled into its unit box,
    whatever the order and direction of their strokes."""
    a, unused = _unit(a), _unit(b)
    if len(a) != len(unused):
        return False
    for stroke in a:
        for k, other in enumerate(unused):
            if len(stroke) == len(other) and min(np.abs(stroke - other).max(),
                                                 np.abs(stroke[::-1] - other).max()) < tol:
                del unused[k]
                break
        else:
            return False
    return True


def _training_templates() -> dict[str, list]:
    """Every polyline template of digitstudio.data.negatives: each upper-case table of
    name → strokes (LETTERS, SIGNS, SHAPES and any added later), and every Hershey glyph
    of digitstudio.data.glyphs (GLYPHS: font.key)."""
    from digitstudio.data.glyphs import GLYPHS, glyph_table

    tables = {f"{table}.{name}": strokes
              for table, value in vars(negatives).items() if table.isupper() and isinstance(value, dict)
              for name, strokes in value.items() if isinstance(strokes, list)}
    tables.update({f"{font}.{key}": strokes for font, glyphs in glyph_table().items()
                   for key, (strokes, _) in zip(GLYPHS[font], glyphs)})
    return tables


def test_unseen_non_digits_are_many_in_every_kind():
    assert sum(len(d) for d in NON_DIGITS_UNSEEN.values()) >= 100
    assert set(NON_DIGITS_UNSEEN) == {"letter", "symbol", "picture", "number", "scribble"}
    for kind, drawings in NON_DIGITS_UNSEEN.items():
        assert len(drawings) >= 15, kind


def test_unseen_non_digits_render_inside_the_canvas_with_ink():
    for kind, drawings in NON_DIGITS_UNSEEN.items():
        for i, drawing in enumerate(drawings):
            points = np.array([p for stroke in drawing for p in stroke])
            assert points.min() >= BRUSH / 2 and points.max() <= CANVAS - BRUSH / 2, (kind, i)
            ink = render(drawing)[..., 3]
            assert ink.max() == 255 and (ink > 128).sum() > 500, (kind, i)
            edges = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
            assert not edges.any(), (kind, i)


def test_unseen_non_digits_copy_no_training_template():
    templates = _training_templates()
    assert {"LETTERS.K", "SIGNS.plus", "SHAPES.star", "japanese.#"} <= set(templates) and len(templates) >= 300
    for kind, drawings in NON_DIGITS_UNSEEN.items():
        for i, drawing in enumerate(drawings):
            copied = [name for name, strokes in templates.items() if _same_shape(drawing, strokes)]
            assert not copied, (kind, i, copied)


def test_the_template_check_catches_a_copy():
    k = negatives.LETTERS["K"]
    moved = _box(k, 30, 40, 100, 200)  # any box: the unit box undoes it
    assert _same_shape(moved, k)
    assert _same_shape([stroke[::-1] for stroke in reversed(moved)], k)  # any stroke order and direction
    nudged = [[(x + 3, y - 2) for x, y in stroke] for stroke in _box(negatives.SHAPES["star"], 50, 50, 180, 180)]
    assert _same_shape(nudged, negatives.SHAPES["star"])
    assert not _same_shape(_box(negatives.LETTERS["E"], 0, 0, 1, 1), negatives.LETTERS["F"])
    assert not _same_shape(moved, negatives.LETTERS["X"])
