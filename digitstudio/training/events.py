"""What a training tells its watchers, as typed, frozen events.

`fit.train()`, `finetune.finetune()` and the learning-rate range test call
`on_progress(event)` with one of these, from Keras's callback thread. They are plain,
frozen and picklable data (numbers, tuples, frozen snapshots), so the queue can copy
them under its lock and a remote worker can send them over the wire unchanged.

    Batch        a batch ended (or a paused training holds before one: point is None)
    Epoch        an epoch ended, with Keras's logs (loss, accuracy, val_loss, …)
    LearningRate the rate changed from batch `step` on (recorded or set live)
    Snapshot     a snapshot of the insides was taken (training/snapshots.py)
    ProbeReady   the fixed images the snapshots look at
    Phase        after the last batch: what the training is doing now, in words
    Details      a task's own JSON-ready result (the range test's curve)
    Ended        the training ended: status and message
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CurvePoint:
    """One point of the intra-epoch training curve."""

    epoch: float  # fractional epoch, e.g. 1.5 = half-way through the second epoch
    loss: float
    accuracy: float

    def as_dict(self) -> dict[str, float]:
        return {"epoch": self.epoch, "loss": self.loss, "accuracy": self.accuracy}


@dataclass(frozen=True)
class Batch:
    epoch: int  # 1-based epoch in progress
    epochs: int
    batch: int  # batches done in this epoch
    batches: int  # batches per epoch
    elapsed: float  # seconds since training started
    eta: float | None  # seconds left; None until there is a pace (or while held)
    point: CurvePoint | None = None  # None when a paused training holds before this batch


@dataclass(frozen=True)
class Epoch:
    epoch: int  # 1-based epoch that ended
    epochs: int
    batches: int
    elapsed: float
    seconds: float  # this epoch's duration
    eta: float | None
    logs: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LearningRate:
    step: int  # batch index over all epochs (0 = the first batch)
    epoch: float  # the same step on the epoch axis
    lr: float


@dataclass(frozen=True)
class Snapshot:
    insides: Any  # training.snapshots.Insides (frozen)


@dataclass(frozen=True)
class ProbeReady:
    probe: Any  # training.snapshots.Probe (frozen)


@dataclass(frozen=True)
class Phase:
    """What happens after the last batch, named so the screen can say it."""

    name: str  # e.g. "Scoring the model on 10,000 test digits"


@dataclass(frozen=True)
class Details:
    details: dict[str, Any]


@dataclass(frozen=True)
class Ended:
    status: str  # storage.runs.RunStatus value
    message: str


Event = Batch | Epoch | LearningRate | Snapshot | ProbeReady | Phase | Details | Ended
ProgressFn = Callable[[Event], None]
