"""Presenter mode, for the teacher's laptop on a projector: a projector layout in which
the key numbers are read from the back of the room (the Prediction at least 120 px tall
on 1920×1080), the sidebar folded away, no header band, and a QR code of the join link
large enough to scan from several metres.

On with the "Presenter mode" toggle or the URL parameter `?present=1`. The pages lay
themselves out for it (views/draw.py, views/class_view.py); this module holds what they
share: the style, the join link and its QR code.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from digitstudio.export.qr import qr_png

PARAM = "present"
KEY = "presenter_mode"
QR_MODULE_PX = 12  # px per QR module in the PNG: it is shown at most this sharp

# Metric values are Markdown inside [data-testid="stMetricValue"]: a rule for paragraphs
# (`[data-testid="stMarkdownContainer"] p`) reaches them too, so the metric rules name the
# paragraph inside the value, with more specificity than the paragraph rule.
CSS = """<style>
[data-testid="stMainBlockContainer"] { padding: 3.75rem 2.5rem 1.5rem 2.5rem; max-width: 100%; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.25rem; }
[data-testid="stMetricLabel"] p { font-size: 1.6rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 4.5rem !important; line-height: 1.1 !important; }
[data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"] p { font-size: 1.4rem !important; }
.st-key-prediction [data-testid="stMetricValue"],
.st-key-prediction [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: clamp(8rem, 19vh, 16rem) !important; line-height: 1 !important; font-weight: 600; }
[data-testid="stVegaLiteChart"] text { font-size: 16px !important; }
.st-key-join-code [data-testid="stImage"] img { image-rendering: pixelated; }
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
    """The app's address as students should open it: this server, the Draw page, and
    `query` (what a student needs from the teacher's setup, if anything), never ?present."""
    parts = urlsplit(st.context.url or "http://localhost:8501/")
    base = f"{parts.scheme}://{parts.netloc}/"
    return base + (f"?{urlencode(query)}" if query else "")


def is_local(url: str) -> bool:
    return urlsplit(url).hostname in ("localhost", "127.0.0.1", "::1")


def show_join_code(url: str, size: int = 220, compact: bool = False) -> None:
    """The QR code, `size` px wide, and the address in words for those who type. An
    address only this computer can open (localhost) gets a warning (one line when
    `compact`): phones need the network address."""
    with st.container(key="join-code"):
        st.image(qr_png(url, box_size=QR_MODULE_PX), width=size, caption="Scan to join")
        st.caption(url)
        if is_local(url) and compact:
            st.caption(":material/wifi_off: Phones need the Network URL, not this one.")
        elif is_local(url):
            st.warning("Phones cannot open this address: open the app by its **Network URL** (printed by "
                       "`streamlit run`, e.g. http://192.168.1.20:8501).", icon=":material/wifi_off:")


def apply_style() -> None:
    st.html(CSS)


def class_join_link() -> str:
    """The join link on the projector. In classroom mode the server's address alone:
    every new session draws with the class's model (the server gives it), and students
    do not train, so a training setup in the link would only show them a command they
    cannot use. Outside classroom mode, the teacher's setup as well ("Share this setup")."""
    # imported here: app.py imports this module before TensorFlow is configured
    from ui.resources import classroom_mode
    from ui.sidebar import setup_query

    return join_url({} if classroom_mode() else setup_query())
