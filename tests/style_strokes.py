"""Hand-made drawings of writing styles MNIST barely has, and of things that are not digits.

Every drawing is a list of strokes, each a polyline of (x, y) points in pixels of the
app's 280×280 canvas, drawn in order with the app's brush (18 px). Each style has a
builder and a table of at least 20 hand-chosen parameter rows (ring sizes, slants,
slash angles, flag lengths, ...), so the variants differ the way different writers'
do; none comes from the training-time generators in digitstudio/data.

    STYLE_DRAWINGS   style → (digit, [drawing, ...])      (8 styles × ≥ 20)
    NON_DIGITS       kind → [drawing, ...]                (letters, signs, shapes, pairs, scribbles; ≥ 100)
    ISSUE_INPUTS     the failing inputs quoted in issue 10 → (expected digit or None, drawing)
    render(drawing)  → RGBA canvas as the app's canvas returns it (white ink, alpha = ink)

Imported by tests and by bench/drawn_digits.py (as tests/browser_support.py is).
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
