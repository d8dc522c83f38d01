"""Augmentation for hand-drawn digits: geometry and stroke thickness, per image.

People draw bigger, smaller, tilted, off-centre, thick and thin. `augmenter()` makes the
random change a training applies to every batch (Keras's RandomRotation, RandomZoom and
RandomTranslation, then ±1 px of stroke by max/min pooling); `augmented_dataset()` feeds
it to model.fit through tf.data; the app shows it on a person's drawing with the same
function. The settings are the spec's augment_* fields.
"""

from __future__ import annotations

import numpy as np

from digitstudio.pixels import to_unit

# What a training uses unless the spec says otherwise (the shipped CNN was trained with these).
# The settings' defaults are the spec's (modeling/spec.py augment_* fields, the shipped CNN's):
# `ModelSpec.augmentation()` gives them as this module's keywords.
NO_AUGMENTATION = {"rotation": 0.0, "zoom": 0.0, "shift": 0.0, "stroke": 0.0}  # the pipeline, images unchanged


def augmenter(seed: int, rotation: float, zoom: float, shift: float, stroke: float):
    """augment(images, labels) -> (images, labels) for float32 (n, 28, 28, 1) batches:
    rotated by up to ±`rotation` degrees, zoomed by up to ±`zoom` (a fraction of the size),
    shifted by up to ±`shift` (a fraction of the side), and a `stroke` fraction of them
    drawn 1 px thicker (4/7 of those) or thinner (3/7)."""
    import keras
    import tensorflow as tf

    geometry = keras.Sequential([
        keras.layers.RandomRotation(rotation / 360, fill_mode="constant", seed=seed),
        keras.layers.RandomZoom((-zoom, zoom), fill_mode="constant", seed=seed + 1),
        keras.layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seed + 2),
    ])
    thicker_below, thinner_above = round(stroke * 4 / 7, 6), round(1 - stroke * 3 / 7, 6)

    def augment(images, labels):
        images = geometry(images, training=True)
        thicker = tf.nn.max_pool2d(images, 2, 1, "SAME")
        thinner = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
        choice = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed=[seed, 7])
        images = tf.where(choice < thicker_below, thicker, tf.where(choice > thinner_above, thinner, images))
        return images, labels

    return augment


def augmented_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, before=None,
                      weights: np.ndarray | None = None, **settings: float):
    """A shuffled, batched tf.data pipeline of (x, y) — (x, y, weights) with per-image loss
    `weights` — with `augmenter(seed, **settings)` applied to every batch, for model.fit.
    `before(images, labels, step)`, if given, changes each batch first (step: the batch's
    number, an int64 tensor; e.g. data/mixing.py); weights pass through unchanged."""
    import tensorflow as tf

    columns = (x, y) if weights is None else (x, y, weights.astype(np.float32))
    batches = (
        tf.data.Dataset.from_tensor_slices(columns)
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
    )
    if before is not None:
        batches = batches.enumerate().map(lambda step, batch: (*before(batch[0], batch[1], step), *batch[2:]))
    augment = augmenter(seed, **settings)
    return (
        batches
        .map(lambda *batch: (*augment(batch[0], batch[1]), *batch[2:]), num_parallel_calls=tf.data.AUTOTUNE,
             deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def augment_examples(images: np.ndarray, copies: int, seed: int = 0, **settings: float) -> np.ndarray:
    """`copies` augmented versions of each image, as a training would see them: float32
    (n, copies, 28, 28) in [0, 1] from (n, 28, 28) images in [0, 1] (or uint8)."""
    x = to_unit(images)
    batch = np.repeat(x.reshape(-1, 28, 28, 1), copies, axis=0)
    out, _ = augmenter(seed, **settings)(batch, None)
    return np.clip(np.asarray(out, np.float32), 0, 1).reshape(len(x), copies, 28, 28)
