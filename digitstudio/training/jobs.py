"""A training job's life, as plain frozen data every page can read.

    QUEUED → RUNNING ⇄ PAUSED → COMPLETED | STOPPED | DIVERGED | FAILED
    QUEUED → CANCELLED

`JobState` names the states (active ones hold their owner's one place in the queue;
final ones are done), `JobKind` what the job does, `JobSnapshot` a job as frozen
copies (`queue.TrainingManager.snapshot()`), safe to keep and read on any thread.
The queue that moves jobs through these states is queue.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from digitstudio.modeling.spec import ModelSpec
from digitstudio.storage.runs import RunKind, RunStatus
from digitstudio.training.snapshots import Insides, Probe


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = RunStatus.COMPLETED.value  # the final states of a run are its RunStatus
    STOPPED = RunStatus.STOPPED.value
    DIVERGED = RunStatus.DIVERGED.value
    FAILED = RunStatus.FAILED.value
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """Queued, running or paused: the job still holds its owner's one place."""
        return self in (JobState.QUEUED, JobState.RUNNING, JobState.PAUSED)

    @property
    def final(self) -> bool:
        return not self.active

    @property
    def has_model(self) -> bool:
        """Completed and stopped runs keep (and save) their model."""
        return self.final and self is not JobState.CANCELLED and RunStatus(self.value).keeps_model

    @classmethod
    def ended(cls, status: RunStatus | str) -> JobState:
        """The final state of a job whose run ended with `status`."""
        return cls(RunStatus(status).value)


class JobKind(str, enum.Enum):
    """What a job does: the panel, the controls and the run it records follow from it."""

    TRAIN = "train"  # a training of a spec (the sidebar, a class challenge)
    LR_RANGE = "lr_range"  # a learning-rate range test: not a run, nothing saved
    FINETUNE = "finetune"  # Teach the model on one person's drawings
    CLASS_FINETUNE = "class_finetune"  # the teacher's Teach the model on the class's drawings: the class's model

    @property
    def run_kind(self) -> RunKind | None:
        """The kind of run it records (None: it records none)."""
        return {JobKind.TRAIN: RunKind.TRAIN, JobKind.FINETUNE: RunKind.FINETUNE,
                JobKind.CLASS_FINETUNE: RunKind.CLASS_FINETUNE}.get(self)

    @property
    def is_finetune(self) -> bool:
        return self in (JobKind.FINETUNE, JobKind.CLASS_FINETUNE)


class JobLimitError(RuntimeError):
    """The owner already has a training queued or running; the message says what to do."""


class ControlError(ValueError):
    """A control request that cannot be honoured (wrong owner, finished job, a learning
    rate out of range or under the cosine schedule); the message says why."""


@dataclass(frozen=True)
class Progress:
    epoch: int = 0  # 1-based epoch in progress (0 before the first batch)
    epochs: int = 0
    batch: int = 0  # batches done in this epoch
    batches: int = 0  # batches per epoch
    elapsed: float = 0.0  # seconds since training started
    eta: float | None = None  # seconds left, None until there is a pace

    @property
    def fraction(self) -> float:
        """Share of all batches done, 0–1."""
        if not self.epoch or not self.epochs or not self.batches:
            return 0.0
        return min(1.0, ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches))


@dataclass(frozen=True)
class JobSnapshot:
    """A job as plain, frozen data: what every page reads."""

    job_id: str
    label: str
    owner: str
    state: JobState
    queue_position: int  # 1 = next to start; 0 when not queued
    progress: Progress
    message: str
    run_id: str | None
    test_accuracy: float | None
    test_loss: float | None
    params: int
    train_seconds: float | None
    created: float
    started: float | None
    finished: float | None
    history: dict[str, list[float]]  # per-epoch metrics (a copy)
    curve: list[dict[str, float]]  # intra-epoch training points (a copy)
    spec: ModelSpec
    kind: JobKind = JobKind.TRAIN
    learning_rate: float | None = None  # the rate in use now (None before the job starts)
    lr_changes: tuple[tuple[int, float], ...] = ()  # (step, rate) applied so far, in order
    insides: tuple[Insides, ...] = ()  # snapshots so far (frozen, shared, never modified)
    probe: Probe | None = None  # the fixed images the snapshots look at
    details: dict[str, Any] = field(default_factory=dict)  # a task's own JSON-ready result
    tags: dict[str, Any] = field(default_factory=dict)  # what the submitter attached (a challenge, a nickname)
    phase: str = ""  # after the last batch: what the job is doing now, in words (events.Phase)
