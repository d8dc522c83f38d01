"""Hand-made drawings of writing styles MNIST barely has, and of things that are not digits.

Every drawing is a list of strokes, each a polyline of (x, y) points in pixels of the
app's 280×280 canvas, drawn in order with the app's brush (18 px). Each style has a
builder and a table of at least 20 hand-chosen parameter rows (ring sizes, slants,
slash angles, flag lengths, ...), so the variants differ the way different writers'
do; none comes from the training-time generators in digitstudio/data.

Two sets of non-digits. NON_DIGITS shares many templates with the training negatives
(digitstudio/data/negatives.py: letters A E F H K M N R T V W X Y, its signs and
shapes, two digits side by side, scribbles), so a model trained on those scores well
on it by construction. NON_DIGITS_UNSEEN shares no template with negatives.py: letters
that are neither in its list nor digit-like (P D J Q a e h n m r π λ Σ Ω Ψ μ α η),
symbols (? ! & @ $ € £ square brackets, braces, arrows, ∞, notes, √ ...; not
round brackets or \\, a lone stroke that reads as 1), pictures (heart, faces,
house, sun, cloud, moon, crown, pentagon, hexagon, bolt, flower, stick figure, spiral,
cross-hatch, tree, fish, umbrella, eye, cat, boat, cup), numbers of three and four digits or a digit
and a letter, and hand-shaped scribbles (circular scrubbing, hatching, crossed-out and
signature-like words); each letter, symbol and picture is drawn twice, at two places,
sizes, slants and turns. A test (tests/test_styles.py) checks that no drawing equals a
negatives.py template.

    STYLE_DRAWINGS     style → (digit, [drawing, ...])    (8 styles × ≥ 20)
    NON_DIGITS         kind → [drawing, ...]              (letters, signs, shapes, pairs, scribbles; ≥ 100)
    NON_DIGITS_UNSEEN  kind → [drawing, ...]              (letters, symbols, pictures, numbers, scribbles;
                                                           ≥ 15 each, 160 in all)
    ISSUE_INPUTS       the failing inputs quoted in issue 10 → (expected digit or None, drawing)
    render(drawing)    → RGBA canvas as the app's canvas returns it (white ink, alpha = ink)

Imported by tests and by bench/drawn_digits.py as testkit.style_strokes.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 280
BRUSH = 18

Drawing = list[list[tuple[float, float]]]


def ring(cx, cy, rx, ry, tilt=0.0, start=-90.0, clockwise=True, overlap=12.0, n=40):
    """An oval drawn in one stroke from `start` degrees (-90 = top), a little past where
    it began, as people close a zero."""
    sweep = (360.0 + overlap) * (1 if clockwise else -1)
    t = math.radians(tilt)
    points = []
    for a in np.radians(start + np.linspace(0.0, sweep, n)):
        x, y = rx * math.cos(a), ry * math.sin(a)
        points.append((cx + x * math.cos(t) - y * math.sin(t), cy + x * math.sin(t) + y * math.cos(t)))
    return points


def _reach(rx, ry, tilt, angle):
    """Distance from an oval's centre to its outline along a slash `angle` degrees
    clockwise from upright."""
    phi = math.radians(angle - 90 - tilt)  # direction in the oval's own frame
    return 1 / math.sqrt((math.cos(phi) / rx) ** 2 + (math.sin(phi) / ry) ** 2)


def slashed_zero(cx, cy, rx, ry, tilt, angle, reach):
    """Ring, then a slash through its centre at `angle`° clockwise from upright (↗),
    `reach` × the ring's radius along the slash on each side (> 1: runs past it)."""
    half = reach * _reach(rx, ry, tilt, angle)
    dx, dy = half * math.sin(math.radians(angle)), -half * math.cos(math.radians(angle))
    return [ring(cx, cy, rx, ry, tilt), [(cx - dx, cy - dy), (cx + dx, cy + dy)]]


def dotted_zero(cx, cy, rx, ry, tilt, dot_dx, dot_dy, dot_len):
    dot = [(cx + dot_dx, cy + dot_dy), (cx + dot_dx + dot_len, cy + dot_dy)]
    return [ring(cx, cy, rx, ry, tilt), dot]


def crossed_seven(x0, y0, w, rise, foot_x, bottom, at, half, tilt):
    """Top bar (x0, y0) → (x0 + w, y0 + rise), down to (foot_x, bottom); a bar `2·half`
    long across the stem at fraction `at` of its length, tilted `tilt` px."""
    corner = (x0 + w, y0 + rise)
    mx, my = corner[0] + at * (foot_x - corner[0]), corner[1] + at * (bottom - corner[1])
    return [[(x0, y0), corner, (foot_x, bottom)], [(mx - half, my + tilt), (mx + half, my - tilt)]]


def flagged_one(top_x, top_y, foot_x, foot_y, flag, angle, base):
    """Flag `flag` px long coming up at `angle`° from the left into the top, the stem
    down to the foot; a base `2·base` px wide when base > 0."""
    a = math.radians(angle)
    strokes = [[(top_x - flag * math.cos(a), top_y + flag * math.sin(a)), (top_x, top_y), (foot_x, foot_y)]]
    if base:
        strokes.append([(foot_x - base, foot_y), (foot_x + base, foot_y)])
    return strokes


def open_four(arm_x, arm_y, corner_x, bar_y, bar_end, stem_x, stem_y, foot_x, foot_y):
    """Arm down to the bar, bar to the right; a separate stem that never meets the arm."""
    return [[(arm_x, arm_y), (corner_x, bar_y), (bar_end, bar_y)], [(stem_x, stem_y), (foot_x, foot_y)]]


def straight_nine(cx, cy, rx, ry, foot_x, foot_y):
    """A loop drawn counter-clockwise from its right side, then straight down."""
    return [ring(cx, cy, rx, ry, start=0, clockwise=False, overlap=8) + [(foot_x, foot_y)]]


_SLASH_PAST = [  # cx, cy, rx, ry, tilt, slash angle, reach
    (140, 140, 80, 95, 0, 40, 1.35), (140, 140, 55, 95, 0, 33, 1.25), (140, 140, 70, 100, 0, 30, 1.3),
    (135, 145, 60, 90, 10, 45, 1.4), (145, 140, 75, 105, -5, 35, 1.2), (140, 135, 50, 100, 0, 25, 1.35),
    (140, 140, 90, 100, 0, 45, 1.25), (130, 140, 65, 95, 15, 40, 1.3), (150, 140, 60, 95, -10, 30, 1.3),
    (140, 150, 65, 85, 0, 50, 1.2), (140, 140, 45, 95, 5, 28, 1.45), (140, 140, 85, 95, 0, 38, 1.5),
    (140, 140, 60, 110, 0, 35, 1.15), (140, 140, 70, 90, 20, 42, 1.3), (140, 140, 58, 98, -15, 30, 1.3),
    (140, 140, 75, 95, 0, 55, 1.25), (140, 140, 62, 92, 0, 20, 1.3), (140, 140, 68, 100, 8, 36, 1.6),
    (140, 140, 52, 90, 0, 40, 1.25), (140, 140, 80, 110, -5, 33, 1.2),
]
_SLASH_INSIDE = [(cx, cy, rx, ry, tilt, angle, reach) for (cx, cy, rx, ry, tilt, angle, _), reach in zip(
    _SLASH_PAST, [0.9, 0.8, 1.0, 0.85, 0.95, 0.9, 0.75, 1.0, 0.9, 0.85, 0.95, 0.8, 1.0, 0.9, 0.85, 0.9,
                  1.0, 0.8, 0.95, 0.9])]
