"""Augmentation for hand-drawn digits: geometry and stroke thickness, per image."""

from __future__ import annotations

import numpy as np


def augmented_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
    """People draw bigger, smaller, tilted, off-centre, thick and thin: random zoom,
    rotation, shift and stroke thickness (±1 px by max/min pooling), per image."""
    import keras
    import tensorflow as tf

    geometry = keras.Sequential([
        keras.layers.RandomRotation(12 / 360, fill_mode="constant", seed=seed),
        keras.layers.RandomZoom((-0.2, 0.2), fill_mode="constant", seed=seed + 1),
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed + 2),
    ])

    def augment(images, labels):
        images = geometry(images, training=True)
        thicker = tf.nn.max_pool2d(images, 2, 1, "SAME")
        thinner = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
        choice = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed=[seed, 7])
        images = tf.where(choice < 0.2, thicker, tf.where(choice > 0.85, thinner, images))
        return images, labels

    return (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )
