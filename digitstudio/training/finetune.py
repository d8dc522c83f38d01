"""Fine-tune a trained model on one person's (or a class's) own digits without forgetting MNIST.

Drawings labelled "not a digit" (`NOT_A_DIGIT`) take part too: their target is the
uniform distribution over the ten digits, as the shipped model's non-digits were
(outlier exposure, Hendrycks et al., ICLR 2019; `data/negatives.py`), so the model
learns to say "not sure" to the letters, signs and doodles a class actually draws.

The recipe:

1. Hold out part of the person's digits, stratified by digit (`holdout_split`:
   20% of each digit, at least one, never a digit's last example; the not-a-digit
   drawings are one more class), to measure the gain on drawings the fine-tune never saw.
   A class's drawings (`writers` given) are stratified by writer and digit: each
   student's 7s give up a fifth of themselves, so the hold-out has every writer's hand
   in it and one prolific student cannot fill it. The record names the held-out and the
   trained drawings (`holdout["drawing_ids"]`, `holdout["trained_drawing_ids"]`), so a
   page can score the model on drawings it never trained on (`trained_drawings`).
2. Train a copy of the parent model (the parent is never changed: other sessions may
   be drawing with it) for `steps` gradient steps with Adam at a small learning rate.
   Every batch is half the person's training digits (cycled, each seen equally often,
   mildly augmented) and half fresh MNIST training images (`replay_plan`).
   This is experience replay / rehearsal against catastrophic forgetting (Robins 1995,
   "Catastrophic forgetting, rehearsal and pseudorehearsal", Connection Science 7(2));
   the equal split of every batch between new data and replayed old data is the "ER"
   baseline of Chaudhry et al. 2019, "On Tiny Episodic Memories in Continual Learning"
   (arXiv:1902.10486), which beat regularisation methods such as EWC at a tiny memory.
   Half and half: the person's digits get enough weight to move the model in ~100
   steps, MNIST enough to keep its test accuracy (measured in bench/finetune_benefit.py).
3. BatchNormalization layers stay in inference mode (frozen), as Keras's transfer-
   learning guide advises for fine-tuning ("Transfer learning & fine-tuning",
   keras.io/guides/transfer_learning): a few hundred small mixed batches would
   otherwise drag the statistics the rest of the network was trained with.
4. Report side by side: the person's hold-out before → after (per digit; for the
   not-a-digit drawings, the share called "not sure", before by the parent's threshold,
   after by the new one) and MNIST test before → after.
5. Choose the fine-tuned model's own "not sure" threshold by the rule every trained
   model gets (`fit.record_threshold`), on the MNIST test digits: the replay draws from
   all of MNIST's training split, so no training digit is left unseen, and a model
   trained without a validation split falls back to the test digits the same way.

`finetune()` follows `fit.train()`'s contract (same `on_progress` events, `control`,
never raises for training faults) and returns a `FinetuneResult`, a `TrainResult`, so
`RunStore.save(result.run_record(RunKind.FINETUNE), result.model, result.label)` records it as a run like any other; its
`metrics()` add a "finetune" block (parent, hold-out, before/after).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from digitstudio.data.extra import NOT_A_DIGIT, check_arrays
from digitstudio.data.mnist import DataError, MnistData, to_model_input
from digitstudio.data.negatives import digit_accuracy, soft_targets
from digitstudio.drawing.predict import not_sure_rows
from digitstudio.explain.accuracy import accuracy_by_digit
from digitstudio.modeling.spec import ModelSpec, validate
from digitstudio.storage.runs import RunStatus
from digitstudio.training.callback import make_callback
from digitstudio.training.control import TrainingControl
from digitstudio.training.events import Ended, Phase, ProgressFn
from digitstudio.training.fit import TrainResult
from digitstudio.training.threshold import record_threshold

MIN_DIGITS = 10  # fewer labelled drawings (digits and not-a-digits) than this: nothing worth fine-tuning on


class FinetuneError(ValueError):
    """The digits cannot be fine-tuned on (too few, bad shapes); the message says why."""


@dataclass(frozen=True)
class FinetuneSettings:
    """steps × batch_size images in all; half of every batch is the person's digits.
    Defaults measured in bench/finetune_benefit.py (shipped CNN, 100 labelled digits):
    the misread styles went from 7% to 100% on fresh drawings, MNIST test 99.54% → 99.38%.
    (3e-4 for 160 steps forgot more: 99.31%; training only the dense head: 99.05%.)"""

    steps: int = 100
    epochs: int = 4  # progress/curve granularity: the steps are split into this many "epochs"
    batch_size: int = 64  # half the person's digits, half MNIST
    learning_rate: float = 2e-4  # Adam; 1/10 of the shipped CNN's from-scratch rate (0.002)
    holdout_fraction: float = 0.2
    augment: bool = True  # rotate ±10°, zoom ±10%, shift ±2 px, on the person's digits only
    seed: int = 0

    @property
    def steps_per_epoch(self) -> int:
        return max(1, math.ceil(self.steps / self.epochs))


@dataclass
class FinetuneResult(TrainResult):
    parent_id: str = ""
    holdout: dict[str, Any] = field(default_factory=dict)  # {"indices": [...], "counts": {digit: n}}
    user_before: dict[str, Any] | None = None  # accuracy_by_digit on the hold-out, parent model
    user_after: dict[str, Any] | None = None  # … fine-tuned model
    mnist_before: float | None = None  # MNIST test accuracy of the parent
    user_digits: int = 0  # digits the fine-tune trained on (hold-out excluded)
    user_not_digits: int = 0  # not-a-digit drawings it trained on (hold-out excluded)
    # held-out not-a-digit drawings: {"n": count, "before": share "not sure" by the parent's
    # threshold (None without one), "after": share "not sure" by the fine-tuned model's}
    not_digits: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The run label: 'fine-tune of <parent>'."""
        return f"fine-tune of {self.parent_id}" if self.parent_id else "fine-tune"

    def comparison(self) -> dict[str, Any]:
        """Side by side, JSON-ready: hold-out per digit before/after, overall, MNIST."""
        digits = {}
        for digit in range(10):
            before = (self.user_before or {}).get("digits", {}).get(digit, {})
            after = (self.user_after or {}).get("digits", {}).get(digit, {})
            digits[digit] = {"n": before.get("n", 0), "before": before.get("accuracy"),
                             "after": after.get("accuracy")}
        return {
            "parent": self.parent_id, "user_digits_trained": self.user_digits,
            "user_not_digits_trained": self.user_not_digits, "not_digits": self.not_digits,
            "holdout": self.holdout,
            "user_before": (self.user_before or {}).get("overall"),
            "user_after": (self.user_after or {}).get("overall"),
            "user_by_digit": digits,
            "mnist_before": self.mnist_before, "mnist_after": self.test_accuracy,
        }

    def metrics(self) -> dict[str, Any]:
        return {**super().metrics(), "finetune": self.comparison()}


