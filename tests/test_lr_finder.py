"""The learning-rate range test: its suggestion on a model whose good range is known
in closed form, and the spec path through the training queue."""

from __future__ import annotations

import numpy as np
import pytest

from digitstudio.modeling.spec import ModelSpec, parse_layers
from digitstudio.storage.runs import RunStore
from digitstudio.training.lr_finder import RULE, range_test, smooth, submit_range_test, suggest
from digitstudio.training.queue import TrainingManager


def test_the_suggestion_lies_in_the_stable_range_of_a_least_squares_problem():
    """Linear least squares y = x·w, mean-squared error, plain SGD. The loss's Hessian is
    H = 2·E[x xᵀ], here diagonal with largest eigenvalue λ = 2·3² = 18, and gradient
    descent converges only for rates below 2/λ ≈ 0.11 (the classic stability bound); the
    best rate for the steepest direction is 1/λ ≈ 0.056. A good suggestion is a
    rate that trains: inside (2/λ/100, 2/λ)."""
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    scales = np.array([3.0, 1.0, 0.5, 0.25], np.float32)
    x = (rng.standard_normal((4096, 4)) * scales).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32)[:, None]
    lam = 2 * float(scales.max()) ** 2
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, use_bias=False)])
    model.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    test = range_test(model, x, y, batch_size=256, min_lr=1e-5, max_lr=10.0, num_batches=150, seed=0)
    assert test.diverged  # the rates went past the bound and the loss blew up
    assert test.rule == RULE
    assert 2 / lam / 100 < test.suggestion < 2 / lam, (test.suggestion, 2 / lam)
    # The smoothed loss's minimum itself sits near the bound (a little past it: the moving
    # average lags the raw loss), which is why the rule divides by 10.
    best = test.rates[int(np.argmin(test.smoothed[10:])) + 10]
    assert 2 / lam / 3 < best < 2 / lam * 3, best


def test_smoothing_and_the_rule_on_hand_made_curves():
    assert smooth([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])  # bias-corrected: no warm-up dip
    rates = list(np.geomspace(1e-4, 1, 40))
    falling_then_rising = [5 - i * 0.1 if i < 30 else 2 + (i - 30) for i in range(40)]
    assert suggest(rates, falling_then_rising) == pytest.approx(rates[30] / 10)  # its minimum, 2.0
    assert suggest(rates, [1.0 + i for i in range(40)]) is None  # never fell: nothing to suggest


def test_the_range_test_runs_through_the_queue_for_a_spec(small_mnist, tmp_path):
    manager = TrainingManager(RunStore(tmp_path / "runs"), lambda: small_mnist, max_concurrent=1)
    spec = ModelSpec(layers=parse_layers("dense:32:relu"), optimizer="sgd", batch_size=32, train_size=2000)
    try:
        job = submit_range_test(manager, spec, owner="alice", num_batches=60)
        snap = manager.wait(job, 120)
    finally:
        manager.shutdown()
    assert snap.state == "completed" and snap.kind == "lr_range", snap.message
    details = snap.details
    assert len(details["rates"]) == len(details["losses"]) == len(details["smoothed"]) <= 60
    assert details["rates"] == sorted(details["rates"]) and details["rates"][0] == pytest.approx(1e-6)
    assert details["suggestion"] is not None and 1e-6 <= details["suggestion"] <= 10
    assert "Suggested learning rate" in snap.message
    assert manager.store.list() == []  # a range test is not a run
