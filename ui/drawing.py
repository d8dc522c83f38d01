"""The session's drawing: the canvas component and what it last sent.

The Draw page shows the canvas; the Inside page explains the same drawing. Both read
it from here. Leaving the Draw page unmounts the canvas component; when the person
comes back, the canvas is mounted again with the strokes it last sent (the
component's `initial_drawing`), so canvas, preview and prediction always agree.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitstudio.data.mnist import random_test_digit
from digitstudio.drawing.preprocess import Preprocessed, preprocess

try:  # The component registers itself with the running Streamlit server on import.
    from streamlit_drawable_canvas import st_canvas
except Exception:  # pragma: no cover - only outside a Streamlit runtime
    st_canvas = None

CANVAS_SIZE = 280  # px, square: the default; a page may pass another size to canvas()
BRUSH_WIDTH = 18  # px on a CANVAS_SIZE canvas (~ MNIST's stroke relative to its 20 px digit box); scaled with it
_SIZE_KEY_PX = "_canvas_px"  # the size the canvas's strokes were drawn at
BACKGROUND = 0  # the canvas's black (background_color "#000000"), as a grey level
DRAWING_KEY = "drawing_rgba"  # session_state: the latest canvas pixels (RGBA, 280×280×4 uint8) or None
_LAST_SENT = "_canvas_last_sent"
_CANVAS_GEN = "_canvas_generation"
_STROKES = "_canvas_strokes"  # the component's json_data (fabric.js objects) as last sent
_INITIAL = "_canvas_initial"  # what the canvas is mounted with: fixed while it stays mounted
_PAGE = "_current_page"
TEST_DIGIT_KEY = "test_digit"  # session_state: index of the MNIST test digit on show, or None

# The component's toolbar has an Edit toggle (a pencil icon) that selects and moves strokes
# instead of drawing: students read the pencil as "draw", tap it, and can no longer ink.
# The component has no option to leave it out and lives in an open shadow root, which page
# CSS cannot reach, so this script adds one rule to each canvas's shadow root as it mounts.
# It looks only at Streamlit's hosts of isolated components (every DOM change runs it; the
# whole page is ~1,200 elements), and tests/test_browser.py fails if that host is renamed.
# The same script gives the canvas what a screen reader needs (the component sets nothing):
# the drawing surface a role and a name that says what to do, the layer under it hidden from
# assistive technology (it only mirrors the ink).
_HIDE_EDIT = """<script>
(() => {
  const rule = 'button[aria-label="Edit"], .dc-toolbar-separator { display: none !important; }';
  const hosts = '[data-testid="stBidiComponentIsolated"]';
  const patch = () => document.querySelectorAll(hosts).forEach((host) => {
    const root = host.shadowRoot;
    if (root && root.querySelector('.dc-toolbar') && !root.querySelector('style[data-no-edit]')) {
      const style = document.createElement('style');
      style.dataset.noEdit = '1';
      style.textContent = rule;
      root.appendChild(style);
    }
    if (root) root.querySelectorAll('canvas.upper-canvas:not([aria-label])').forEach((canvas) => {
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', 'Drawing area: draw one digit, 0 to 9, with a mouse, pen or finger. '
        + 'The answer is read out below. Without a pointer, use the Try a test digit button.');
      root.querySelectorAll('canvas.lower-canvas').forEach((lower) => lower.setAttribute('aria-hidden', 'true'));
    });
  });
  patch();
  if (!window.__digitStudioNoEdit) {
    window.__digitStudioNoEdit = new MutationObserver(patch);
    window.__digitStudioNoEdit.observe(document.body, { childList: true, subtree: true });
  }
})();
</script>"""


def clear_drawing() -> None:
    st.session_state[TEST_DIGIT_KEY] = None
    st.session_state[DRAWING_KEY] = None
    st.session_state[_LAST_SENT] = None
    st.session_state[_STROKES] = st.session_state[_INITIAL] = None
    # A new key remounts the component empty; the toolbar's reset does the same client-side.
    st.session_state[_CANVAS_GEN] = st.session_state.get(_CANVAS_GEN, 0) + 1


def current_drawing() -> np.ndarray | None:
    return st.session_state.get(DRAWING_KEY)


def read_drawing(drawing: np.ndarray) -> Preprocessed:
    """`preprocess` for this canvas, whose background is known to be black: a frame drawn
    along the canvas edge stays a frame (from the border alone it would look like a white
    background, and the black inside like ink)."""
    return preprocess(drawing, background=BACKGROUND)


def page_changed(page: str) -> None:
    """Call once per full run with the page being shown: entering a page (the Draw page
    remounts its canvas) mounts the canvas with the strokes last sent."""
    if st.session_state.get(_PAGE) != page:
        st.session_state[_PAGE] = page
        st.session_state[_INITIAL] = st.session_state.get(_STROKES)


def canvas(size: int = CANVAS_SIZE) -> None:
    """Show the canvas, `size` px square (the brush scales with it: the 28×28 recipe crops
    and rescales, so the size changes nothing about reading), and keep
    session_state[DRAWING_KEY] in step with what it sends. Strokes drawn at another size
    are dropped (a phone turned sideways starts a fresh canvas)."""
    if st_canvas is None:
        st.info("The drawing canvas is not available in this environment.")
        return
    if st.session_state.get(_SIZE_KEY_PX, size) != size:
        clear_drawing()
    st.session_state[_SIZE_KEY_PX] = size
    st.html(_HIDE_EDIT, unsafe_allow_javascript=True)
    result = st_canvas(
        stroke_width=max(4, round(BRUSH_WIDTH * size / CANVAS_SIZE)), stroke_color="#FFFFFF",
        background_color="#000000", width=size, height=size, drawing_mode="freedraw",
        return_image_data=True, key=f"canvas-{st.session_state.get(_CANVAS_GEN, 0)}-{size}",
        initial_drawing=st.session_state.get(_INITIAL),
    )
    sent = result._image_data_url  # only changes when the browser sends a new drawing
    if sent is not None and sent != st.session_state.get(_LAST_SENT):
        st.session_state[_LAST_SENT] = sent
        st.session_state[DRAWING_KEY] = result.image_data
        st.session_state[_STROKES] = result.json_data
        st.session_state[TEST_DIGIT_KEY] = None  # a drawing replaces the test digit


def show_test_digit(data) -> None:
    """Put a random MNIST test digit (data: MnistData) on show instead of a drawing (for
    keyboard and screen-reader users, and to show the class real MNIST digits)."""
    clear_drawing()
    st.session_state[TEST_DIGIT_KEY] = random_test_digit(data).index


def current_test_digit() -> int | None:
    return st.session_state.get(TEST_DIGIT_KEY)


def submission_drawing() -> np.ndarray | None:
    """The session's drawing as the model sees it (28, 28) in [0, 1], or None when there
    is none fit to read: pass it to TrainingManager.submit(drawing=…)."""
    canvas = current_drawing()
    if canvas is None:
        return None
    prepared = read_drawing(canvas)
    return prepared.image if prepared.status == "ok" else None
