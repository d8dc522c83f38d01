"""The browser window's size, for what Python must size itself: the drawing canvas (the
canvas component takes its size in pixels), the projector's QR code and pictures.

A tiny inline component (no iframe: Streamlit's v2 components run in the page) reports
`window.innerWidth × innerHeight` when the page loads and again when the window turns or
is resized by more than a little (a phone's address bar sliding away is not a new
screen). Until the first report arrives, `viewport()` is None and the pages use their
default sizes; the report reruns the app once.
"""

from __future__ import annotations

import streamlit as st

_SIZE = "_viewport_size"  # session_state: (width, height) in CSS pixels, as last reported

_JS = """
export default function(component) {
  const { setStateValue } = component;
  const report = () => {
    const w = Math.round(window.innerWidth), h = Math.round(window.innerHeight);
    const last = window.__digitStudioViewport;
    if (last && last[0] === w && Math.abs(last[1] - h) < 120) return;  // an address bar, not a new screen
    window.__digitStudioViewport = [w, h];
    setStateValue('size', [w, h]);
  };
  window.__digitStudioViewport = null;  // a new session: report again
  report();
  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(report, 250); };
  window.addEventListener('resize', later);
  return () => { window.removeEventListener('resize', later); clearTimeout(timer); };
}
"""

_probe = st.components.v2.component("digit_studio_viewport", js=_JS)


def probe_viewport() -> None:
    """Mount the reporter (once per full run, anywhere: it shows nothing)."""
    result = _probe(key="viewport_probe", default={"size": None}, on_size_change=lambda: None,
                    width="content", height="content")
    size = result.get("size") if result is not None else None
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, (int, float)) for v in size):
        st.session_state[_SIZE] = (int(size[0]), int(size[1]))


def viewport() -> tuple[int, int] | None:
    """(width, height) of the browser window in CSS pixels, or None before it is known."""
    return st.session_state.get(_SIZE)


def is_phone() -> bool:
    """A narrow window: the pages stack their columns (Streamlit does below 640 px)."""
    size = viewport()
    return size is not None and size[0] <= 640


def clamp(value: float, low: int, high: int) -> int:
    return int(max(low, min(high, value)))
