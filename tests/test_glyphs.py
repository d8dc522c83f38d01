"""The Hershey glyphs used as non-digits: which ones, their geometry, and how they are drawn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitstudio.data.glyphs import GLYPHS, glyph_table, pick_glyph, pick_glyph_word
from digitstudio.data.negatives import KINDS, draw_negative

ROOT = Path(__file__).resolve().parents[1]
LATIN = ("futural", "timesr", "scripts", "gothiceng")
# Keys that must never be used in a Latin font: digits, letters that pass for digits,
# lone strokes and brackets (they read as 1), and the letters and symbols of the bench's
# unseen non-digits (testkit/style_strokes.py _UNSEEN_LETTERS, _UNSEEN_SYMBOLS).
NEVER_LATIN = set("0123456789OoIilSsZzBbGgq|/\\()'`,._") | set("PDJQaehnmr?!&@$[]{}~^")


def test_every_font_loads_with_its_chosen_glyphs():
    table = glyph_table()
    assert list(table) == list(GLYPHS)
    for font, keys in GLYPHS.items():
        assert len(table[font]) == len(keys), font  # every key exists and has strokes
    assert sum(len(v) for v in table.values()) >= 300


def test_latin_fonts_leave_out_digits_digit_like_letters_and_the_unseen_set():
    for font in LATIN:
        assert not set(GLYPHS[font]) & NEVER_LATIN, font
    # Greek: Θ (Q) θ (q) φ Φ (f F) β (b) δ (d) ζ (z) ι (i) ρ (r) σ (s); the unseen α η λ μ π Ψ ψ Ω Σ.
    assert not set(GLYPHS["greek"]) & set("QqfFbdzirsahlmpYyWSP")
    # Cyrillic: З з (Z z), Б б (B b), Ч ч (J j), Ь ь (_ ~), Ф ф (F f).
    assert not set(GLYPHS["cyrillic"]) & set("ZzBbJj_~Ff")


def test_glyphs_fill_a_unit_box():
    for font, table in glyph_table().items():
        for strokes, aspect in table:
            points = np.array([p for stroke in strokes for p in stroke])
            assert points.min() >= 0 and points.max() <= 1, font
            assert 0.25 <= aspect <= 4.0
            assert np.ptp(points, axis=0).max() == pytest.approx(1.0), font  # touches both sides on its long axis


def test_a_kanji_keeps_its_strokes_and_proportions():
    strokes, aspect = glyph_table()["japanese"][GLYPHS["japanese"].index("#")]  # 日: a box split twice
    assert len(strokes) >= 3 and 0.5 < aspect < 1.0  # taller than wide


def test_a_word_is_two_or_three_glyphs_of_one_font_side_by_side():
    rng = np.random.default_rng(0)
    for _ in range(50):
        strokes, width = pick_glyph_word(rng)
        points = np.array([p for stroke in strokes for p in stroke])
        assert points.min() >= 0 and points[:, 0].max() <= 1 and points[:, 1].max() <= 1
        assert width > 0.5  # at least two glyphs of at least 0.25 each, plus a gap


def test_picks_are_seeded():
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    assert [pick_glyph(a)[0] for _ in range(5)] == [pick_glyph(b)[0] for _ in range(5)]


@pytest.mark.parametrize("kind", ["glyph", "glyph_word"])
def test_glyph_negatives_look_like_mnist(kind):
    assert KINDS[kind] > 0
    rng = np.random.default_rng(1)
    for _ in range(20):
        image = draw_negative(kind, rng)
        assert image.shape == (28, 28) and image.dtype == np.float32 and image.max() > 0.5
        ys, xs = np.nonzero(image > 0.1)
        assert ys.min() >= 2 and xs.min() >= 2 and ys.max() <= 25 and xs.max() <= 25  # MNIST's 20 px box
        total = image.sum()
        cy, cx = (np.indices(image.shape) * image).reshape(2, -1).sum(axis=1) / total
        assert abs(cy - 13.5) < 2 and abs(cx - 13.5) < 2  # centre of mass at the middle, as MNIST's


def test_the_fonts_load_only_when_a_glyph_is_asked_for():
    # Importing the training data modules (as the app does) must not read the fonts;
    # the first glyph reads them once and keeps them.
    code = ("import sys; import digitstudio.data.negatives; "
            "assert 'HersheyFonts' not in sys.modules, 'loaded on import'; "
            "from digitstudio.data.glyphs import glyph_table, pick_glyph; import numpy as np; "
            "pick_glyph(np.random.default_rng(0)); pick_glyph(np.random.default_rng(1)); "
            "assert 'HersheyFonts' in sys.modules and glyph_table.cache_info().misses == 1")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
