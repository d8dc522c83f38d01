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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digitstudio.data.augment import NO_AUGMENTATION, augmented_dataset
from digitstudio.data.mixing import mix_negatives
from digitstudio.data.mnist import MnistData
from digitstudio.data.negatives import digit_accuracy
from digitstudio.data.real import RealHandwriting
from digitstudio.modeling.cli import command_line
from digitstudio.modeling.spec import (
    PIXEL_FACTORS,
    ModelSpec,
    count_params,
    format_lr_changes,
    parse_lr_changes,
    validate,
)
from digitstudio.storage.files import save_model_atomic, write_json_atomic
from digitstudio.storage.runs import RunKind, RunStatus
from digitstudio.training.batchnorm import reestimate, stale_batchnorm
from digitstudio.training.callback import make_callback, tensorboard_callback
from digitstudio.training.control import TrainingControl
from digitstudio.training.data import prepare_data
from digitstudio.training.events import Ended, Phase, ProbeReady, ProgressFn
from digitstudio.training.snapshots import Insides, Probe, make_probe
from digitstudio.training.threshold import record_threshold

__all__ = ["TrainResult", "TrainingControl", "ProgressFn", "train", "save_result", "set_determinism"]


@dataclass
class TrainResult:
    model: Any  # keras.Model
    spec: ModelSpec
    status: RunStatus  # completed | stopped | diverged | failed
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
            "status": RunStatus(self.status).value,
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


    def run_record(self, kind: RunKind = RunKind.TRAIN) -> dict[str, Any]:
        """The run's record for the run store (storage.runs.RunStore.save): the metrics,
        the intra-epoch curve, what made it and the train.py command that replays it."""
        return {**self.metrics(), "kind": RunKind(kind).value, "curve": list(self.curve),
                "command": command_line(self.spec)}


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


def train(spec: ModelSpec, data: MnistData, on_progress: ProgressFn | None = None,
          control: TrainingControl | None = None, log_dir: str | os.PathLike | None = None,
          snapshots: bool = False, drawing: np.ndarray | None = None,
          real: RealHandwriting | None = None, reestimate_batchnorm: bool = True,
          max_seconds: float | None = None) -> TrainResult:
    """Train a model for `spec` on `data`. Never raises for training faults: the
    result's status says completed / stopped / diverged / failed. `control` lets
    another thread stop, pause, resume, step it or change its learning rate (the
    changes applied end up in the result's spec.lr_changes, so the run replays).
    With log_dir, TensorBoard logs (train/ and validation/ event files) are written
    there. `snapshots` keeps an `Insides` per epoch and per hold (result.insides),
    looking at the fixed digits and `drawing` (28, 28) in [0, 1], if given (see
    snapshots.py). `real`: the real-handwriting arrays for spec.real_negatives and
    spec.real_digits (loaded with `data.real.load_real()` when needed and not given;
    a DataError from that load is raised before anything trains). `reestimate_batchnorm`:
    after the last step of a run too short for BatchNormalization's moving averages to
    forget their start values, they are re-estimated over training batches (batchnorm.py).
    `max_seconds`: stop (keeping the model) after this much training time (a budget)."""
    spec = validate(spec)
    from digitstudio.modeling.build import build_model

    if max_seconds is not None:
        control = control or TrainingControl()
        control.limit_time(max_seconds)

    set_determinism(spec.seed)
    if on_progress is not None:
        on_progress(Phase("Preparing the training data"))
    prepared = prepare_data(spec, data, real)
    batches = math.ceil(len(prepared.x_train) / spec.batch_size)
    model = build_model(spec, steps_per_epoch=batches)
    if spec.negatives > 0 or spec.real_negatives > 0:  # soft targets: categorical cross-entropy, digits-only accuracy
        model.compile(optimizer=model.optimizer, loss="categorical_crossentropy", metrics=[digit_accuracy()])
    curve: list[dict[str, float]] = []
    probe, insides = None, []
    if snapshots:
        x_sample, y_sample = prepared.validation or (prepared.x_test, prepared.y_test)
        probe = make_probe(x_sample, y_sample, prepared.x_test, prepared.y_test, drawing,
                           pixel_factor=PIXEL_FACTORS[spec.input_scale])  # pictures kept in [0, 1]
        if on_progress is not None:
            on_progress(ProbeReady(probe))
    callback = make_callback(on_progress, control, spec.epochs, batches, curve,
                             lr_changes=dict(parse_lr_changes(spec.lr_changes)), probe=probe, insides=insides)
    callbacks = [callback] + ([tensorboard_callback(log_dir)] if log_dir is not None else [])
    started = time.perf_counter()
    status, message = RunStatus.COMPLETED, ""
    try:
        mixing = spec.negatives_mix > 0  # validate() refuses it without non-digits to mix
        if spec.augment or mixing:
            before = None
            if mixing:
                def before(images, labels, step):
                    return mix_negatives(images, labels, spec.negatives_mix, spec.seed, step)
            settings = spec.augmentation() if spec.augment else NO_AUGMENTATION
            fit_data = dict(x=augmented_dataset(prepared.x_train, prepared.y_train, spec.batch_size, spec.seed,
                                                before=before, weights=prepared.sample_weight, **settings),
                            shuffle=False)  # the dataset shuffles itself
        else:
            fit_data = dict(x=prepared.x_train, y=prepared.y_train, batch_size=spec.batch_size, shuffle=True,
                            sample_weight=prepared.sample_weight)
        history = model.fit(**fit_data, epochs=spec.epochs, validation_data=prepared.validation,
                            callbacks=callbacks, verbose=0).history
    except Exception as exc:  # a fault inside training is reported, not raised
        history = model.history.history if getattr(model, "history", None) else {}
        status, message = RunStatus.FAILED, f"Training failed: {type(exc).__name__}: {str(exc).strip()[:300]}"
    train_seconds = time.perf_counter() - started
    if status is not RunStatus.FAILED:
        if callback.diverged:
            status, message = RunStatus.DIVERGED, f"Training stopped: {callback.reason}."
        elif callback.reason and control is not None and control.timed_out:
            status = RunStatus.STOPPED
            message = f"Stopped at the time budget ({max_seconds:g} s); it keeps what it learned."
        elif callback.reason:
            status, message = RunStatus.STOPPED, "Training was stopped before the last epoch finished."
    history = {k: [float(v) for v in values] for k, values in history.items()}
    history["seconds"] = [round(s, 3) for s in callback.epoch_seconds]
    test_loss = test_accuracy = not_sure = None
    say = on_progress or (lambda event: None)
    if status.keeps_model and reestimate_batchnorm and stale_batchnorm(model):
        say(Phase("Re-estimating the BatchNormalization statistics over training batches"))
        reestimate(model, prepared.x_train, spec.batch_size, seed=spec.seed)
    if status.keeps_model:
        say(Phase(f"Scoring the model on {len(prepared.y_test):,} test digits"))
        test_loss, test_accuracy = (float(v) for v in model.evaluate(
            prepared.x_test, prepared.y_test, batch_size=1024, verbose=0))
        if not math.isfinite(test_loss):
            status, message = RunStatus.DIVERGED, "Training stopped: the test loss is NaN/inf."
    if status.keeps_model:
        say(Phase(f"Choosing the 'not sure' threshold on {len(prepared.held_out):,} held-out digits"))
        not_sure = record_threshold(model, spec, prepared.held_out)
    say(Ended(status.value, message))
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
    if RunStatus(result.status).keeps_model:
        save_model_atomic(result.model, model_path)
        info["model_file"] = model_path.name
    write_json_atomic(info, json_path)
    return json_path
