"""On paper: a photo of a digit written on paper (phone camera or an image file) goes
through the MNIST recipe adapted for photos, every step shown: grey → ink → crop → 28×28.
Opens at /paper.

The photo and its reading stay in the session, so leaving for another page and coming
back shows them again (the camera and uploader widgets themselves are emptied by the
page switch). Over plain http from another device (a phone on the classroom's network)
browsers refuse the camera, so the page then opens on Upload and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
import streamlit as st

from digitstudio.drawing.photo import MAX_BYTES, PHOTO_TYPES, PhotoReading, read_photo
from digitstudio.drawing.predict import describe
from ui.charts import highlighted, probability_chart, show_prediction
from ui.pictures import picture_row
from ui.resources import active_predictor

STEP_CAPTIONS = {
    "grey": "1 · the photo in grey",
    "ink": "2 · ink: darker than its paper",
    "crop": "3 · the one digit, cropped",
    "28×28": "4 · 28×28, what the model sees",
}
CAMERA, UPLOAD = ":material/photo_camera: Camera", ":material/upload: Upload a photo"
CAMERA_KEY, UPLOAD_KEY = "paper_camera", "paper_upload"  # the widgets' keys
_KEPT = "_paper_photo"  # session_state: the KeptPhoto on show, kept across page switches
# Hosts a browser treats as a secure context over plain http (the W3C Secure Contexts spec:
# loopback addresses and *.localhost), so the camera works there without HTTPS.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
CAMERA_NEEDS_HTTPS = ("The camera needs HTTPS: this page came over plain http from another computer, so the "
                      "browser turns the camera off; upload a photo instead (a teacher can turn HTTPS on: see "
                      "docs/classroom.md#https).")


@dataclass(frozen=True)
class KeptPhoto:
    source: str  # the widget it came from: CAMERA_KEY or UPLOAD_KEY
    file_id: str  # Streamlit's id of that upload or shot
    name: str
    data: bytes
    reading: PhotoReading


def camera_blocked(url: str | None) -> bool:
    """True when the browser will refuse the camera: the page's URL (`st.context.url`) is
    plain http and its host is not this computer. Browsers give the camera (getUserMedia)
    only to secure contexts: https, or http from localhost / 127.0.0.1 / [::1] / *.localhost.
    An unknown URL (None) is taken as allowed."""
    if not url:
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "http" and host not in LOOPBACK_HOSTS and not host.endswith(".localhost")


def _square(image: np.ndarray, fill: int = 255) -> np.ndarray:
    """Pad a step's picture to a square (white paper by default), so tall and wide ones show alike."""
    h, w = image.shape[:2]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    return np.pad(image, ((top, side - h - top), (left, side - w - left)), constant_values=fill)


def _photo_changed(key: str) -> None:
    """A widget's photo changed: a new one is read and kept; the one on show removed (the
    uploader's ×, the camera's "Clear photo") forgets it."""
    value = st.session_state.get(key)
    kept = st.session_state.get(_KEPT)
    if value is None:
        if kept is not None and kept.source == key:
            st.session_state.pop(_KEPT, None)
        return
    _keep(key, value)


def _keep(key: str, value) -> KeptPhoto:
    data = value.getvalue()
    kept = KeptPhoto(key, str(getattr(value, "file_id", "")), str(getattr(value, "name", "") or "photo"), data,
                     read_photo(data))
    st.session_state[_KEPT] = kept
    return kept


def _forget() -> None:
    st.session_state.pop(_KEPT, None)


def _photo_on_show(shot, file) -> KeptPhoto | None:
    """The photo to show: the one kept (read once, when a widget's photo changed), which
    outlives the widgets when the person leaves the page and comes back; a widget's photo
    when none is kept yet."""
    kept = st.session_state.get(_KEPT)
    for key, value in ((UPLOAD_KEY, file), (CAMERA_KEY, shot)):
        if kept is None and value is not None:
            kept = _keep(key, value)
    return kept


def paper_page() -> None:
    st.subheader("On paper")
    st.markdown("**A digit on paper.** Write one digit in dark ink on plain paper, fill about a third of the "
                "picture with it, and take a photo (or upload one). The same MNIST recipe as for drawings "
                "runs on it, with a first step that removes the paper's uneven light.")
    blocked = camera_blocked(st.context.url)
    if blocked:
        st.info(CAMERA_NEEDS_HTTPS, icon=":material/no_photography:")
    camera, upload = st.tabs([CAMERA, UPLOAD], default=UPLOAD if blocked else CAMERA)
    with camera:
        shot = st.camera_input("Take a photo of one digit", key=CAMERA_KEY, on_change=_photo_changed,
                               args=(CAMERA_KEY,))
    with upload:
        file = st.file_uploader("A photo: JPEG, PNG, HEIC (iPhone), WebP or TIFF", type=list(PHOTO_TYPES),
                                key=UPLOAD_KEY, max_upload_size=MAX_BYTES // 2**20, on_change=_photo_changed,
                                args=(UPLOAD_KEY,))
    kept = _photo_on_show(shot, file)
    if kept is None:
        st.caption("No photo yet.")
        return
    if shot is None and file is None:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.caption(f"Your last photo ({kept.name}), kept while you were on other pages: take or upload "
                     "another to replace it.")
        right.button("Forget photo", icon=":material/delete:", on_click=_forget, type="tertiary")
    reading = kept.reading
    steps = reading.steps()
    if steps:
        size = 150
        picture_row([_square(image, 0 if name == "28×28" else 255) for name, image in steps.items()],
                    [STEP_CAPTIONS[name] for name in steps], size)
    if not reading.ok:
        st.metric("Prediction", "–")
        st.warning(reading.message, icon=":material/image_not_supported:")
        return
    predictor, ref, warning = active_predictor()
    if predictor is None:
        st.error(warning or "No model could be loaded.")
        return
    probs = predictor.probabilities(reading.image)
    guess = describe(probs, predictor.threshold)
    left, right = st.columns([1, 2])
    with left:
        show_prediction(guess, ref.label)
    with right:
        probability_chart(probs, highlighted(guess))


paper_page()
