"""Training with progress callbacks, stop, NaN detection and atomic saves.

`train()` is the one training path: train.py and the app both call it. It is a
plain `model.fit` plus one light callback, so it costs what a bare fit costs
(bench/train_speed.py measures the ratio). The callback also holds a paused training
between batches (TrainingControl), applies learning-rate changes (live ones and the
spec's recorded `lr_changes`, so a run replays) and, with snapshots on, takes the
insides at each epoch end and hold (snapshots.py; ~9 ms per snapshot for the seed
MLP, ~190 ms for the CNN, measured with bench/train_speed.py --snapshot-cost).
"""

from __future__ import annotations

import math
import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digitstudio.data.augment import NO_AUGMENTATION, augmented_dataset
from digitstudio.data.mixing import mix_negatives
from digitstudio.data.mnist import MnistData, to_model_input
from digitstudio.data.negatives import digit_accuracy, make_negatives, soft_targets
from digitstudio.data.real import RealHandwriting, load_real
from digitstudio.data.real_drawings import DigitLikeness, real_non_digits, semeion_digits
from digitstudio.data.styles import apply_styles
from digitstudio.drawing.predict import DIGITS_REJECTED, choose_threshold
from digitstudio.modeling.spec import ModelSpec, count_params, format_lr_changes, parse_lr_changes, validate
from digitstudio.storage.files import save_model_atomic, write_json_atomic
from digitstudio.training.snapshots import Insides, Probe, keep, make_probe

ProgressFn = Callable[[dict[str, Any]], None]

# How often (seconds) batch-level progress is reported inside an epoch.
BATCH_REPORT_INTERVAL = 0.4
HELD_OUT_NEGATIVES = 500  # non-digits (a seed of their own) the "not sure" threshold is checked on


@dataclass
class TrainResult:
    model: Any  # keras.Model
    spec: ModelSpec
    status: str  # completed | stopped | diverged | failed
    history: dict[str, list[float]]
    test_loss: float | None
    test_accuracy: float | None
    params: int
    train_seconds: float
    data_source: str
    message: str = ""
    curve: list[dict[str, float]] = field(default_factory=list)  # intra-epoch points
    insides: list[Insides] = field(default_factory=list)  # snapshots (train(snapshots=True))
    probe: Probe | None = None  # the fixed images the snapshots looked at
    batches: int = 0  # batches per epoch (places lr_changes steps on the epoch axis)
    details: dict[str, Any] = field(default_factory=dict)  # a task's own JSON-ready result (lr_finder)
    not_sure: dict[str, Any] | None = None  # the "not sure" threshold and how it was chosen

    def metrics(self) -> dict[str, Any]:
        """Everything about the run except the model itself (JSON-ready)."""
        epochs_done = len(self.history.get("loss", []))
        return {
            "spec": self.spec.to_dict(),
            "status": self.status,
            "message": self.message,
            "epochs_completed": epochs_done,
            "history": self.history,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "params": self.params,
            "train_seconds": round(self.train_seconds, 3),
            "seconds_per_epoch": round(self.train_seconds / epochs_done, 3) if epochs_done else None,
            "batches_per_epoch": self.batches or None,  # places spec.lr_changes steps on the epoch axis
            "data_source": self.data_source,
            "versions": library_versions(),
            "not_sure": self.not_sure,
        }


def library_versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "platform": f"{platform.system()} {platform.machine()}",
    }


