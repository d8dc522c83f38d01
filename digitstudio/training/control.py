"""Requests to a running training from other threads: stop, pause/resume, step, a new
learning rate. The training's callback (callback.py) checks them before every batch."""

from __future__ import annotations

import threading
import time

MAX_HOLD_SECONDS = 600.0  # a pause untouched this long resumes (see TrainingControl.before_batch)


class TrainingControl:
    """Requests to a running training from other threads: stop, pause/resume, step and
    a new learning rate.

    The training checks it before every batch (`before_batch`, on the training thread),
    so a pause holds between two batches, blocked on a condition variable: a paused
    training uses no CPU (bench/train_speed.py --paused measures it). `step(n)` lets
    exactly n more batches run and then holds again. A learning rate set with
    `set_learning_rate` is taken by the next batch that runs (`take_learning_rate`)."""

    def __init__(self) -> None:
        self.stop_requested = threading.Event()
        self._changed = threading.Condition()
        self._paused = False
        self._steps = 0
        self._learning_rate: float | None = None
        self.max_hold = MAX_HOLD_SECONDS
        self.resumed_by_itself = False
        self.deadline: float | None = None  # time.monotonic() past which the training stops (limit_time)
        self.timed_out = False

    def limit_time(self, seconds: float) -> None:
        """Stop the training at the first batch after `seconds` of training (a class
        challenge's budget); time held by a pause does not count."""
        self.deadline = time.monotonic() + float(seconds)

    def stop(self) -> None:
        with self._changed:
            self.stop_requested.set()
            self._changed.notify_all()

    def pause(self) -> None:
        with self._changed:
            self._paused, self._steps = True, 0

    def resume(self) -> None:
        with self._changed:
            self._paused = False
            self._changed.notify_all()

    def step(self, batches: int = 1) -> None:
        with self._changed:
            self._steps += max(1, int(batches))
            self._changed.notify_all()  # also restarts the hold's clock (wait_for waits afresh)

    def set_learning_rate(self, rate: float) -> None:
        with self._changed:
            self._learning_rate = float(rate)

    def take_learning_rate(self) -> float | None:
        """The rate set since the last call, once (None if none)."""
        with self._changed:
            rate, self._learning_rate = self._learning_rate, None
            return rate

    @property
    def paused(self) -> bool:
        return self._paused

    def will_hold(self) -> bool:
        """True when `before_batch` would block now (paused, no step owed, no stop)."""
        with self._changed:
            return self._paused and self._steps == 0 and not self.stop_requested.is_set()

    def before_batch(self) -> None:
        """Block while paused (unless a step is owed or a stop was asked for). A hold with
        no Step, Resume or Stop for `max_hold` seconds resumes by itself: a paused job keeps
        its worker, so one abandoned by its owner (a reloaded tab gets a new session and
        cannot reach it) must not hold the queue for the whole class."""
        with self._changed:
            waited = time.monotonic()
            held = self._changed.wait_for(
                lambda: not self._paused or self._steps > 0 or self.stop_requested.is_set(), self.max_hold)
            if self.deadline is not None:
                self.deadline += time.monotonic() - waited  # a hold is not training time
                if time.monotonic() > self.deadline and not self.stop_requested.is_set():
                    self.timed_out = True
                    self.stop_requested.set()
            if not held:
                self._paused = False
                self.resumed_by_itself = True
            if self._paused and self._steps > 0:
                self._steps -= 1
