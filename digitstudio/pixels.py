"""Pixel scales, in one place: uint8 0–255 (how MNIST and the drawings database store
images) and float 0–1 (what the app's models read, as the Keras examples feed them).

A model that wants raw 0–255 pixels (spec input_scale "raw", an uploaded tutorial model)
gets 0–1 pixels multiplied by `modeling.spec.PIXEL_FACTORS["raw"]` (255) at its input;
nothing else converts.
"""

from __future__ import annotations

import numpy as np


def to_unit(images) -> np.ndarray:
    """uint8 0–255 → float32 0–1 (÷ 255), any shape. Float input is taken to be 0–1
    already and only cast to float32; bool input maps True → 1."""
    x = np.asarray(images)
    if x.dtype == np.uint8:
        return x.astype(np.float32) * np.float32(1 / 255)
    return x.astype(np.float32)


def to_uint8(images) -> np.ndarray:
    """float 0–1 → uint8 0–255 (× 255, rounded to the nearest, clipped), any shape.
    uint8 input is returned unchanged."""
    x = np.asarray(images)
    if x.dtype == np.uint8:
        return x
    return np.clip(np.rint(x.astype(np.float32) * 255), 0, 255).astype(np.uint8)