def set_determinism(seed: int) -> None:
    """Same seed → same history on CPU."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


@dataclass
class Prepared:
    x_train: np.ndarray
    y_train: np.ndarray
    validation: tuple[np.ndarray, np.ndarray] | None
    x_test: np.ndarray
    y_test: np.ndarray
    held_out: np.ndarray  # uint8 digits the "not sure" threshold is chosen on (validation, else test)


def prepare_data(spec: ModelSpec, data: MnistData, real: RealHandwriting | None = None) -> Prepared:
    """Take the seeded training subset, split off validation as Keras's validation_split
    would (the last fraction), add restyled copies of some training digits (spec.styles)
    and real Semeion digits (spec.real_digits), append synthetic non-digits
    (spec.negatives) and real ones (spec.real_negatives), normalise (to [0, 1], or 0–255
    for input_scale "raw"); one-hot labels if the loss needs it, soft targets (uniform rows
    for non-digits) when there are non-digits. `real`: the real-handwriting arrays, loaded
    with `load_real()` when the spec needs them and none are given (DataError if that fails)."""
    if (spec.real_negatives or spec.real_digits) and real is None:
        real = load_real()
    x, y = data.x_train, data.y_train
    if spec.train_size is not None and spec.train_size < len(x):
        order = np.random.default_rng(spec.seed).permutation(len(x))[: spec.train_size]
        x, y = x[np.sort(order)], y[np.sort(order)]
    x_val = y_val = None
    if not spec.validate_on_test and spec.validation_split > 0:
        n_val = int(len(x) * spec.validation_split)
        if n_val >= 1 and n_val < len(x):
            x_val, y_val, x, y = x[-n_val:], y[-n_val:], x[:-n_val], y[:-n_val]
    if spec.styles:
        x, y, _ = apply_styles(x, y, seed=spec.seed)
    if spec.real_digits:
        x_real, y_real = semeion_digits(real, spec.real_digits, spec.seed, data.x_train, data.y_train)
        order = np.random.default_rng(spec.seed).permutation(len(x) + len(x_real))
        x, y = np.concatenate([x, x_real])[order], np.concatenate([y.astype(np.uint8), y_real])[order]
    n_neg = int(round(spec.negatives * len(x)))
    if n_neg:
        x = np.concatenate([x, make_negatives(n_neg, seed=spec.seed, digits=x)])
    n_real = int(round(spec.real_negatives * (len(x) - n_neg)))
    if n_real:
        likeness = DigitLikeness(data.x_train, data.y_train, data.x_test, seed=spec.seed)
        x = np.concatenate([x, real_non_digits(real, n_real, spec.seed, likeness)])
        n_neg += n_real
    x_test, y_test = _pixels(data.x_test, spec.input_scale), _labels(data.y_test, spec)
    validation = (x_test, y_test) if spec.validate_on_test else None
    if x_val is not None:
        validation = (_pixels(x_val, spec.input_scale), _labels(y_val, spec))
    y_fit = soft_targets(y, n_neg) if n_neg else _labels(y, spec)
    held_out = x_val if x_val is not None else data.x_test
    return Prepared(_pixels(x, spec.input_scale), y_fit, validation, x_test, y_test, held_out)


def _pixels(images: np.ndarray, input_scale: str) -> np.ndarray:
    """uint8 (n, 28, 28) → float32 (n, 28, 28, 1): [0, 1] for "unit", 0–255 for "raw"."""
    if input_scale == "raw":
        return np.asarray(images, dtype=np.float32).reshape(-1, 28, 28, 1)
    return to_model_input(images)


def _labels(y: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """Integer labels for the sparse loss; one-hot rows for categorical cross-entropy,
    which training with non-digits always uses (their targets are not one class)."""
    y = y.astype(np.int64)
    if spec.loss == "categorical_crossentropy" or spec.negatives > 0 or spec.real_negatives > 0:
        return np.eye(10, dtype=np.float32)[y]
    return y


def pick_threshold(model, spec: ModelSpec, held_out: np.ndarray,
                   probabilities: np.ndarray | None = None) -> dict[str, Any]:
    """The "not sure" threshold: the highest top probability that rejects at most
    DIGITS_REJECTED of the held-out digits (`predict.choose_threshold`), with how many
    of HELD_OUT_NEGATIVES non-digits (their own seed, pairs from the held-out digits) it
    rejects. Every model gets it, trained with non-digits or not. `probabilities`, the
    model's (n, 10) output on `held_out` if the caller has it, saves predicting again."""
    digits = (probabilities if probabilities is not None
              else model.predict(_pixels(held_out, spec.input_scale), batch_size=1024, verbose=0))
    negatives = make_negatives(HELD_OUT_NEGATIVES, seed=spec.seed + 1, digits=held_out)
    negative_top = model.predict(_pixels(negatives, spec.input_scale), batch_size=1024, verbose=0).max(axis=1)
    threshold = choose_threshold(digits, DIGITS_REJECTED)
    return {
        "threshold": round(threshold, 6),
        "rule": f"highest threshold that calls at most {DIGITS_REJECTED:.2%} of held-out digits not sure",
        "held_out_digits": int(len(held_out)),
        "digits_rejected": round(float((digits.max(axis=1) < threshold).mean()), 6),
        "held_out_negatives": HELD_OUT_NEGATIVES,
        "negatives_rejected": round(float((negative_top < threshold).mean()), 6),
    }