_DOTTED = [  # cx, cy, rx, ry, tilt, dot dx, dot dy, dot length
    (140, 140, 75, 100, 0, 0, 0, 2), (140, 140, 60, 95, 0, -5, 5, 4), (140, 140, 85, 100, 0, 5, -5, 1),
    (140, 140, 70, 90, 10, 0, 0, 6), (140, 140, 55, 100, 0, 0, 10, 2), (140, 140, 80, 105, -10, -8, 0, 3),
    (140, 140, 65, 95, 5, 3, -10, 2), (140, 140, 90, 95, 0, 0, 0, 8), (140, 140, 60, 110, 0, 0, 0, 1),
    (140, 140, 75, 85, 15, 5, 5, 5), (140, 140, 70, 100, 0, -3, -3, 2), (140, 140, 78, 98, 0, 10, 0, 2),
    (140, 140, 66, 92, -5, 0, 5, 0), (140, 140, 72, 102, 0, 0, -5, 10), (140, 140, 58, 90, 8, -5, 0, 2),
    (140, 140, 82, 100, 0, 2, 2, 4), (140, 140, 62, 105, -8, 0, 0, 3), (140, 140, 76, 96, 0, -6, 8, 2),
    (140, 140, 68, 88, 0, 4, -6, 6), (140, 140, 85, 110, 5, 0, 0, 2),
]
_SEVENS = [  # x0, y0, w, rise, foot x, bottom, cross at, cross half, cross tilt
    (60, 40, 160, 0, 120, 245, 0.5, 40, 0), (70, 50, 140, 10, 110, 240, 0.45, 35, 3),
    (55, 45, 170, -5, 100, 250, 0.55, 45, -3), (80, 40, 130, 5, 140, 245, 0.5, 30, 0),
    (60, 60, 150, 0, 90, 240, 0.4, 40, 5), (65, 40, 155, 15, 125, 250, 0.5, 38, 0),
    (50, 50, 180, 0, 130, 240, 0.5, 50, -5), (75, 45, 140, -10, 115, 245, 0.6, 35, 2),
    (60, 40, 160, 0, 150, 245, 0.5, 42, 0), (70, 40, 150, 5, 95, 235, 0.45, 36, 0),
    (60, 50, 160, 0, 120, 245, 0.35, 40, 0), (60, 50, 160, 0, 120, 245, 0.65, 40, 0),
    (90, 40, 120, 0, 120, 245, 0.5, 30, 4), (55, 40, 165, 20, 110, 245, 0.5, 44, -2),
    (60, 45, 160, 0, 70, 240, 0.5, 40, 0), (65, 40, 150, -8, 135, 250, 0.5, 34, 6),
    (60, 40, 160, 0, 120, 245, 0.5, 55, 0), (60, 40, 160, 0, 120, 245, 0.5, 28, 0),
    (80, 55, 140, 5, 100, 235, 0.55, 38, -4), (50, 45, 175, 0, 125, 250, 0.45, 46, 2),
]
_FLAG_ONES = [  # top x, top y, foot x, foot y, flag length, flag angle, base half
    (150, 35, 140, 245, 50, 40, 0), (145, 40, 135, 240, 60, 35, 0), (160, 35, 130, 245, 45, 45, 0),
    (140, 30, 140, 250, 55, 30, 0), (155, 40, 125, 240, 40, 50, 0), (150, 35, 145, 245, 65, 38, 0),
    (145, 35, 120, 245, 50, 42, 0), (150, 45, 140, 240, 35, 55, 0), (165, 35, 135, 245, 55, 33, 0),
    (150, 35, 140, 245, 70, 40, 0), (150, 35, 140, 245, 50, 40, 40), (145, 40, 135, 240, 60, 35, 50),
    (160, 35, 130, 245, 45, 45, 35), (140, 30, 140, 250, 55, 30, 45), (155, 40, 125, 240, 40, 50, 40),
    (150, 35, 145, 245, 65, 38, 55), (145, 35, 120, 245, 50, 42, 35), (150, 45, 140, 240, 35, 55, 45),
    (165, 35, 135, 245, 55, 33, 50), (150, 35, 140, 245, 70, 40, 40),
]
_EUROPEAN = [  # flag start, top, foot (x, y each)
    ((90, 90), (175, 35), (130, 245)), ((80, 100), (170, 35), (120, 245)), ((95, 85), (180, 30), (145, 250)),
    ((85, 95), (165, 40), (115, 240)), ((100, 80), (175, 35), (140, 245)), ((75, 110), (170, 30), (125, 250)),
    ((90, 100), (160, 35), (130, 245)), ((95, 75), (180, 35), (120, 240)), ((80, 85), (170, 40), (150, 245)),
    ((100, 95), (175, 30), (110, 245)), ((85, 80), (165, 30), (135, 250)), ((70, 100), (165, 40), (130, 240)),
    ((105, 85), (180, 35), (140, 245)), ((90, 110), (170, 35), (135, 245)), ((95, 90), (185, 40), (125, 245)),
    ((80, 90), (160, 30), (110, 240)), ((100, 100), (175, 40), (145, 250)), ((85, 105), (175, 30), (120, 245)),
    ((90, 85), (170, 35), (150, 240)), ((75, 95), (168, 38), (128, 248)),
]
_FOURS = [  # arm x, arm y, corner x, bar y, bar end, stem x, stem y, foot x, foot y
    (80, 40, 70, 160, 220, 180, 40, 180, 245), (90, 50, 75, 150, 210, 170, 45, 165, 240),
    (70, 45, 65, 165, 230, 185, 35, 175, 250), (85, 35, 80, 155, 215, 175, 50, 180, 245),
    (95, 40, 70, 150, 220, 180, 40, 170, 240), (75, 50, 75, 170, 225, 175, 40, 185, 245),
    (80, 40, 60, 140, 215, 165, 35, 160, 245), (100, 45, 80, 160, 230, 190, 45, 180, 250),
    (80, 60, 70, 165, 210, 170, 55, 175, 240), (70, 40, 70, 150, 220, 180, 40, 180, 245),
    (85, 45, 65, 160, 225, 175, 30, 165, 245), (90, 40, 85, 170, 215, 170, 40, 175, 250),
    (80, 35, 75, 145, 220, 185, 40, 185, 240), (75, 50, 60, 155, 205, 160, 50, 150, 245),
    (95, 40, 80, 165, 235, 195, 35, 190, 245), (80, 45, 70, 160, 220, 178, 45, 172, 250),
    (70, 55, 72, 158, 218, 182, 38, 182, 242), (88, 38, 68, 152, 222, 176, 42, 170, 246),
    (78, 42, 74, 168, 212, 168, 48, 176, 244), (92, 48, 76, 148, 226, 188, 36, 178, 248),
]
_NINES = [  # loop cx, cy, rx, ry, foot x, foot y
    (135, 90, 55, 50, 185, 245), (140, 85, 60, 45, 195, 245), (130, 95, 50, 55, 175, 240),
    (140, 90, 65, 50, 200, 250), (135, 80, 55, 40, 190, 245), (145, 95, 50, 50, 185, 250),
    (130, 90, 60, 55, 180, 245), (140, 85, 45, 45, 180, 240), (135, 95, 55, 60, 175, 245),
    (140, 80, 60, 40, 205, 245), (135, 90, 55, 50, 170, 245), (140, 90, 55, 50, 195, 230),
    (130, 85, 50, 45, 165, 250), (140, 95, 65, 55, 195, 245), (135, 85, 50, 50, 190, 240),
    (145, 90, 55, 45, 190, 245), (130, 90, 55, 55, 175, 250), (140, 85, 60, 50, 185, 240),
    (135, 95, 50, 45, 180, 245), (140, 88, 58, 52, 198, 248),
]

