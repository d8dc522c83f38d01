"""The one Keras callback every training uses, and TensorBoard's.

`make_callback` reports progress as typed events (events.py), holds a paused training
between batches (control.py), applies learning-rate changes (live ones and a spec's
recorded `lr_changes`, so a run replays), stops on request or when the loss turns
NaN/inf, and, with a probe, takes snapshots of the insides (snapshots.py).
"""

from __future__ import annotations

import math
import os
import time

from digitstudio.training.control import TrainingControl
from digitstudio.training.events import Batch, CurvePoint, Epoch, Event, LearningRate, ProgressFn, Snapshot
from digitstudio.training.snapshots import Insides, Probe, keep

# How often (seconds) batch-level progress is reported inside an epoch.
BATCH_REPORT_INTERVAL = 0.4


def make_callback(on_progress: ProgressFn | None, control: TrainingControl | None,
                  epochs: int, batches: int, curve: list[dict[str, float]],
                  lr_changes: dict[int, float] | None = None, probe: Probe | None = None,
                  insides: list[Insides] | None = None):
    """A Keras callback that reports progress as typed events (events.py: frozen, safe to
    hand across threads), stops on request, and stops when the loss turns NaN/inf. Built lazily so importing
    this module does not import Keras.

    Learning rate: before batch `step` (counted over all epochs) it applies
    `lr_changes[step]` (a recorded schedule) and any rate set live through `control`;
    each change applied is kept in `.applied` [(step, rate)] and reported as a LearningRate
    event. Snapshots: with a `probe`, an `Insides` is appended to `insides` (and reported
    as a Snapshot event) at every epoch end and whenever a paused training starts to hold."""
    import keras

    class _Progress(keras.callbacks.Callback):
        # Safe to run on Keras's callback thread: it only reads logs and sets flags,
        # which keeps fit's batches dispatched asynchronously (no per-batch sync).
        async_safe = True

        def __init__(self):
            super().__init__()
            self.reason = ""
            self.diverged = False
            self.started = time.perf_counter()
            self.epoch_started = self.started
            self.last_report = 0.0
            self.first_batch: tuple[int, float] | None = None  # (batches done, time) at the first batch
            self.epoch = 0
            self.epoch_seconds: list[float] = []
            self.applied: list[tuple[int, float]] = []
            self.held_at = -1  # the step at which the last hold snapshot was taken

        def _emit(self, event: Event) -> None:
            if on_progress is not None:
                on_progress(event)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self.epoch_started = time.perf_counter()

        def _snapshot(self, step: int, kind: str) -> None:
            if probe is None or insides is None:
                return
            if kind == "step" and insides and insides[-1].step == step:
                return  # held right after an epoch's end: that snapshot already shows this moment
            shot = probe.take(self.model, step / batches, step, kind)
            keep(insides, shot)
            self._emit(Snapshot(shot))

        def on_train_batch_begin(self, batch, logs=None):
            step = self.epoch * batches + batch
            if control is not None:
                if control.will_hold() and self.held_at != step:
                    self.held_at = step  # once per hold: after a Step, or when a pause begins
                    self._snapshot(step, "step")
                    self._emit(Batch(self.epoch + 1, epochs, batch, batches, time.perf_counter() - self.started,
                                     None))
                control.before_batch()  # a pause holds here, between two batches
                if control.stop_requested.is_set():  # checked here, on the training loop's own thread: the
                    self.reason = "stopped by request"  # batch starting now is the last (the end-of-batch
                    self.model.stop_training = True  # hook runs later, on Keras's callback thread)
            rate = (lr_changes or {}).get(step)
            live = control.take_learning_rate() if control is not None else None
            rate = live if live is not None else rate
            if rate is not None:
                self.model.optimizer.learning_rate = rate  # assigns the variable: the next step uses it
                self.applied.append((step, rate))
                self._emit(LearningRate(step, step / batches, rate))

        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                self.diverged = True
                self.reason = "the loss became NaN/inf (try a smaller learning rate)"
                self.model.stop_training = True
                return
            if control is not None and control.stop_requested.is_set():
                self.reason = "stopped by request"
                self.model.stop_training = True
            now = time.perf_counter()
            done = self.epoch * batches + batch + 1
            if self.first_batch is None:
                self.first_batch = (done, now)
            stepped = control is not None and control.paused  # a Step: show every one
            if now - self.last_report < BATCH_REPORT_INTERVAL and not stepped:
                return
            self.last_report = now
            elapsed = now - self.started
            point = CurvePoint(self.epoch + (batch + 1) / batches,
                               float(loss) if loss is not None else float("nan"),
                               float((logs or {}).get("accuracy", float("nan"))))
            curve.append(point.as_dict())
            self._emit(Batch(self.epoch + 1, epochs, batch + 1, batches, elapsed, self._eta(done, now), point))

        def _eta(self, done: int, now: float) -> float | None:
            """Seconds left, from the pace since the first batch (which pays for tracing
            and would make the first estimates wildly long); None until there is a pace."""
            first_done, first_time = self.first_batch or (done, now)
            if done <= first_done:
                return None
            return (now - first_time) / (done - first_done) * (epochs * batches - done)

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            if any(not math.isfinite(v) for k, v in logs.items() if k.endswith("loss")):
                self.diverged = True
                self.reason = "the loss became NaN/inf (try a smaller learning rate)"
                self.model.stop_training = True
            now = time.perf_counter()
            self.epoch_seconds.append(now - self.epoch_started)
            done = (epoch + 1) * batches
            elapsed = now - self.started
            self._snapshot(done, "epoch")
            self._emit(Epoch(epoch + 1, epochs, batches, elapsed, now - self.epoch_started, self._eta(done, now),
                             logs))

    return _Progress()


def tensorboard_callback(log_dir: str | os.PathLike):
    """keras.callbacks.TensorBoard writing per-epoch loss/accuracy (train and validation)
    and the model graph under log_dir; view with `tensorboard --logdir runs/`.

    With update_freq="epoch" its per-batch hooks only count batches, so it is marked
    async_safe: otherwise its mere on_train_batch_end would make Keras wait for every
    batch (bench/train_speed.py measures fit with and without it)."""
    import keras

    class _TensorBoard(keras.callbacks.TensorBoard):
        async_safe = True

    return _TensorBoard(log_dir=str(log_dir), update_freq="epoch", write_graph=True)