def record_threshold(model, spec: ModelSpec, held_out: np.ndarray,
                     probabilities: np.ndarray | None = None) -> dict[str, Any]:
    """`pick_threshold`'s record, or {"threshold": None, "error": ...} when choosing one
    fails: the model is still good, it just never says "not sure"."""
    try:
        return pick_threshold(model, spec, held_out, probabilities)
    except Exception as exc:
        return {"threshold": None, "error": f"{type(exc).__name__}: {str(exc).strip()[:200]}"}


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
            held = self._changed.wait_for(
                lambda: not self._paused or self._steps > 0 or self.stop_requested.is_set(), self.max_hold)
            if not held:
                self._paused = False
                self.resumed_by_itself = True
            if self._paused and self._steps > 0:
                self._steps -= 1


def make_callback(on_progress: ProgressFn | None, control: TrainingControl | None,
                  epochs: int, batches: int, curve: list[dict[str, float]],
                  lr_changes: dict[int, float] | None = None, probe: Probe | None = None,
                  insides: list[Insides] | None = None):
    """A Keras callback that reports progress as plain dicts (safe to hand across threads),
    stops on request, and stops when the loss turns NaN/inf. Built lazily so importing
    this module does not import Keras.

    Learning rate: before batch `step` (counted over all epochs) it applies
    `lr_changes[step]` (a recorded schedule) and any rate set live through `control`;
    each change applied is kept in `.applied` [(step, rate)] and reported as an "lr" event.
    Snapshots: with a `probe`, an `Insides` is appended to `insides` (and reported as an
    "insides" event) at every epoch end and whenever a paused training starts to hold."""
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

        def _emit(self, event: dict[str, Any]) -> None:
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
            self._emit({"kind": "insides", "insides": shot})

        def on_train_batch_begin(self, batch, logs=None):
            step = self.epoch * batches + batch
            if control is not None:
                if control.will_hold() and self.held_at != step:
                    self.held_at = step  # once per hold: after a Step, or when a pause begins
                    self._snapshot(step, "step")
                    self._emit({"kind": "batch", "epoch": self.epoch + 1, "epochs": epochs, "batch": batch,
                                "batches": batches, "elapsed": time.perf_counter() - self.started, "eta": None})
                control.before_batch()  # a pause holds here, between two batches
            rate = (lr_changes or {}).get(step)
            live = control.take_learning_rate() if control is not None else None
            rate = live if live is not None else rate
            if rate is not None:
                self.model.optimizer.learning_rate = rate  # assigns the variable: the next step uses it
                self.applied.append((step, rate))
                self._emit({"kind": "lr", "step": step, "epoch": step / batches, "lr": rate})

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
            point = {"epoch": self.epoch + (batch + 1) / batches,
                     "loss": float(loss) if loss is not None else float("nan"),
                     "accuracy": float((logs or {}).get("accuracy", float("nan")))}
            curve.append(point)
            self._emit({
                "kind": "batch", "epoch": self.epoch + 1, "epochs": epochs,
                "batch": batch + 1, "batches": batches, "elapsed": elapsed,
                "eta": self._eta(done, now), "point": point,
            })

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
            self._emit({
                "kind": "epoch", "epoch": epoch + 1, "epochs": epochs, "batch": batches,
                "batches": batches, "elapsed": elapsed, "seconds": now - self.epoch_started,
                "eta": self._eta(done, now), "logs": logs,
            })

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