STYLE_DRAWINGS: dict[str, tuple[int, list[Drawing]]] = {
    "zero_slash_past": (0, [slashed_zero(*row) for row in _SLASH_PAST]),
    "zero_slash_inside": (0, [slashed_zero(*row) for row in _SLASH_INSIDE]),
    "zero_dot": (0, [dotted_zero(*row) for row in _DOTTED]),
    "seven_crossed": (7, [crossed_seven(*row) for row in _SEVENS]),
    "one_flag": (1, [flagged_one(*row) for row in _FLAG_ONES if not row[-1]]
                 + [flagged_one(*row[:4], row[4] * 1.2, row[5] + 8, 0) for row in _FLAG_ONES if not row[-1]]),
    "one_flag_base": (1, [flagged_one(*row) for row in _FLAG_ONES if row[-1]]
                      + [flagged_one(*row[:4], row[4] * 0.8, row[5] - 5, row[6] * 0.8)
                         for row in _FLAG_ONES if row[-1]]),
    "one_european": (1, [[[start, top, foot]] for start, top, foot in _EUROPEAN]),
    "four_open": (4, [open_four(*row) for row in _FOURS]),
    "nine_straight": (9, [straight_nine(*row) for row in _NINES]),
}


# --- non-digits --------------------------------------------------------------------------

def _box(strokes, left, top, width, height):
    """Unit-box polylines (x right, y down) placed in a box of the canvas."""
    return [[(left + x * width, top + y * height) for x, y in stroke] for stroke in strokes]


