"""The page's frame above every page: one short header line (the app and the model the
page reads with), and the spacing that gives the screen to the page: on a phone the
title gives way to the canvas, on the projector the header is one line with the join
link in words."""

from __future__ import annotations

import html

import streamlit as st

FRAME_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4.25rem; }
.st-key-page-header { gap: 0.25rem; }
/* captions at 4.5:1 or more (WCAG AA, axe-core's color-contrast rule): Streamlit's faded grey on
   white (60% opacity) is below it; this grey, opaque, is 7.4:1 */
[data-testid="stCaptionContainer"], [data-testid="stImageCaption"] { color: #555867 !important; opacity: 1 !important; }
/* the title keeps a paragraph's bottom margin: Streamlit's Markdown takes it back (-1rem) */
.st-key-page-header p.app-title { font-size: 2rem; font-weight: 700; line-height: 1.25; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding: 3.75rem 1rem 1rem 1rem; }
  [data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
  .st-key-page-header [data-testid="stElementContainer"]:has(.app-title), .st-key-page-header .tagline {
    display: none; }
  .st-key-page-header p { font-size: 0.8rem; }
}
</style>"""


def page_header(model_name: str, presenting: bool = False, join: str = "") -> None:
    """The app's name and the model everyone reading this page draws with, in one line on
    the projector (with the join link in words), a title and a line of caption elsewhere,
    and only that line on a phone."""
    st.html(FRAME_CSS)
    name = html.escape(model_name)
    with st.container(key="page-header"):
        if presenting:
            st.markdown(f"**✏️ Digit Studio** · Model: **{name}**" + (f" · Join: {html.escape(join)}" if join else ""),
                        unsafe_allow_html=True)
            return
        st.markdown("<p class='app-title' role='heading' aria-level='1'>✏️ Digit Studio</p>", unsafe_allow_html=True)
        st.caption("<span class='tagline'>Draw a digit and a neural network trained on MNIST reads it. </span>"
                   f"Model: <b>{name}</b>", unsafe_allow_html=True)
