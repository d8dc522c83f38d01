"""BatchNormalization statistics that match the data at the end of any training.

A BatchNormalization layer normalises with each batch's own mean and variance while it
trains, and with its moving averages at inference (Ioffe & Szegedy, "Batch
Normalization", ICML 2015). Keras updates those averages with momentum 0.99, so they
forget their start values (mean 0, variance 1) only after a few hundred steps: after the
45 steps of a one-epoch, 5,000-image training they are still about 64% their start
values, and the model reads test digits far worse than its training curve says
(measured: 55% on the curve, 25% on test; bench/short_runs.py).

`reestimate(model, images)` replaces the moving averages by the exact averages of the
batch statistics over training batches, with the weights frozen ("precise BN": Wu &
Johnson, "Rethinking 'Batch' in BatchNorm", 2021, sec. 3; PyTorch's
`torch.optim.swa_utils.update_bn` does the same after weight averaging). Dropout is
switched off meanwhile, so the statistics are those the layers will see at inference.
"""

from __future__ import annotations

import numpy as np

# Wu & Johnson find the estimate settles within 10^3–10^4 samples: 50 batches of 128 is 6,400.
# Each batch is one eager forward pass (the momentum changes every batch): ~0.1 s for the CNN.
MAX_BATCHES = 50
# The start values' weight in a moving average after the run (momentum ** steps) above which
# it is re-estimated: 1% (momentum 0.99: runs under 459 steps). Longer runs keep Keras's own
# averages: on the 20-epoch CNN (10,620 steps) re-estimating over clean training digits read
# MNIST's test digits 0.1 points worse (99.31% → 99.20%), its averages having been taken on
# the augmented batches it trained on.
STALE_WEIGHT = 0.01


def batchnorm_layers(model) -> list:
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


def stale_batchnorm(model) -> bool:
    """Whether any BatchNormalization layer's moving averages still hold more than
    STALE_WEIGHT of their start values (momentum ** the optimizer's steps so far)."""
    layers = batchnorm_layers(model)
    steps = int(model.optimizer.iterations.numpy()) if getattr(model, "optimizer", None) is not None else 0
    return bool(layers) and max(layer.momentum for layer in layers) ** steps > STALE_WEIGHT


def reestimate(model, images: np.ndarray, batch_size: int, max_batches: int = MAX_BATCHES, seed: int = 0) -> int:
    """Set every BatchNormalization layer's moving mean and variance to the average of its
    batch statistics over up to `max_batches` batches of `images` (float32 (n, 28, 28, 1),
    as the model reads them; a seeded sample, `batch_size` each). Weights are unchanged;
    returns the number of batches used (0 for a model without BatchNormalization)."""
    import keras

    layers = batchnorm_layers(model)
    if not layers or len(images) == 0:
        return 0
    dropouts = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    saved = [(layer, layer.momentum) for layer in layers]
    rates = [(layer, layer.rate) for layer in dropouts]
    order = np.random.default_rng(seed).permutation(len(images))
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)][:max_batches]
    try:
        for layer in dropouts:
            layer.rate = 0.0
        for k, picks in enumerate(batches, start=1):
            # momentum (k-1)/k makes the moving value the running mean of the k batch values
            for layer in layers:
                layer.momentum = (k - 1) / k
            model(images[picks], training=True)
    finally:
        for layer, momentum in saved:
            layer.momentum = momentum
        for layer, rate in rates:
            layer.rate = rate
    return len(batches)
