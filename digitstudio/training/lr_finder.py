"""The learning-rate range test (L. N. Smith, "Cyclical Learning Rates for Training Neural
Networks", WACV 2017, section 3.3): train a fresh copy of the model for a few hundred
batches while the rate grows exponentially from very small to very large, and watch
the loss. It falls slowly at first, fast in a middle range, then blows up; a good
rate sits well inside the fast range.

Suggested value (the rule fastai's `lr_find` reports as `lr_min`, after S. Gugger,
"How Do You Find A Good Learning Rate", 2017): smooth the per-batch loss with an
exponential moving average (β = 0.98, bias-corrected), take the rate at its minimum
and divide by 10 — the minimum itself is already at the edge of instability. The
test stops early once the smoothed loss exceeds 4× its best (diverged).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from digitstudio.data.mnist import MnistData
from digitstudio.modeling.spec import FIELD, ModelSpec, count_params, validate
from digitstudio.storage.runs import RunStatus
from digitstudio.training.control import TrainingControl
from digitstudio.training.data import prepare_data
from digitstudio.training.events import Batch, Details, ProgressFn
from digitstudio.training.fit import TrainResult, set_determinism

MIN_LR = 1e-6  # the spec's lowest allowed rate
MAX_LR = 10.0  # and its highest
NUM_BATCHES = 200
BETA = 0.98  # smoothing of the loss curve
DIVERGE_FACTOR = 4.0
RULE = "minimum of the smoothed loss ÷ 10"


@dataclass(frozen=True)
class RangeTest:
    """rates, losses (per batch, raw) and smoothed: equal-length lists; `suggestion` is
    None when the loss never fell (then no range works: the model or data is at fault)."""

    rates: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: float | None
    rule: str
    diverged: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def smooth(losses: list[float], beta: float = BETA) -> list[float]:
    """Bias-corrected exponential moving average (as in Adam's first moment)."""
    average, out = 0.0, []
    for i, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta**i))
    return out


def suggest(rates: list[float], smoothed: list[float], skip: int = 10) -> float | None:
    """The rate at the smoothed loss's minimum, ÷ 10 (the first `skip` points, where the
    average is still warming up, are not candidates); None if the loss never fell."""
    if len(smoothed) <= skip:
        return None
    best = skip + int(np.argmin(smoothed[skip:]))
    if smoothed[best] >= smoothed[skip]:
        return None
    return float(max(rates[best] / 10, rates[0]))


def range_test(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int, min_lr: float = MIN_LR,
               max_lr: float = 1.0, num_batches: int = NUM_BATCHES, seed: int = 0,
               control: TrainingControl | None = None, on_batch=None) -> RangeTest:
    """Run the test on a compiled Keras `model` (its weights change: pass a copy) with
    arrays x, y; `batch_size` images per batch drawn from a seeded shuffle. The rate of
    batch i is min_lr·(max_lr/min_lr)^(i/(num_batches−1)). `control` can stop or pause it;
    `on_batch(i, rate, loss)` is called after each batch."""
    rates = np.geomspace(min_lr, max_lr, num_batches).tolist()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    batch_size = min(batch_size, len(x))
    losses: list[float] = []
    diverged = False
    for i, rate in enumerate(rates):
        if control is not None:
            control.before_batch()
            if control.stop_requested.is_set():
                break
        start = (i * batch_size) % len(x)
        if start + batch_size > len(x):
            order, start = rng.permutation(len(x)), 0
        pick = order[start:start + batch_size]
        model.optimizer.learning_rate = rate
        loss = float(model.train_on_batch(x[pick], y[pick], return_dict=True)["loss"])
        if not math.isfinite(loss):
            diverged = True
            break
        losses.append(loss)
        if on_batch is not None:
            on_batch(i, rate, loss)
        smoothed = smooth(losses)
        if i > 10 and smoothed[-1] > DIVERGE_FACTOR * min(smoothed):
            diverged = True
            break
    rates = rates[: len(losses)]
    smoothed = smooth(losses)
    return RangeTest(rates, losses, smoothed, suggest(rates, smoothed), RULE, diverged)


def find_learning_rate(spec: ModelSpec, data: MnistData, on_progress: ProgressFn | None = None,
                       control: TrainingControl | None = None, num_batches: int = NUM_BATCHES) -> TrainResult:
    """The range test for `spec` (its layers, optimizer, loss, batch size, training
    images; a fresh model, so nothing trained is touched), as a queue task: progress
    events like a training's, the test itself in a "details" event and in
    result.details. Rates from 1e-6 to 10 (the spec's allowed range)."""
    from digitstudio.modeling.build import build_model

    spec = validate(spec.replace(lr_schedule="constant", lr_changes=""))
    set_determinism(spec.seed)
    prepared = prepare_data(spec, data)
    model = build_model(spec)
    started = time.perf_counter()
    curve: list[dict[str, float]] = []

    def on_batch(i: int, rate: float, loss: float) -> None:
        curve.append({"lr": rate, "loss": loss})
        if on_progress is not None:
            on_progress(Batch(1, 1, i + 1, num_batches, time.perf_counter() - started, None))

    test = range_test(model, prepared.x_train, prepared.y_train, spec.batch_size, FIELD["learning_rate"].low,
                      FIELD["learning_rate"].high, num_batches, spec.seed, control, on_batch)
    stopped = control is not None and control.stop_requested.is_set()
    if on_progress is not None:
        on_progress(Details(test.to_dict()))
    if test.suggestion is None:
        message = "The loss never fell: check the layers and the loss; no learning rate helps this setup."
    else:
        message = f"Suggested learning rate {test.suggestion:.2g} ({RULE})."
    return TrainResult(model=None, spec=spec, status=RunStatus.STOPPED if stopped else RunStatus.COMPLETED,
                       history={},
                       test_loss=None, test_accuracy=None, params=count_params(spec),
                       train_seconds=time.perf_counter() - started, data_source=data.source, message=message,
                       details=test.to_dict())


@dataclass(frozen=True)
class RangeTestTask:
    """The range test as plain picklable data: it runs where trainings run (a worker
    process, a Ray actor), not in the app's process beside the drawing students."""

    spec: ModelSpec
    num_batches: int = NUM_BATCHES

    def __call__(self, data, on_progress, control) -> TrainResult:
        return find_learning_rate(self.spec, data, on_progress, control, self.num_batches)


def submit_range_test(manager: Any, spec: ModelSpec, owner: str = "", num_batches: int = NUM_BATCHES) -> str:
    """Queue the range test for `spec` on a TrainingManager like any job (same queue, the
    owner's one active job, Stop/Pause work); kind "lr_range", nothing saved as a run.
    The finished job's snapshot has the test in `details` (RangeTest.to_dict())."""
    spec = validate(spec)
    return manager.submit(spec, label="learning-rate range test", owner=owner, kind="lr_range", save=False,
                          snapshots=False, task=RangeTestTask(spec, num_batches))
