"""Letters and signs of many scripts as pen strokes, from the Hershey vector fonts.

The Hershey fonts draw every glyph as polylines, the way a pen would (read from the
MIT-licensed `Hershey-Fonts` package; the acknowledgement their distribution asks
for: "The Hershey Fonts were originally created by Dr. A. V. Hershey while working at
the U. S. National Bureau of Standards. The format of the Font data in this
distribution was originally created by James Hurt, Cognition, Inc."):
Latin in four hands (sans, serif, script, blackletter), Greek, Cyrillic, Japanese
kana and kanji, and pictograms (flags, anchors, bells, card suits, crosses, stars).
As non-digits for outlier exposure (digitstudio/data/negatives.py) they bring
hundreds of real writing shapes where a hand-made template table brings dozens.

`GLYPHS` chooses, per font, the glyphs used (by the ASCII key the package files
them under). Left out:
- every glyph a reader could take for a digit: digits themselves, O o I l i | S s
  Z z B b G g q, Greek Θ θ φ Φ β δ ζ ι ρ σ, Cyrillic З Б б Ч Ь ь Ф, Japanese
  ろ る ら り の し ち つ ノ フ ワ ラ リ レ 七 ..., bare lines, arcs and rings;
- every letter, symbol and picture of the bench's unseen non-digits
  (tests/style_strokes.py NON_DIGITS_UNSEEN: P D J Q a e h n m r, π λ Σ Ω Ψ μ α η,
  ? ! & @ $ ~ ≈ ↑ brackets and braces, √, hearts, moons, suns, clouds, trees,
  flowers), so that set stays unseen and its score measures what the model generalises to.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

Strokes = list[list[tuple[float, float]]]

# font → keys used (a string of the package's ASCII keys). Per font: what the keys draw.
_LATIN = "ACEFHKLMNRTUVWXYcdfktuvwxy#%*+-<=>"  # letters, then signs
_JAPANESE_LEFT_OUT = set(" !8;<=>?@BLOQRSYeijkmtuvw~\x96\x98\x9d\x9f©¬¯±¹º¼¾ÂÄÅÆÇ")
GLYPHS: dict[str, str] = {
    "futural": _LATIN,  # plain sans
    "timesr": _LATIN,  # serif
    "scripts": _LATIN,  # joined-up script
    "gothiceng": _LATIN,  # blackletter
    "greek": "CDGXUcegktuvwx",  # Χ Δ Γ Ξ ϒ χ ε γ κ τ υ ÷ ω ξ
    "cyrillic": "ACDEGHKLMNQTUWXY[^`$cdeghiklmqtuwxy}",  # А Э Д И Г Ж К Л М Н Ш Т Ю Щ Х У Е Я Ц Ы ...
    "japanese": "".join(chr(c) for c in range(32, 225) if chr(c) not in _JAPANESE_LEFT_OUT),
    "symbolic": "89:ACDEFGIJKLMNOQRSTUVWXYZ[]^`abgijklmoxyz{|~",  # zigzags, polygons, flags, anchors, ...
}


@lru_cache(maxsize=1)
def glyph_table() -> dict[str, list[tuple[Strokes, float]]]:
    """font → [(strokes in a unit box, width / height), ...] for the GLYPHS, each glyph
    scaled to fill the box (x right, y down); a glyph with no height or width is drawn
    along the box's middle. Loads the fonts on first use."""
    from HersheyFonts import HersheyFonts

    fonts = HersheyFonts()
    table = {}
    for font, keys in GLYPHS.items():
        fonts.load_default_font(font)
        found = fonts.all_glyphs
        table[font] = [_unit(found[key].strokes) for key in keys if key in found and found[key].strokes]
    return table


def _unit(strokes) -> tuple[Strokes, float]:
    points = np.array([p for stroke in strokes for p in stroke], np.float64)
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    aspect = float(np.clip((span[0] + 1) / (span[1] + 1), 0.25, 4.0))  # +1: a glyph unit of pen width
    unit = [[tuple(float((v - lo) / s) if s > 0 else 0.5 for v, lo, s in zip(p, low, span)) for p in stroke]
            for stroke in strokes]
    return unit, aspect


def _pick_font(rng: np.random.Generator) -> list[tuple[Strokes, float]]:
    """One font's glyphs, each font equally likely."""
    table = glyph_table()
    return table[list(table)[int(rng.integers(len(table)))]]


def pick_glyph(rng: np.random.Generator) -> tuple[Strokes, float]:
    """One glyph, a font first (each font equally likely), then a glyph in it."""
    glyphs = _pick_font(rng)
    return glyphs[int(rng.integers(len(glyphs)))]


def pick_glyph_word(rng: np.random.Generator) -> tuple[Strokes, float]:
    """Two or three glyphs of one font side by side (gaps 5–30% of a glyph's height),
    in a unit box, with the whole word's width / height."""
    glyphs = _pick_font(rng)
    picked = [glyphs[int(i)] for i in rng.integers(len(glyphs), size=int(rng.integers(2, 4)))]
    strokes, left = [], 0.0
    for glyph, aspect in picked:
        strokes += [[(left + x * aspect, y) for x, y in stroke] for stroke in glyph]
        left += aspect + rng.uniform(0.05, 0.3)
    # `left` ends with one more gap: empty space on the right, which keeps the glyphs'
    # proportions and is cropped away with the rest of the background.
    return [[(x / left, y) for x, y in stroke] for stroke in strokes], left