# --- the data -------------------------------------------------------------------------

def holdout_split(y: Any, fraction: float = 0.2, seed: int = 0, writers: Any = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split of labels y → (train indices, hold-out indices), both sorted.
    Each digit with c ≥ 2 examples holds out max(1, round(fraction·c)) of them but
    keeps at least one for training; a digit with one example trains only.

    With `writers` (one name per drawing: a class's nicknames or sessions) the strata are
    writer and digit: each writer's drawings of a digit are split that way when there are
    at least 1/fraction of them (5 at 20%), and the rest of a digit's drawings (writers
    with only a few of it) are pooled and split the same way, so a class where everyone
    drew each digit once or twice still holds about `fraction` out, not half; a digit
    keeps at least one training drawing."""
    y = np.asarray(y).reshape(-1)
    if not 0.0 <= fraction < 1.0:
        raise FinetuneError(f"The hold-out fraction must be in [0, 1), not {fraction}.")
    if writers is not None and len(list(writers)) != len(y):
        raise FinetuneError(f"{len(list(writers))} writers for {len(y)} drawings.")
    rng = np.random.default_rng(seed)
    strata = [np.flatnonzero(y == digit) for digit in np.unique(y)]
    if writers is not None and fraction > 0:
        # a writer's drawings of a digit too few to give up round(fraction·c) ≥ 1 of them
        # (fewer than 1/fraction: 2 would give up half) join their digit's pool
        smallest = max(2, math.ceil(1 / fraction - 1e-9))
        names = np.asarray([str(w) for w in writers], dtype=object)
        strata = []
        for digit in np.unique(y):
            pooled: list[int] = []
            for writer in sorted(set(names[y == digit])):
                members = np.flatnonzero((y == digit) & (names == writer))
                (strata.append(members) if len(members) >= smallest else pooled.extend(members.tolist()))
            strata.append(np.array(pooled, np.int64))
    held: list[int] = []
    for members in strata:
        if len(members) < 2 or fraction == 0:
            continue
        k = min(max(1, round(fraction * len(members))), len(members) - 1)
        held.extend(rng.choice(members, k, replace=False).tolist())
    holdout = np.array(sorted(held), np.int64)
    train = np.setdiff1d(np.arange(len(y)), holdout)
    return train, holdout


def trained_drawings(record: dict[str, Any], lookup=None) -> set[int] | None:
    """The ids of the drawings a model was fine-tuned on, along its line of fine-tunes
    (a fine-tune of a fine-tune trained on both's): from each record's
    `finetune.holdout.trained_drawing_ids`; `lookup(run_id) -> record` finds a parent (a
    missing parent adds nothing). set() for a model never fine-tuned here (the shipped
    model, a training, an upload); None when a fine-tune in the line did not record its
    trained drawings (runs from before this was recorded)."""
    found: set[int] = set()
    seen: set[str] = set()
    while record and record.get("finetune"):
        held = record["finetune"].get("holdout") or {}
        if "trained_drawing_ids" not in held:
            return None
        found.update(int(i) for i in held["trained_drawing_ids"])
        parent = str(record["finetune"].get("parent") or "")
        if lookup is None or not parent or parent in seen:
            break
        seen.add(parent)
        try:
            record = lookup(parent) or {}
        except (LookupError, ValueError, OSError):
            break
    return found


def replay_plan(n_user: int, n_mnist: int, steps: int, batch_size: int, seed: int = 0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Which images fill each batch: (user indices (steps, half), MNIST indices (steps,
    half)), half = batch_size // 2. The person's digits are cycled in fresh random
    orders, so each is used equally often (±1); MNIST images are drawn without
    repeats (as long as steps·half ≤ n_mnist)."""
    if n_user < 1 or n_mnist < 1 or steps < 1 or batch_size < 2:
        raise FinetuneError("A replay plan needs user digits, MNIST images, steps ≥ 1 and batch size ≥ 2.")
    half = batch_size // 2
    rng = np.random.default_rng(seed)
    needed = steps * half
    user = np.concatenate([rng.permutation(n_user) for _ in range(math.ceil(needed / n_user))])[:needed]
    mnist = rng.choice(n_mnist, needed, replace=needed > n_mnist)
    return user.reshape(steps, half), mnist.reshape(steps, half)


def replay_dataset(user_x: np.ndarray, user_y: np.ndarray, mnist_x: np.ndarray, mnist_y: np.ndarray,
                   settings: FinetuneSettings):
    """tf.data batches following replay_plan: the person's half (augmented when
    settings.augment) concatenated with the MNIST half, as float32 (b, 28, 28, 1) images
    and float32 (b, 10) targets (`soft_targets`: one-hot, uniform for NOT_A_DIGIT)."""
    import keras
    import tensorflow as tf

    user_idx, mnist_idx = replay_plan(len(user_x), len(mnist_x), settings.steps, settings.batch_size, settings.seed)
    half = user_idx.shape[1]
    user = (to_model_input(user_x[user_idx.reshape(-1)]), soft_targets(user_y[user_idx.reshape(-1)]))
    mnist = (to_model_input(mnist_x[mnist_idx.reshape(-1)]), soft_targets(mnist_y[mnist_idx.reshape(-1)]))
    seed = settings.seed
    geometry = keras.Sequential([
        keras.layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed),
        keras.layers.RandomZoom((-0.1, 0.1), fill_mode="constant", seed=seed + 1),
        keras.layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant", seed=seed + 2),
    ])

    def mix(user_batch, mnist_batch):
        (ux, uy), (mx, my) = user_batch, mnist_batch
        if settings.augment:
            ux = geometry(ux, training=True)
        return tf.concat([ux, mx], 0), tf.concat([uy, my], 0)

    user_ds = tf.data.Dataset.from_tensor_slices(user).batch(half)
    mnist_ds = tf.data.Dataset.from_tensor_slices(mnist).batch(half)
    return tf.data.Dataset.zip((user_ds, mnist_ds)).map(mix).prefetch(2)


# --- the fine-tune ----------------------------------------------------------------------

def predict_digits(model, x: np.ndarray) -> np.ndarray:
    """int64 (n,) digits the model reads in uint8 (n, 28, 28) images."""
    if len(x) == 0:
        return np.zeros((0,), np.int64)
    return np.argmax(model.predict(to_model_input(x), batch_size=1024, verbose=0), axis=1).astype(np.int64)


def check_digits(user_x: Any, user_y: Any, not_digits: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Validated (x uint8 (n + m, 28, 28), y uint8 (n + m,)): the digits (labels 0–9),
    then the m `not_digits` (uint8 (m, 28, 28)) labelled NOT_A_DIGIT. FinetuneError when
    unusable or fewer than MIN_DIGITS in all. The app can call it to say why "Teach the
    model" is off."""
    try:
        x, y = check_arrays(user_x, user_y, "your digits")
        if not_digits is not None and len(not_digits):
            others, _ = check_arrays(not_digits, np.zeros(len(not_digits), np.uint8), "your not-a-digit drawings")
            x, y = np.concatenate([x, others]), np.concatenate([y, np.full(len(others), NOT_A_DIGIT, np.uint8)])
    except DataError as exc:
        raise FinetuneError(str(exc)) from None
    if len(x) < MIN_DIGITS:
        raise FinetuneError(f"Label at least {MIN_DIGITS} drawings to teach the model ({len(x)} so far).")
    return x, y


def finetune(model, user_x: Any, user_y: Any, data: MnistData, *, not_digits: Any = None,
             parent_threshold: float | None = None, parent_id: str = "",
             parent_spec: ModelSpec | dict | None = None, mnist_before: float | None = None,
             drawing_ids: Any = None, writers: Any = None, settings: FinetuneSettings = FinetuneSettings(),
             on_progress: ProgressFn | None = None, control: TrainingControl | None = None) -> FinetuneResult:
    """Fine-tune a copy of `model` (a Keras model reading (28, 28, 1) in [0, 1]) on the
    person's digits (x uint8 (n, 28, 28), y labels 0–9) and drawings labelled not a digit
    (`not_digits` uint8 (m, 28, 28), trained toward the uniform distribution; n + m ≥
    MIN_DIGITS) mixed with `data`'s MNIST training split; evaluate on the hold-out and
    MNIST test before and after. `parent_threshold`, the parent's "not sure" threshold
    (top probability), scores the held-out not-a-digit drawings before.

    FinetuneError for unusable digits (checked before any work). Training faults do not
    raise: the result's status says completed / stopped / diverged / failed, as train()'s.
    `parent_spec` (the parent run's spec) becomes the result's spec with this fine-tune's
    optimizer settings; without it the spec is an empty placeholder (an uploaded parent).
    `mnist_before`: the parent's MNIST test accuracy when already known on this same test
    split (its run record's test_accuracy): saves one pass over the 10,000 test images.
    `drawing_ids` (one per drawing, the digits' then the not-a-digits', e.g. from
    DrawingStore.arrays()) lets the report name the held-out drawings and the trained ones:
    holdout["drawing_ids"], holdout["trained_drawing_ids"]. `writers` (one per drawing, in
    the same order: who drew it) makes the hold-out one per writer and digit (a class's).
    """
    from digitstudio.training.fit import set_determinism

    x, y = check_digits(user_x, user_y, not_digits)
    if drawing_ids is not None and len(list(drawing_ids)) != len(y):
        raise FinetuneError(f"{len(list(drawing_ids))} drawing ids for {len(y)} digits.")
    train_idx, holdout_idx = holdout_split(y, settings.holdout_fraction, settings.seed, writers)
    spec = finetune_spec(parent_spec, settings)
    set_determinism(settings.seed)
    tuned = _trainable_copy(model, settings.learning_rate)

    x_hold, y_hold = x[holdout_idx], y[holdout_idx]
    held_digits, held_others = y_hold != NOT_A_DIGIT, y_hold == NOT_A_DIGIT
    user_before = _read_digits(model, x_hold[held_digits], y_hold[held_digits])
    not_digits_before = _not_sure_share(model, x_hold[held_others], parent_threshold)
    if mnist_before is None:
        mnist_before = float(np.mean(predict_digits(model, data.x_test) == data.y_test))

    batches = settings.steps_per_epoch
    curve: list[dict[str, float]] = []
    callback = make_callback(on_progress, control, settings.epochs, batches, curve)
    # the validation curves: the held-out digits (a hold-out of non-digits alone would read
    # "accuracy 0%": there is no digit to get right); those get their "not sure" share below
    validation = ((to_model_input(x_hold[held_digits]), soft_targets(y_hold[held_digits]))
                  if held_digits.any() else None)
    started = time.perf_counter()
    status, message, history = RunStatus.COMPLETED, "", {}
    try:
        dataset = replay_dataset(x[train_idx], y[train_idx], data.x_train, data.y_train, settings)
        history = tuned.fit(dataset.repeat(), epochs=settings.epochs, steps_per_epoch=batches,
                            validation_data=validation, callbacks=[callback], verbose=0).history
    except Exception as exc:  # a fault inside training is reported, not raised
        status, message = RunStatus.FAILED, f"Fine-tuning failed: {type(exc).__name__}: {str(exc).strip()[:300]}"
    train_seconds = time.perf_counter() - started
    if status is not RunStatus.FAILED and callback.diverged:
        status, message = RunStatus.DIVERGED, f"Fine-tuning stopped: {callback.reason}."
    elif status is not RunStatus.FAILED and callback.reason:
        status, message = RunStatus.STOPPED, "Fine-tuning was stopped before the last step."
    history = {k: [float(v) for v in values] for k, values in history.items()}
    history["seconds"] = [round(s, 3) for s in callback.epoch_seconds]

    user_after = test_accuracy = test_loss = not_sure = not_digits_after = None
    say = on_progress or (lambda event: None)
    if status.keeps_model:
        say(Phase(f"Scoring the fine-tuned model on your held-out drawings and {len(data.y_test):,} test digits"))
        user_after = _read_digits(tuned, x_hold[held_digits], y_hold[held_digits])
        # one pass over the test set gives the accuracy, the loss and the threshold's digits
        test_probs = tuned.predict(to_model_input(data.x_test), batch_size=1024, verbose=0)
        test_accuracy = float(np.mean(test_probs.argmax(axis=1) == data.y_test))
        test_loss = float(tuned.loss(soft_targets(data.y_test), test_probs))
        not_sure = record_threshold(tuned, spec, data.x_test, test_probs)
        not_digits_after = _not_sure_share(tuned, x_hold[held_others], not_sure.get("threshold"))
    say(Ended(status.value, message))
    counts = {int(d): int(np.sum(y_hold == d)) for d in range(10) if np.any(y_hold == d)}
    trained_others = int(np.sum(y[train_idx] == NOT_A_DIGIT))
    holdout = {"indices": holdout_idx.tolist(), "counts": counts,
               "by": "writer and digit" if writers is not None else "digit"}
    if writers is not None:
        holdout["writers"] = len(set(str(w) for w in writers))
    if drawing_ids is not None:
        ids = np.asarray(list(drawing_ids))
        holdout["drawing_ids"] = [int(i) for i in ids[holdout_idx]]
        holdout["trained_drawing_ids"] = [int(i) for i in ids[train_idx]]
    return FinetuneResult(
        model=tuned if status.keeps_model else None, spec=spec, status=status,
        history=history, test_loss=test_loss, test_accuracy=test_accuracy,
        params=int(model.count_params()), train_seconds=train_seconds,
        data_source=f"{data.source} + {len(train_idx) - trained_others} user digits"
                    + (f" + {trained_others} not-a-digit drawings" if trained_others else "") + " (replay 1:1)",
        message=message, curve=curve, not_sure=not_sure, parent_id=str(parent_id or ""), holdout=holdout,
        user_before=user_before, user_after=user_after, mnist_before=mnist_before,
        user_digits=int(len(train_idx)) - trained_others, user_not_digits=trained_others,
        not_digits={"n": int(held_others.sum()), "before": not_digits_before, "after": not_digits_after},
    )


def finetune_spec(parent_spec: ModelSpec | dict | None, settings: FinetuneSettings = FinetuneSettings()) -> ModelSpec:
    """The spec a fine-tune run records: the parent's layers with this fine-tune's Adam
    settings (an empty placeholder when the parent has no spec, e.g. an upload)."""
    if isinstance(parent_spec, dict):
        parent_spec = ModelSpec.from_dict(parent_spec)
    base = parent_spec if parent_spec is not None else ModelSpec(layers=[])
    return validate(replace(base, optimizer="adam", learning_rate=settings.learning_rate, lr_schedule="constant",
                            epochs=settings.epochs, batch_size=settings.batch_size, validation_split=0.0,
                            validate_on_test=False, train_size=None, augment=settings.augment,
                            seed=settings.seed))


@dataclass(frozen=True, eq=False)
class FinetuneTask:
    """A fine-tune as plain picklable data, so it runs where trainings run (a worker
    process, a Ray actor on another machine: training/worker.py, cluster.py): the parent's
    .keras file's bytes (a few MB; loaded there with safe_mode), the drawings (copied) and
    the settings. Called as the queue calls a task: `task(data, on_progress, control) ->
    FinetuneResult`."""

    model_name: str  # the parent's file name, for messages
    model_file: bytes  # the parent's .keras file
    x: np.ndarray  # (n, 28, 28) uint8: the digits
    y: np.ndarray  # (n,) their labels
    others: np.ndarray  # (m, 28, 28) uint8: the not-a-digit drawings
    parent_threshold: float | None = None
    parent_id: str = ""
    parent_spec: ModelSpec | dict | None = None
    mnist_before: float | None = None
    drawing_ids: list[int] | None = None
    writers: list[str] | None = None
    settings: FinetuneSettings = FinetuneSettings()

    def __call__(self, data: MnistData, on_progress: ProgressFn | None = None,
                 control: TrainingControl | None = None) -> FinetuneResult:
        import tempfile

        from digitstudio.storage.model_files import load_model

        with tempfile.TemporaryDirectory(prefix="digit-studio-parent-") as folder:
            path = os.path.join(folder, "parent.keras")
            with open(path, "wb") as out:
                out.write(self.model_file)
            model = load_model(path)
        return finetune(model, self.x, self.y, data, not_digits=self.others,
                        parent_threshold=self.parent_threshold, parent_id=self.parent_id,
                        parent_spec=self.parent_spec, mnist_before=self.mnist_before,
                        drawing_ids=self.drawing_ids, writers=self.writers, settings=self.settings,
                        on_progress=on_progress, control=control)


def finetune_task(model, user_x: Any, user_y: Any, *, not_digits: Any = None,
                  parent_threshold: float | None = None, parent_id: str = "",
                  parent_spec: ModelSpec | dict | None = None, mnist_before: float | None = None,
                  drawing_ids: Any = None, writers: Any = None, settings: FinetuneSettings = FinetuneSettings()):
    """Check the drawings now (FinetuneError) and return `task(data, on_progress, control)
    -> FinetuneResult`, the call a training queue makes once MNIST is loaded. `model` is the
    parent: its .keras file (str or path: read now into a picklable FinetuneTask, which runs
    in a worker process or on Ray; FinetuneError when it cannot be read) or a Keras model (a
    closure: runs in the queue's own process). The
    drawings are copied, so later labels or deletes do not change a queued fine-tune.
    `drawing_ids` and `writers` follow the drawings' order: the digits', then the not-a-digits'."""
    x, y = check_digits(user_x, user_y, not_digits)
    digits = y != NOT_A_DIGIT
    x, y, others = x[digits].copy(), y[digits].copy(), x[~digits].copy()
    drawing_ids = None if drawing_ids is None else [int(i) for i in drawing_ids]
    writers = None if writers is None else [str(w) for w in writers]
    if writers is not None and len(writers) != len(digits):
        raise FinetuneError(f"{len(writers)} writers for {len(digits)} drawings.")
    if isinstance(model, (str, os.PathLike)):
        try:
            with open(model, "rb") as file:
                model_file = file.read()
        except OSError as exc:
            raise FinetuneError(f"The model to fine-tune could not be read ({os.path.basename(model)}: "
                                f"{exc.strerror or exc}); pick another in Runs.") from None
        return FinetuneTask(os.path.basename(model), model_file, x, y, others, parent_threshold=parent_threshold,
                            parent_id=parent_id, parent_spec=parent_spec, mnist_before=mnist_before,
                            drawing_ids=drawing_ids, writers=writers, settings=settings)

    def task(data: MnistData, on_progress: ProgressFn | None = None,
             control: TrainingControl | None = None) -> FinetuneResult:
        return finetune(model, x, y, data, not_digits=others, parent_threshold=parent_threshold,
                        parent_id=parent_id, parent_spec=parent_spec, mnist_before=mnist_before,
                        drawing_ids=drawing_ids, writers=writers, settings=settings, on_progress=on_progress,
                        control=control)

    return task


def _read_digits(model, x: np.ndarray, y: np.ndarray) -> dict[str, Any] | None:
    """accuracy_by_digit of the model on digits x (uint8 (n, 28, 28)), y; None when n = 0."""
    return accuracy_by_digit(y, predict_digits(model, x)) if len(y) else None


def _not_sure_share(model, x: np.ndarray, threshold: float | None) -> float | None:
    """The share of images x (uint8 (n, 28, 28)) whose top probability is under
    `threshold`, the model's "not sure"; None without images or threshold."""
    if not len(x) or threshold is None:
        return None
    return float(np.mean(not_sure_rows(model.predict(to_model_input(x), batch_size=1024, verbose=0), threshold)))


def _trainable_copy(model, learning_rate: float):
    """A fresh copy of the model (same weights), BatchNormalization frozen, compiled with
    Adam. The loss (categorical cross-entropy on `soft_targets`) reads probabilities, or
    logits when the model has no softmax at the end; "accuracy" counts digits only."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for layer in copy.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # Keras 3: a frozen BatchNormalization runs in inference mode
    last = copy.layers[-1]
    from_logits = getattr(last, "activation", None) is not keras.activations.softmax
    copy.compile(optimizer=keras.optimizers.Adam(learning_rate),
                 loss=keras.losses.CategoricalCrossentropy(from_logits=from_logits), metrics=[digit_accuracy()])
    return copy

