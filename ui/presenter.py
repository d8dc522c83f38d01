"""Presenter mode, for the teacher's laptop on a projector: large type for the Prediction
and the probability bars, the sidebar folded away, and a QR code of the app's address
(with the class's setup, so it is also the share link) for students to join from phones.

On with the "Presenter mode" toggle or the URL parameter `?present=1`.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from digitstudio.export.qr import qr_png

PARAM = "present"
KEY = "presenter_mode"

CSS = """<style>
[data-testid="stMetricValue"] { font-size: 7rem !important; line-height: 1.05; }
[data-testid="stMetricLabel"] p { font-size: 1.6rem !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.25rem; }
[data-testid="stVegaLiteChart"] text { font-size: 16px !important; }
</style>"""


def presenting() -> bool:
    """From the toggle once it exists; before that, from the URL (?present=1)."""
    if KEY not in st.session_state:
        st.session_state[KEY] = st.query_params.get(PARAM) in ("1", "true", "yes")
    return bool(st.session_state[KEY])


def _sync_url() -> None:
    if st.session_state[KEY]:
        st.query_params[PARAM] = "1"
    else:
        st.query_params.pop(PARAM, None)


def presenter_toggle() -> None:
    st.toggle("Presenter mode", key=KEY, on_change=_sync_url,
              help="For a projector: large type, the sidebar folded away, and a QR code students scan to join")


def join_url(query: dict[str, str] | None = None) -> str:
    """The app's address as students should open it: this server, the Draw page, and the
    class's setup in the query (the same link as "Share this setup"), never ?present."""
    parts = urlsplit(st.context.url or "http://localhost:8501/")
    base = f"{parts.scheme}://{parts.netloc}/"
    return base + (f"?{urlencode(query)}" if query else "")


def show_join_code(url: str) -> None:
    """The QR code and the address in words, for those who type. An address only this
    computer can open (localhost) gets a warning: phones need the network address."""
    st.image(qr_png(url, box_size=8), width=220, caption="Scan to join")
    st.caption(url)
    if urlsplit(url).hostname in ("localhost", "127.0.0.1", "::1"):
        st.warning("This address only works on this computer: open the app by its network address "
                   "(e.g. http://192.168.1.20:8501, shown by `streamlit run` as Network URL) so phones can join.",
                   icon=":material/wifi_off:")


def apply_style() -> None:
    st.html(CSS)