def train(spec: ModelSpec, data: MnistData, on_progress: ProgressFn | None = None,
          control: TrainingControl | None = None, log_dir: str | os.PathLike | None = None,
          snapshots: bool = False, drawing: np.ndarray | None = None,
          real: RealHandwriting | None = None) -> TrainResult:
    """Train a model for `spec` on `data`. Never raises for training faults: the
    result's status says completed / stopped / diverged / failed. `control` lets
    another thread stop, pause, resume, step it or change its learning rate (the
    changes applied end up in the result's spec.lr_changes, so the run replays).
    With log_dir, TensorBoard logs (train/ and validation/ event files) are written
    there. `snapshots` keeps an `Insides` per epoch and per hold (result.insides),
    looking at the fixed digits and `drawing` (28, 28) in [0, 1], if given (see
    snapshots.py). `real`: the real-handwriting arrays for spec.real_negatives and
    spec.real_digits (loaded with `data.real.load_real()` when needed and not given;
    a DataError from that load is raised before anything trains)."""
    spec = validate(spec)
    from digitstudio.modeling.build import build_model

    set_determinism(spec.seed)
    prepared = prepare_data(spec, data, real)
    batches = math.ceil(len(prepared.x_train) / spec.batch_size)
    model = build_model(spec, steps_per_epoch=batches)
    if spec.negatives > 0 or spec.real_negatives > 0:  # soft targets: categorical cross-entropy, digits-only accuracy
        model.compile(optimizer=model.optimizer, loss="categorical_crossentropy", metrics=[digit_accuracy()])
    curve: list[dict[str, float]] = []
    probe, insides = None, []
    if snapshots:
        x_sample, y_sample = prepared.validation or (prepared.x_test, prepared.y_test)
        probe = make_probe(x_sample, y_sample, prepared.x_test, prepared.y_test, drawing)
        if on_progress is not None:
            on_progress({"kind": "probe", "probe": probe})
    callback = make_callback(on_progress, control, spec.epochs, batches, curve,
                             lr_changes=dict(parse_lr_changes(spec.lr_changes)), probe=probe, insides=insides)
    callbacks = [callback] + ([tensorboard_callback(log_dir)] if log_dir is not None else [])
    started = time.perf_counter()
    status, message = "completed", ""
    try:
        mixing = spec.negatives_mix > 0  # validate() refuses it without non-digits to mix
        if spec.augment or mixing:
            before = None
            if mixing:
                def before(images, labels, step):
                    return mix_negatives(images, labels, spec.negatives_mix, spec.seed, step)
            settings = spec.augmentation() if spec.augment else NO_AUGMENTATION
            fit_data = dict(x=augmented_dataset(prepared.x_train, prepared.y_train, spec.batch_size, spec.seed,
                                                before=before, **settings),
                            shuffle=False)  # the dataset shuffles itself
        else:
            fit_data = dict(x=prepared.x_train, y=prepared.y_train, batch_size=spec.batch_size, shuffle=True)
        history = model.fit(**fit_data, epochs=spec.epochs, validation_data=prepared.validation,
                            callbacks=callbacks, verbose=0).history
    except Exception as exc:  # a fault inside training is reported, not raised
        history = model.history.history if getattr(model, "history", None) else {}
        status, message = "failed", f"Training failed: {type(exc).__name__}: {str(exc).strip()[:300]}"
    train_seconds = time.perf_counter() - started
    if status != "failed":
        if callback.diverged:
            status, message = "diverged", f"Training stopped: {callback.reason}."
        elif callback.reason:
            status, message = "stopped", "Training was stopped before the last epoch finished."
    history = {k: [float(v) for v in values] for k, values in history.items()}
    history["seconds"] = [round(s, 3) for s in callback.epoch_seconds]
    test_loss = test_accuracy = None
    if status in ("completed", "stopped"):
        test_loss, test_accuracy = (float(v) for v in model.evaluate(
            prepared.x_test, prepared.y_test, batch_size=1024, verbose=0))
        if not math.isfinite(test_loss):
            status, message = "diverged", "Training stopped: the test loss is NaN/inf."
    not_sure = record_threshold(model, spec, prepared.held_out) if status in ("completed", "stopped") else None
    if on_progress is not None:
        on_progress({"kind": "end", "status": status, "message": message})
    recorded = dict(parse_lr_changes(spec.lr_changes)) | dict(callback.applied)
    return TrainResult(
        model=model, spec=spec.replace(lr_changes=format_lr_changes(list(recorded.items()))), status=status,
        history=history, test_loss=test_loss, test_accuracy=test_accuracy, params=count_params(spec),
        train_seconds=train_seconds, data_source=data.source, message=message, curve=curve,
        insides=insides, probe=probe, batches=batches, not_sure=not_sure,
    )


def save_result(result: TrainResult, model_path: str | os.PathLike, extra: dict | None = None) -> Path:
    """Write the .keras model and its JSON (same name, .json) side by side."""
    model_path = Path(model_path)
    json_path = model_path.with_suffix(".json")
    info = {**result.metrics(), **(extra or {})}
    if result.status in ("completed", "stopped"):
        save_model_atomic(result.model, model_path)
        info["model_file"] = model_path.name
    write_json_atomic(info, json_path)
    return json_path