_LETTERS = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.2, 0.58), (0.8, 0.58)]],
    "A2": [[(0.05, 1), (0.45, 0), (0.55, 0), (0.95, 1)], [(0.25, 0.65), (0.75, 0.65)]],
    "E": [[(0.9, 0), (0.1, 0), (0.1, 1), (0.9, 1)], [(0.1, 0.5), (0.75, 0.5)]],
    "F": [[(0.9, 0), (0.1, 0), (0.1, 1)], [(0.1, 0.45), (0.7, 0.45)]],
    "H": [[(0.1, 0), (0.1, 1)], [(0.9, 0), (0.9, 1)], [(0.1, 0.5), (0.9, 0.5)]],
    "K": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.15, 0.5), (0.85, 1)]],
    "M": [[(0, 1), (0.05, 0), (0.5, 0.6), (0.95, 0), (1, 1)]],
    "N": [[(0.1, 1), (0.1, 0), (0.9, 1), (0.9, 0)]],
    "R": [[(0.15, 1), (0.15, 0), (0.75, 0.05), (0.85, 0.27), (0.7, 0.47), (0.15, 0.5), (0.9, 1)]],
    "T": [[(0, 0), (1, 0)], [(0.5, 0), (0.5, 1)]],
    "V": [[(0, 0), (0.5, 1), (1, 0)]],
    "W": [[(0, 0), (0.22, 1), (0.5, 0.3), (0.78, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "Y": [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
    "L": [[(0.15, 0), (0.15, 1), (0.9, 1)]],
    "U": [[(0.1, 0), (0.1, 0.7), (0.3, 1), (0.7, 1), (0.9, 0.7), (0.9, 0)]],
}
_SIGNS = {
    "plus": [[(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]],
    "minus": [[(0, 0.5), (1, 0.5)]],
    "times": [[(0.1, 0.1), (0.9, 0.9)], [(0.9, 0.1), (0.1, 0.9)]],
    "equals": [[(0, 0.3), (1, 0.3)], [(0, 0.7), (1, 0.7)]],
    "divide": [[(0, 0.5), (1, 0.5)], [(0.5, 0.1), (0.51, 0.1)], [(0.5, 0.9), (0.51, 0.9)]],
    "percent": [[(0.85, 0), (0.15, 1)], ring(0.2, 0.2, 0.14, 0.18, n=16), ring(0.8, 0.8, 0.14, 0.18, n=16)],
    "hash": [[(0.35, 0), (0.3, 1)], [(0.72, 0), (0.67, 1)], [(0, 0.33), (1, 0.33)], [(0, 0.67), (1, 0.67)]],
    "asterisk": [[(0.5, 0), (0.5, 1)], [(0.07, 0.25), (0.93, 0.75)], [(0.93, 0.25), (0.07, 0.75)]],
    "less": [[(1, 0), (0, 0.5), (1, 1)]],
    "greater": [[(0, 0), (1, 0.5), (0, 1)]],
    "arrow": [[(0, 0.5), (1, 0.5)], [(0.7, 0.2), (1, 0.5), (0.7, 0.8)]],
    "not_equal": [[(0, 0.35), (1, 0.35)], [(0, 0.65), (1, 0.65)], [(0.75, 0), (0.25, 1)]],
}
_SHAPES = {
    "triangle": [[(0.5, 0), (1, 0.9), (0, 0.9), (0.5, 0)]],
    "square": [[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]],
    "star": [[(0.5, 0), (0.79, 0.9), (0.02, 0.35), (0.98, 0.35), (0.21, 0.9), (0.5, 0)]],
    "zigzag": [[(0, 0.3), (0.2, 0.7), (0.4, 0.3), (0.6, 0.7), (0.8, 0.3), (1, 0.7)]],
    "wave": [[(t, 0.5 - 0.3 * math.sin(t * 4 * math.pi)) for t in np.linspace(0, 1, 24)]],
    "tick": [[(0, 0.55), (0.3, 0.95), (1, 0)]],
    "heart": [[(0.5, 1), (0.05, 0.45), (0.05, 0.15), (0.25, 0), (0.5, 0.2), (0.75, 0), (0.95, 0.15),
               (0.95, 0.45), (0.5, 1)]],
}
_GLYPHS = {  # digits for two-digit pairs, unit box
    "0": [ring(0.5, 0.5, 0.45, 0.5, n=24)],
    "1": [[(0.3, 0.15), (0.6, 0), (0.55, 1)]],
    "2": [[(0.1, 0.25), (0.35, 0.02), (0.7, 0.02), (0.9, 0.25), (0.1, 1), (0.95, 1)]],
    "3": [[(0.1, 0.1), (0.5, 0), (0.85, 0.2), (0.5, 0.48), (0.9, 0.72), (0.5, 1), (0.1, 0.9)]],
    "4": [[(0.6, 0), (0.05, 0.65), (0.95, 0.65)], [(0.65, 0.3), (0.65, 1)]],
    "5": [[(0.85, 0), (0.2, 0), (0.15, 0.45), (0.6, 0.4), (0.9, 0.65), (0.6, 1), (0.1, 0.9)]],
    "6": [[(0.75, 0), (0.25, 0.4), (0.15, 0.75), (0.5, 1), (0.85, 0.75), (0.5, 0.5), (0.2, 0.7)]],
    "7": [[(0.05, 0), (0.95, 0), (0.35, 1)]],
    "8": [ring(0.5, 0.25, 0.3, 0.25, n=20) + ring(0.5, 0.75, 0.4, 0.25, start=-90, clockwise=False, n=20)],
    "9": [ring(0.5, 0.28, 0.4, 0.28, start=0, clockwise=False, n=20) + [(0.85, 1)]],
}
_PAIRS = ["12", "34", "10", "27", "56", "89", "45", "71", "23", "90", "11", "68", "33", "19"]


def _letters() -> list[Drawing]:
    boxes = [(60, 40, 160, 200), (80, 50, 120, 180), (40, 60, 200, 170)]
    out = [_box(_LETTERS[name], *boxes[i % 3]) for i, name in enumerate(_LETTERS)]
    out += [_box(_LETTERS[name], *boxes[(i + 1) % 3]) for i, name in enumerate(_LETTERS)]
    out += [_box(_LETTERS[name], 70, 30, 140, 220) for name in ("A", "H", "K", "M", "N", "R", "X", "Y")]
    return out


def _signs() -> list[Drawing]:
    out = [_box(strokes, 50, 50, 180, 180) for strokes in _SIGNS.values()]
    out += [_box(strokes, 80, 70, 120, 140) for strokes in _SIGNS.values()]
    out += [_box(_SIGNS["plus"], 40, 60, 200, 160), _box(_SIGNS["minus"], 40, 130, 200, 20),
            _box(_SIGNS["minus"], 90, 140, 100, 10), _box(_SIGNS["equals"], 50, 90, 180, 100)]
    return out


def _shapes() -> list[Drawing]:
    out = [_box(strokes, 50, 50, 180, 180) for strokes in _SHAPES.values()]
    out += [_box(strokes, 40, 80, 200, 120) for strokes in _SHAPES.values()]
    return out


def _pairs() -> list[Drawing]:
    out = []
    for i, text in enumerate(_PAIRS):
        width, gap, top = (80, 20, 60) if i % 2 else (95, 10, 50)
        height = 160 if i % 3 else 140
        left = (CANVAS - 2 * width - gap) / 2
        out.append(_box(_GLYPHS[text[0]], left, top, width, height)
                   + _box(_GLYPHS[text[1]], left + width + gap, top, width, height))
    return out


def _scribbles() -> list[Drawing]:
    out = []
    for turns, height, slant in ((8, 150, 0), (10, 120, 20), (6, 180, -15), (12, 100, 10), (9, 200, 0),
                                 (7, 140, 30), (11, 160, -25), (14, 130, 5)):
        points = [(60 + 160 * (k % 2) + slant * (k / turns), 60 + height * k / turns) for k in range(turns + 1)]
        out.append([points])
    for loops, r in ((5, 40), (7, 30), (4, 55)):  # loop-de-loops across the canvas
        t = np.linspace(0, 2 * math.pi * loops, 12 * loops)
        out.append([[(60 + 160 * s / t[-1] + r * math.cos(s), 140 + r * math.sin(s)) for s in t]])
    return out


NON_DIGITS: dict[str, list[Drawing]] = {
    "letter": _letters(), "sign": _signs(), "shape": _shapes(), "pair": _pairs(), "scribble": _scribbles(),
}


# --- non-digits unlike any training template -----------------------------------------------
# Nothing below copies a template of digitstudio/data/negatives.py (its letters, signs and
# shapes, two digits side by side, random strokes, dense random scribbles, closed polygons
# of 3 or 4 corners, dots and dashes, words of its letters): other letters and symbols,
# pictures, numbers of three and four digits, hand-shaped scribbles. Templates live in a
# unit box (x right, y down) with the width / height they are drawn at; each letter,
# symbol and picture is placed twice, at two of the _SPOTS.

def _arc(cx, cy, rx, ry, start, end, n=None):
    """Points on an oval from `start` to `end` degrees (0 = right, 90 = down; increasing
    angles run clockwise on the screen)."""
    n = n or max(4, int(abs(end - start) / 10) + 1)
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in np.radians(np.linspace(start, end, n))]


def _smooth(points, rounds=3):
    """Chaikin corner cutting: a hand's rounded version of a polyline, ends kept."""
    for _ in range(rounds):
        out = [points[0]]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            out += [(0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1), (0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1)]
        points = out + [points[-1]]
    return points


def _head(tip, back, size=0.22, spread=32.0):
    """An arrowhead (one stroke, barb–tip–barb) at `tip` for a shaft coming from `back`."""
    dx, dy = back[0] - tip[0], back[1] - tip[1]
    norm = math.hypot(dx, dy)
    dx, dy = dx / norm * size, dy / norm * size
    barbs = []
    for a in (math.radians(spread), -math.radians(spread)):
        barbs.append((tip[0] + dx * math.cos(a) - dy * math.sin(a), tip[1] + dx * math.sin(a) + dy * math.cos(a)))
    return [barbs[0], tip, barbs[1]]


def _blob(cx, cy, rx, ry, turns=2.5, tilt=-20.0):
    """A filled note head: an oval scrubbed in as an inward spiral."""
    t = np.linspace(0, 2 * math.pi * turns, int(20 * turns))
    shrink = 1 - 0.8 * t / t[-1]
    c, s = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    return [(cx + rx * k * math.cos(a) * c - ry * k * math.sin(a) * s,
             cy + rx * k * math.cos(a) * s + ry * k * math.sin(a) * c) for a, k in zip(t, shrink)]


def _flip(strokes, x=True):
    """Mirror left–right (x) or upside down."""
    return [[(1 - px, py) if x else (px, 1 - py) for px, py in stroke] for stroke in strokes]


def _polygon(sides, turn=-90.0):
    return [_arc(0.5, 0.5, 0.5, 0.5, turn, turn + 360, n=sides + 1)]


def _dot(x, y):
    return [(x, y), (x + 0.01, y + 0.01)]


_UNSEEN_LETTERS = {  # name → (width / height, strokes): none of them a digit's shape
    "P": (0.65, [[(0.15, 1), (0.15, 0), (0.5, 0)] + _arc(0.5, 0.26, 0.38, 0.26, -90, 90) + [(0.15, 0.52)]]),
    "D": (0.8, [[(0.12, 1), (0.12, 0), (0.4, 0)] + _arc(0.4, 0.5, 0.5, 0.5, -90, 90) + [(0.12, 1)]]),
    "J": (0.6, [[(0.15, 0), (0.95, 0)], [(0.62, 0), (0.62, 0.72)] + _arc(0.36, 0.72, 0.26, 0.27, 0, 170)]),
    "Q": (0.85, [_arc(0.5, 0.46, 0.45, 0.44, -90, 275), [(0.55, 0.72), (0.98, 1)]]),
    "a": (0.95, [_arc(0.45, 0.55, 0.37, 0.4, -35, -360), [(0.84, 0.12), (0.83, 0.88), (0.98, 1.0)]]),
    "e": (0.9, [[(0.1, 0.5), (0.9, 0.5)] + _arc(0.5, 0.5, 0.4, 0.48, 0, -315)]),
    "h": (0.7, [[(0.15, 0), (0.15, 1)], _arc(0.47, 0.62, 0.32, 0.25, 180, 360) + [(0.79, 1)]]),
    "n": (1.1, [[(0.1, 0.05), (0.1, 1)], _arc(0.5, 0.45, 0.4, 0.4, 180, 360) + [(0.9, 1)]]),
    "m": (1.5, [[(0.06, 0.05), (0.06, 1)], _arc(0.28, 0.4, 0.22, 0.35, 180, 360) + [(0.5, 1)],
                _arc(0.72, 0.4, 0.22, 0.35, 180, 360) + [(0.94, 1)]]),
    "r": (0.6, [[(0.2, 0.05), (0.2, 1)], _arc(0.6, 0.45, 0.4, 0.38, 180, 300)]),
    "pi": (1.1, [[(0.02, 0.2), (0.15, 0.05), (0.98, 0.02)], [(0.32, 0.05), (0.28, 0.6), (0.18, 1)],
                 [(0.7, 0.05), (0.7, 0.85), (0.85, 0.98), (0.95, 0.9)]]),
    "lambda": (0.8, [[(0.05, 0.02), (0.3, 0.0), (0.45, 0.2), (0.95, 1)], [(0.6, 0.45), (0.05, 1)]]),
    "Sigma": (0.8, [[(0.95, 0.15), (0.9, 0.0), (0.05, 0.0), (0.55, 0.5), (0.05, 1), (0.9, 1), (0.95, 0.85)]]),
    "Omega": (0.9, [[(0.02, 1), (0.33, 1), (0.33, 0.88)] + _arc(0.5, 0.46, 0.44, 0.46, 112, 428)
                    + [(0.67, 1), (0.98, 1)]]),
    "Psi": (0.9, [_arc(0.5, 0.05, 0.44, 0.55, 180, 0), [(0.5, 0), (0.5, 1)]]),
    "mu": (0.75, [[(0.12, 0.02), (0.12, 1)], _arc(0.42, 0.3, 0.3, 0.3, 180, 0),
                  [(0.72, 0.02), (0.72, 0.55), (0.9, 0.62)]]),
    "alpha": (1.2, [_smooth([(0.95, 0.05), (0.7, 0.5), (0.45, 0.9), (0.15, 0.85), (0.05, 0.5), (0.2, 0.12),
                             (0.45, 0.15), (0.7, 0.55), (0.97, 0.95)])]),
    "eta": (0.7, [[(0.12, 0.02), (0.12, 0.62)], _arc(0.45, 0.3, 0.33, 0.28, 180, 360) + [(0.78, 1)]]),
}

_TURN_END = _arc(0.5, 0.5, 0.45, 0.45, -60, 205)  # clockwise, open at the top left
_LEMNISCATE = [(0.5 + 0.5 * math.cos(t) / (1 + math.sin(t) ** 2),
                0.5 + 1.414 * 0.5 * math.sin(t) * math.cos(t) / (1 + math.sin(t) ** 2))
               for t in np.linspace(0, 2 * math.pi, 49)]
_TILDE = _smooth([(0.0, 0.4), (0.25, 0.05), (0.5, 0.25), (0.75, 0.45), (1.0, 0.1)])
_UNSEEN_SYMBOLS = {
    "question": (0.6, [_arc(0.5, 0.27, 0.4, 0.27, 195, 420) + [(0.5, 0.58), (0.5, 0.75)], _dot(0.5, 0.96)]),
    "exclamation": (0.25, [[(0.5, 0), (0.5, 0.72)], _dot(0.5, 0.96)]),
    "ampersand": (0.75, [_smooth([(0.95, 1.0), (0.5, 0.5), (0.3, 0.28), (0.35, 0.05), (0.55, 0.03), (0.65, 0.18),
                                  (0.55, 0.36), (0.2, 0.6), (0.1, 0.82), (0.3, 0.98), (0.55, 0.95), (0.78, 0.78),
                                  (0.92, 0.6)], 2)]),
    "at": (1.0, [_arc(0.48, 0.52, 0.18, 0.2, -10, -370), [(0.67, 0.32), (0.68, 0.62)]
                 + _arc(0.5, 0.5, 0.45, 0.46, 25, -320)]),
    "dollar": (0.6, [_arc(0.5, 0.3, 0.38, 0.2, -20, -270) + _arc(0.5, 0.7, 0.4, 0.2, -90, 160),
                     [(0.52, 0.0), (0.48, 1.0)]]),
    "euro": (0.85, [_arc(0.62, 0.5, 0.38, 0.48, -45, -315), [(0.02, 0.4), (0.62, 0.4)], [(0.02, 0.6), (0.55, 0.6)]]),
    "pound": (0.75, [_smooth([(0.85, 0.2), (0.72, 0.03), (0.48, 0.04), (0.36, 0.25), (0.4, 0.6), (0.3, 0.85),
                              (0.08, 0.98)], 2) + [(0.92, 0.98)], [(0.12, 0.52), (0.66, 0.52)]]),
    "bracket_open": (0.4, [[(0.9, 0.0), (0.15, 0.0), (0.15, 1.0), (0.9, 1.0)]]),
    "bracket_close": (0.4, _flip([[(0.9, 0.0), (0.15, 0.0), (0.15, 1.0), (0.9, 1.0)]])),
    "brace": (0.45, [_smooth([(0.9, 0.0), (0.45, 0.05), (0.5, 0.42), (0.08, 0.5), (0.5, 0.58), (0.45, 0.95),
                              (0.9, 1.0)], 2)]),
    "tilde": (2.5, [_smooth([(0.0, 0.8), (0.2, 0.05), (0.45, 0.4), (0.65, 0.9), (0.85, 0.8), (1.0, 0.2)])]),
    "approx": (1.6, [_TILDE, [(x, y + 0.5) for x, y in _TILDE]]),
    "arrow_up": (0.55, [[(0.5, 1.0), (0.5, 0.0)], [(0.05, 0.35), (0.5, 0.0), (0.95, 0.35)]]),
    "arrow_down": (0.55, _flip([[(0.5, 1.0), (0.5, 0.0)], [(0.05, 0.35), (0.5, 0.0), (0.95, 0.35)]], x=False)),
    "arrow_back": (1.0, [[(0.05, 0.85), (0.6, 0.85)] + _arc(0.6, 0.5, 0.35, 0.35, 90, -90) + [(0.12, 0.15)],
                         [(0.35, 0.0), (0.1, 0.15), (0.35, 0.3)]]),
    "arrow_round": (1.0, [_TURN_END, _head(_TURN_END[-1], _TURN_END[-3], size=0.32, spread=38)]),
    "infinity": (2.4, [_LEMNISCATE]),
    "note": (0.6, [_blob(0.35, 0.84, 0.28, 0.15), [(0.62, 0.82), (0.62, 0.0)]
                   + _smooth([(0.62, 0.0), (0.8, 0.15), (0.95, 0.4), (0.85, 0.6)], 2)]),
    "notes": (1.0, [_blob(0.2, 0.86, 0.18, 0.1), _blob(0.75, 0.76, 0.18, 0.1), [(0.37, 0.84), (0.37, 0.1)],
                    [(0.92, 0.74), (0.92, 0.0)], [(0.37, 0.1), (0.92, 0.0)], [(0.37, 0.24), (0.92, 0.14)]]),
    "root": (1.2, [[(0.0, 0.62), (0.1, 0.55), (0.3, 1.0), (0.52, 0.0), (1.0, 0.0)]]),
    "male": (1.0, [_arc(0.38, 0.62, 0.34, 0.34, 0, 370), [(0.62, 0.38), (0.97, 0.03)],
                   [(0.62, 0.03), (0.97, 0.03), (0.97, 0.38)]]),
    "copyright": (1.0, [_arc(0.5, 0.5, 0.48, 0.48, -90, 275), _arc(0.52, 0.5, 0.2, 0.22, -40, -320)]),
}

_HEART = [(0.5 + 0.5 * math.sin(t) ** 3,
           0.45 - (13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)) / 33)
          for t in np.linspace(0, 2 * math.pi, 41)]
_PICTURES = {
    "heart": (1.05, [_HEART]),
    "smiley": (1.0, [ring(0.5, 0.5, 0.48, 0.48, n=36), _dot(0.33, 0.35), _dot(0.67, 0.35),
                     _arc(0.5, 0.55, 0.28, 0.22, 15, 165)]),
    "frown": (1.0, [ring(0.5, 0.5, 0.48, 0.48, n=36), _dot(0.33, 0.33), _dot(0.67, 0.33),
                    _arc(0.5, 0.85, 0.26, 0.18, 200, 340)]),
    "house": (0.95, [[(0.1, 0.45), (0.1, 1.0), (0.9, 1.0), (0.9, 0.45)], [(0.0, 0.5), (0.5, 0.0), (1.0, 0.5)],
                     [(0.4, 1.0), (0.4, 0.7), (0.6, 0.7), (0.6, 1.0)]]),
    "sun": (1.0, [ring(0.5, 0.5, 0.22, 0.22, n=24)]
            + [[(0.5 + r0 * math.cos(a), 0.5 + r0 * math.sin(a)), (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a))]
               for a in np.radians(np.arange(0, 360, 45) + 10) for r0 in [0.32]]),
    "cloud": (1.8, [_arc(0.15, 0.68, 0.14, 0.22, 90, 270) + _arc(0.38, 0.42, 0.2, 0.36, 195, 330)
                    + _arc(0.66, 0.4, 0.2, 0.34, 210, 340) + _arc(0.85, 0.66, 0.14, 0.24, 250, 450)
                    + [(0.15, 0.9)]]),
    "moon": (0.6, [_arc(0.55, 0.5, 0.5, 0.5, -70, -290) + _smooth([(0.72, 0.97), (0.4, 0.75), (0.32, 0.5),
                                                                 (0.4, 0.25), (0.72, 0.03)])]),
    "crown": (1.3, [[(0.05, 1), (0.0, 0.15), (0.27, 0.55), (0.5, 0.0), (0.73, 0.55), (1.0, 0.15), (0.95, 1),
                     (0.05, 1)], _dot(0.5, 0.78)]),
    "pentagon": (1.0, _polygon(5)),
    "hexagon": (1.1, _polygon(6, turn=0)),
    "lightning": (0.6, [[(0.55, 0), (0.1, 0.55), (0.45, 0.55), (0.25, 1), (0.9, 0.38), (0.55, 0.38), (0.8, 0),
                         (0.55, 0)]]),
    "flower": (0.85, [ring(0.5 + 0.3 * math.cos(a), 0.32 + 0.24 * math.sin(a), 0.17, 0.13, n=16)
                      for a in np.radians(np.arange(0, 360, 72) - 90)]
               + [[(0.5, 0.62), (0.5, 1)], _smooth([(0.5, 0.86), (0.78, 0.7), (0.95, 0.76), (0.5, 0.86)], 2),
                  _smooth([(0.5, 0.8), (0.25, 0.68), (0.08, 0.72), (0.5, 0.8)], 2)]),
    "stick_figure": (0.7, [ring(0.5, 0.14, 0.2, 0.14, n=20), [(0.5, 0.28), (0.5, 0.65)], [(0.05, 0.36),
                           (0.5, 0.45), (0.95, 0.36)], [(0.12, 1), (0.5, 0.65), (0.88, 1)]]),
    "spiral": (1.0, [[(0.5 + 0.48 * (t / 13.8) * math.cos(t), 0.5 + 0.48 * (t / 13.8) * math.sin(t))
                      for t in np.linspace(0.3, 13.8, 60)]]),
    "hatch": (1.0, [[(max(0, c - 1), min(1, c)), (min(1, c), max(0, c - 1))] for c in (0.3, 0.65, 1.0, 1.35, 1.7)]
              + [[(max(0, c), max(0, -c)), (min(1, 1 + c), min(1, 1 - c))] for c in (-0.7, -0.35, 0.0, 0.35, 0.7)]),
    "tree": (0.75, [[(0.5, 0), (0.2, 0.3), (0.38, 0.3), (0.1, 0.6), (0.3, 0.6), (0.0, 0.85), (1.0, 0.85),
                     (0.7, 0.6), (0.9, 0.6), (0.62, 0.3), (0.8, 0.3), (0.5, 0)],
                    [(0.42, 0.85), (0.42, 1), (0.58, 1), (0.58, 0.85)]]),
    "fish": (1.7, [_smooth([(0.75, 0.55), (0.4, 0.95), (0.02, 0.5), (0.4, 0.05), (0.75, 0.45)], 2),
                   [(0.75, 0.45), (1.0, 0.1), (1.0, 0.9), (0.75, 0.55)], _dot(0.2, 0.42)]),
    "umbrella": (1.1, [_arc(0.5, 0.5, 0.48, 0.45, 180, 360) + _arc(0.82, 0.5, 0.16, 0.08, 0, -180)
                       + _arc(0.5, 0.5, 0.16, 0.08, 0, -180) + _arc(0.18, 0.5, 0.16, 0.08, 0, -180),
                       [(0.5, 0.05), (0.5, 0.88)] + _arc(0.4, 0.88, 0.1, 0.1, 0, 180)]),
    "eye": (1.8, [_smooth([(0, 0.5), (0.5, -0.05), (1, 0.5)], 3), _smooth([(0, 0.5), (0.5, 1.05), (1, 0.5)], 3),
                  ring(0.5, 0.5, 0.13, 0.24, n=20), _dot(0.5, 0.5)]),
    "cat": (1.0, [ring(0.5, 0.6, 0.4, 0.36, n=32), [(0.16, 0.42), (0.15, 0.0), (0.4, 0.26)],
                  [(0.6, 0.26), (0.85, 0.0), (0.84, 0.42)], _dot(0.36, 0.52), _dot(0.64, 0.52),
                  [(0.0, 0.66), (0.32, 0.7)], [(0.0, 0.82), (0.32, 0.76)], [(1.0, 0.66), (0.68, 0.7)],
                  [(1.0, 0.82), (0.68, 0.76)]]),
    "boat": (1.1, [[(0, 0.7), (1, 0.7), (0.8, 1), (0.2, 1), (0, 0.7)], [(0.5, 0.7), (0.5, 0)],
                   [(0.5, 0.05), (0.9, 0.6), (0.5, 0.6)]]),
    "cup": (1.0, [ring(0.38, 0.34, 0.33, 0.06, n=20), [(0.05, 0.34), (0.1, 0.9), (0.66, 0.9), (0.71, 0.34)],
                  _arc(0.7, 0.6, 0.2, 0.18, -90, 90), [(0.0, 0.98), (0.8, 0.98)],
                  _smooth([(0.3, 0.2), (0.24, 0.12), (0.32, 0.06), (0.26, 0.0)], 2),
                  _smooth([(0.48, 0.2), (0.42, 0.12), (0.5, 0.06), (0.44, 0.0)], 2)]),
}

_CURSIVE_X = [_smooth([(0.05, 0.0), (0.45, 0.2), (0.45, 0.8), (0.05, 1.0)], 2),
              _smooth([(0.95, 0.0), (0.55, 0.2), (0.55, 0.8), (0.95, 1.0)], 2)]
_SHORT = {"a", "e", "n", "m", "x"}  # lower-case letters without an ascender: drawn at 60% height
_TEXT_GLYPHS = {**{k: (0.6 if k != "1" else 0.4, v) for k, v in _GLYPHS.items()},
                "a": _UNSEEN_LETTERS["a"], "e": _UNSEEN_LETTERS["e"], "n": _UNSEEN_LETTERS["n"],
                "m": _UNSEEN_LETTERS["m"], "h": _UNSEEN_LETTERS["h"], "x": (0.8, _CURSIVE_X),
                ".": (0.1, [_dot(0.5, 0.95)])}
_NUMBERS = [  # text, centre x, centre y, glyph height, slant, baseline rise per glyph (px)
    ("123", 140, 140, 90, 0.1, 0), ("2024", 140, 130, 70, 0.15, -4), ("407", 140, 150, 100, 0.0, 6),
    ("365", 140, 120, 80, -0.1, 0), ("911", 150, 160, 110, 0.2, 0), ("1000", 140, 140, 65, 0.1, -3),
    ("789", 130, 150, 85, 0.0, -8), ("256", 140, 100, 70, 0.25, 5), ("3.14", 140, 150, 80, 0.1, 0),
    ("555", 140, 180, 60, 0.0, 0), ("4711", 140, 140, 75, 0.1, 0), ("808", 140, 140, 95, -0.05, 3),
    ("7a", 140, 140, 120, 0.1, 0), ("x2", 140, 150, 110, 0.0, 0), ("4h", 130, 140, 120, 0.15, 0),
    ("2e", 140, 130, 110, 0.0, 5), ("5m", 140, 150, 100, 0.1, 0), ("9n", 140, 140, 115, -0.1, 0),
]


def _text(text, cx, cy, height, slant, rise) -> Drawing:
    """Characters written side by side on a baseline that climbs `rise` px a glyph."""
    gap = 0.22 * height
    widths = [_TEXT_GLYPHS[ch][0] * height * (0.6 if ch in _SHORT else 1) for ch in text]
    left = cx - (sum(widths) + gap * (len(text) - 1)) / 2
    out = []
    for k, (ch, width) in enumerate(zip(text, widths)):
        h = height * (0.6 if ch in _SHORT else 1)
        top = cy + height / 2 - h - rise * (k - (len(text) - 1) / 2)
        out += _sheared(_box(_TEXT_GLYPHS[ch][1], left, top, width, h), slant, cy)
        left += width + gap
    return out


def _sheared(drawing, slant, cy):
    """Italic: points above `cy` move right by `slant` × their height above it."""
    return [[(x + slant * (cy - y), y) for x, y in stroke] for stroke in drawing]


def _fit(template, cx, cy, size, slant=0.0, turn=0.0) -> Drawing:
    """A (width / height, strokes) template with its longer side `size` px, centred on
    (cx, cy), leaning by `slant` and turned `turn` degrees clockwise."""
    aspect, strokes = template
    width, height = (size, size / aspect) if aspect >= 1 else (size * aspect, size)
    c, s = math.cos(math.radians(turn)), math.sin(math.radians(turn))
    out = []
    for stroke in strokes:
        points = []
        for x, y in stroke:
            px, py = (x - 0.5) * width, (y - 0.5) * height
            px -= slant * py
            points.append((cx + px * c - py * s, cy + px * s + py * c))
        out.append(points)
    return out


def _inside(drawing, margin=BRUSH / 2 + 2) -> Drawing:
    """Shrink (if needed) and shift a drawing so that all of its ink lies on the canvas."""
    points = np.array([p for stroke in drawing for p in stroke])
    low, high = points.min(axis=0), points.max(axis=0)
    room = CANVAS - 2 * margin
    scale = min(1.0, room / max(float((high - low).max()), 1e-9))
    centre = (low + high) / 2
    half = (high - low) * scale / 2
    moved = np.clip(centre, margin + half, CANVAS - margin - half)
    return [[(float(moved[0] + (x - centre[0]) * scale), float(moved[1] + (y - centre[1]) * scale)) for x, y in stroke]
            for stroke in drawing]


_SPOTS = [  # centre x, centre y, longer side, slant, turn (°)
    (140, 140, 200, 0.0, 0), (105, 110, 130, 0.15, -6), (175, 170, 140, -0.1, 8), (140, 150, 230, 0.2, 0),
    (120, 185, 110, 0.0, -12), (170, 105, 150, 0.1, 5), (150, 130, 170, -0.15, -5), (95, 165, 120, 0.25, 0),
    (185, 140, 150, 0.05, 10), (140, 95, 120, -0.05, -8),
]


def _twice(table) -> list[Drawing]:
    """Every template at two different spots."""
    out = []
    for i, template in enumerate(table.values()):
        for spot in (_SPOTS[(2 * i) % len(_SPOTS)], _SPOTS[(2 * i + 5) % len(_SPOTS)]):
            out.append(_inside(_fit(template, *spot)))
    return out


def _scrub(cx, cy, rx, ry, loops, drift_x, drift_y) -> Drawing:
    """Circular scrubbing: loop after loop while the hand drifts."""
    t = np.linspace(0, 2 * math.pi * loops, 24 * loops)
    f = t / t[-1] - 0.5
    wobble = 1 + 0.15 * np.sin(2.3 * t)
    return [[(float(cx + drift_x * k + rx * w * math.cos(a)), float(cy + drift_y * k + ry * w * math.sin(a)))
             for a, k, w in zip(t, f, wobble)]]


def _hatch(cx, cy, length, count, spacing, angle) -> Drawing:
    """Shading: `count` parallel strokes `spacing` px apart at `angle`° from horizontal,
    each a little longer or shorter than the last."""
    a = math.radians(angle)
    along, across = (math.cos(a), math.sin(a)), (-math.sin(a), math.cos(a))
    out = []
    for k in range(count):
        off = (k - (count - 1) / 2) * spacing
        half = length / 2 * (1 - 0.15 * ((k * 7) % 3 - 1))
        mx, my = cx + across[0] * off, cy + across[1] * off
        out.append([(mx - along[0] * half, my - along[1] * half), (mx + along[0] * half, my + along[1] * half)])
    return out


def _loops(left, mid, width, height, loops, squash=2.2) -> list[tuple[float, float]]:
    """A cursive run of `loops` loops (like "eeee"), left to right about height `mid`."""
    t = np.linspace(0, 2 * math.pi * loops, 16 * loops + 1)
    a = width / (2 * math.pi * loops)
    return [(float(left + a * s - squash * a * math.sin(s)), float(mid - height / 2 * math.cos(s))) for s in t]


def _crossed_word(left, mid, width, height, loops, cross) -> Drawing:
    """A cursive word struck out by a line, two lines or a wavy line."""
    word = [_loops(left, mid, width, height, loops)]
    right = left + width
    if cross == "line":
        return word + [[(left - 10, mid + 8), (right + 10, mid - 8)]]
    if cross == "two lines":
        return word + [[(left - 8, mid - 10), (right + 8, mid - 14)], [(left - 8, mid + 12), (right + 8, mid + 6)]]
    t = np.linspace(0, 6 * math.pi, 37)  # a wavy strike
    return word + [[(float(left - 10 + (width + 20) * s / t[-1]), float(mid + 0.3 * height * math.sin(s))) for s in t]]


def _signature(left, base, width, height, loops, flourish) -> Drawing:
    """A big looped capital, a run of smaller loops, then an underline swept back left."""
    capital = _smooth([(left, base), (left + 0.12 * width, base - height), (left + 0.2 * width, base - 0.6 * height),
                       (left + 0.02 * width, base - 0.45 * height), (left + 0.25 * width, base - 0.2 * height)], 2)
    run = _loops(left + 0.25 * width, base - 0.2 * height, 0.7 * width, 0.45 * height, loops, squash=1.3)
    end = run[-1]
    under = _smooth([end, (end[0] + 15, base + flourish), (left + 0.5 * width, base + flourish + 10),
                     (left - 5, base + flourish)], 2)
    return [capital + run + under[1:]]


_SCRUBS = [(140, 140, 50, 40, 8, 90, 10), (120, 150, 35, 30, 10, 110, -20), (150, 120, 55, 42, 7, 60, 60),
           (140, 160, 40, 38, 12, 140, 0), (130, 130, 45, 30, 9, -70, 70)]
_HATCHES = [(140, 140, 130, 6, 28, 45), (140, 140, 170, 7, 26, -30), (120, 150, 110, 5, 30, 60),
            (150, 130, 150, 6, 27, 10), (140, 140, 140, 8, 24, -60)]
_CROSSED = [(40, 140, 200, 80, 4, "line"), (50, 130, 180, 70, 3, "wave"), (30, 160, 220, 80, 5, "two lines"),
            (60, 120, 160, 60, 3, "line")]
_SIGNATURES = [(40, 170, 200, 110, 4, 20), (60, 150, 170, 90, 3, 15), (30, 190, 220, 140, 5, 25),
               (50, 160, 180, 100, 5, 12)]

NON_DIGITS_UNSEEN: dict[str, list[Drawing]] = {
    "letter": _twice(_UNSEEN_LETTERS),
    "symbol": _twice(_UNSEEN_SYMBOLS),
    "picture": _twice(_PICTURES),
    "number": [_inside(_text(*row)) for row in _NUMBERS],
    "scribble": [_inside(d) for d in [_scrub(*r) for r in _SCRUBS] + [_hatch(*r) for r in _HATCHES]
                 + [_crossed_word(*r) for r in _CROSSED] + [_signature(*r) for r in _SIGNATURES]],
}


# The inputs issue 10 quotes, with what they must read as (None: a non-digit).
ISSUE_INPUTS: dict[str, tuple[int | None, Drawing]] = {
    "slashed zero, slash past the ring": (0, [ring(140, 140, 80, 95), [(60, 235), (220, 45)]]),
    "slashed zero, narrower ring": (0, [ring(140, 140, 55, 95), [(80, 250), (200, 30)]]),
    "European one": (1, [[(90, 90), (175, 35), (130, 245)]]),
    "letter A": (None, [[(60, 230), (140, 40), (220, 230)], [(95, 150), (185, 150)]]),
    "plus": (None, [[(140, 50), (140, 230)], [(50, 140), (230, 140)]]),
}


def render(drawing: Drawing, brush: float = BRUSH, canvas: int = CANVAS) -> np.ndarray:
    """uint8 (canvas, canvas, 4) RGBA: white strokes, alpha = ink, round caps and joints,
    anti-aliased (drawn at 4× and area-averaged), as the app's canvas returns them."""
    k = 4
    picture = Image.new("L", (canvas * k, canvas * k), 0)
    pen = ImageDraw.Draw(picture)
    r = brush * k / 2
    for stroke in drawing:
        points = [(x * k, y * k) for x, y in stroke]
        if len(points) > 1:
            pen.line(points, fill=255, width=max(1, round(brush * k)), joint="curve")
        for x, y in (points[0], points[-1]):
            pen.ellipse([x - r, y - r, x + r, y + r], fill=255)
    out = np.zeros((canvas, canvas, 4), np.uint8)
    out[..., :3] = 255
    out[..., 3] = np.asarray(picture.resize((canvas, canvas), Image.BOX))
    return out
