"""A grid of what augmentation does: the person's drawing (as the model sees it) and a
few MNIST digits, each a handful of times through data/augment.py's augmenter — the
same function a training applies to every batch."""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitstudio.data.augment import augment_examples
from digitstudio.pixels import to_unit
from ui.drawing import current_drawing, read_drawing
from ui.pictures import digit_pixels, picture_row
from ui.resources import mnist_or_error

COPIES = 5
MNIST_SHOWN = (0, 1, 2)  # test-set indices: a 7, a 2 and a 1


def augmentation_grid(settings: dict[str, float], seed: int = 0) -> None:
    rows: list[tuple[str, np.ndarray]] = []
    drawing = current_drawing()
    if drawing is not None:
        pre = read_drawing(drawing)
        if pre.status == "ok":
            rows.append(("your drawing", pre.image))
    data, _ = mnist_or_error()
    if data is not None:
        rows += [(f"MNIST {int(data.y_test[i])}", to_unit(data.x_test[i])) for i in MNIST_SHOWN]
    if not rows:
        st.caption("Draw a digit to see it augmented.")
        return
    images = augment_examples(np.stack([image for _, image in rows]), COPIES, seed, **settings)
    for (name, original), copies in zip(rows, images):
        picture_row([digit_pixels(original)] + [digit_pixels(c) for c in copies],
                    [name] + [""] * COPIES, 44, gap=4)
