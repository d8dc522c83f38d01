"""On paper: a photo of a digit written on paper (phone camera or an image file) goes
through the MNIST recipe adapted for photos, every step shown: grey → ink → crop → 28×28.
Opens at /paper."""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitstudio.drawing.photo import MAX_BYTES, read_photo
from digitstudio.drawing.predict import describe
from ui.charts import highlighted, probability_chart, show_prediction
from ui.pictures import picture_row
from ui.resources import active_predictor

STEP_CAPTIONS = {
    "grey": "1 · the photo in grey",
    "ink": "2 · ink: darker than its paper",
    "crop": "3 · the one digit, cropped",
    "28×28": "4 · 28×28, centred like MNIST",
}


def _square(image: np.ndarray) -> np.ndarray:
    """Pad a step's picture with white paper to a square, so tall and wide ones show alike."""
    h, w = image.shape[:2]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    return np.pad(image, ((top, side - h - top), (left, side - w - left)), constant_values=255)


def paper_page() -> None:
    st.markdown("**A digit on paper.** Write one digit in dark ink on plain paper, fill about a third of the "
                "picture with it, and take a photo (or upload one). The same MNIST recipe as for drawings "
                "runs on it, with a first step that removes the paper's uneven light.")
    camera, upload = st.tabs([":material/photo_camera: Camera", ":material/upload: Upload a photo"])
    with camera:
        shot = st.camera_input("Take a photo of one digit", key="paper_camera")
    with upload:
        file = st.file_uploader("A JPEG or PNG photo", type=["jpg", "jpeg", "png", "webp"], key="paper_upload",
                                max_upload_size=MAX_BYTES // 2**20)
    photo = shot or file
    if photo is None:
        st.caption("No photo yet.")
        return
    reading = read_photo(photo.getvalue())
    steps = reading.steps()
    if steps:
        size = 150
        picture_row([_square(image) for image in steps.values()], [STEP_CAPTIONS[name] for name in steps], size)
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
