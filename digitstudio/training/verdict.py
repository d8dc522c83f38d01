"""Whether a finished run should become the model that reads someone's drawings, and why.

One rule for every training (the sidebar's, a class challenge's, Teach the model):

- A run with no model (diverged, failed) never replaces anything.
- A run that did not learn — it reads no more test digits than a fixed guess would
  (NOT_LEARNED: 20%, twice chance) — never replaces anything, whether its loss went to
  NaN or stayed finite (SGD at learning rate 10 on the seed MLP: loss 1,023 → 32.9, never
  NaN, 9.85% on test).
- Otherwise it replaces the current model only when it is at least as good on the same
  test digits (MNIST's 10,000; for a fine-tune, the person's held-out drawings, with MNIST
  allowed to fall by at most FINETUNE_MNIST_DROP). Anything else is the person's call: the
  panel offers it, with the two numbers side by side.

And a note in plain words when a run ends far below what its network reaches with its
preset's recipe (FAR_BELOW: 5 points), with what to try.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from digitstudio.modeling.presets import PRESETS
from digitstudio.modeling.spec import MNIST_TRAIN_SIZE, ModelSpec, format_layers
from digitstudio.storage.runs import RunKind, RunStatus

NOT_LEARNED = 0.20  # test accuracy at or below this: the training did not learn (chance is 0.10)
FAR_BELOW = 0.05  # this far under the preset's reach: say why and what to try
FINETUNE_MNIST_DROP = 0.01  # a fine-tune may cost this much MNIST accuracy (measured: −0.25 points)


@dataclass(frozen=True)
class Verdict:
    replaces: bool  # becomes the drawing model by itself
    reason: str  # one or two sentences: which model reads drawings now, and why
    note: str = ""  # far below its network's reach: why, and what to try ("" when not)


def _percent(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2%}"


def judge(record: dict[str, Any], current: dict[str, Any] | None, current_name: str) -> Verdict:
    """The verdict on a finished run's record (its run.json: status, test_accuracy, spec,
    kind, and for a fine-tune its "finetune" report) against the record of the model
    that reads the drawings now (`current`, None when unknown) named `current_name`."""
    status = RunStatus(record.get("status", RunStatus.FAILED))
    accuracy = record.get("test_accuracy")
    note = reach_note(record)
    if not status.keeps_model or accuracy is None:
        return Verdict(False, f"No model was kept; {current_name} still reads your drawings.", note)
    if accuracy <= NOT_LEARNED:
        return Verdict(False, f"This run reads {accuracy:.1%} of the test digits, about what a fixed guess "
                              "would (10%): it did not learn. Try a smaller learning rate. "
                              f"{current_name} still reads your drawings.", note)
    before = (current or {}).get("test_accuracy")
    kind = RunKind(record.get("kind") or RunKind.TRAIN)
    if kind in (RunKind.FINETUNE, RunKind.CLASS_FINETUNE):
        return _judge_finetune(record, accuracy, before, current_name, note)
    if before is None:
        return Verdict(False, f"This run reads {accuracy:.2%} of the test digits; {current_name}'s score is not "
                              "known, so it keeps reading your drawings until you switch.", note)
    if accuracy >= before:
        return Verdict(True, f"This run reads {accuracy:.2%} of the test digits, at least as many as "
                             f"{current_name} ({before:.2%}): it now reads your drawings.", note)
    return Verdict(False, f"This run reads {accuracy:.2%} of the test digits, fewer than {current_name} "
                          f"({before:.2%}) on the same 10,000: {current_name} still reads your drawings.", note)


def _judge_finetune(record: dict, accuracy: float, before: float | None, current_name: str, note: str) -> Verdict:
    report = record.get("finetune") or {}
    drawn_before, drawn_after = report.get("user_before"), report.get("user_after")
    before = report.get("mnist_before", before)  # the parent's score, as the fine-tune measured it
    mnist_ok = before is None or accuracy >= before - FINETUNE_MNIST_DROP
    if drawn_before is None or drawn_after is None:
        return Verdict(mnist_ok, f"The fine-tune reads {accuracy:.2%} of MNIST's test digits (before: "
                                 f"{_percent(before)}); no drawings were held out to compare on.", note)
    words = (f"On the held-out drawings it reads {drawn_after:.0%} (before: {drawn_before:.0%}); on MNIST's test "
             f"digits {accuracy:.2%} (before: {_percent(before)}).")
    if drawn_after >= drawn_before and mnist_ok:
        return Verdict(True, f"{words} It now reads the drawings.", note)
    return Verdict(False, f"{words} That is not better, so {current_name} still reads the drawings.", note)


def reach_note(record: dict[str, Any]) -> str:
    """A plain-words note when a run of a preset's network ends far below what that preset
    reaches ("" otherwise): what was too little and what to try."""
    accuracy = record.get("test_accuracy")
    try:
        spec = ModelSpec.from_dict(record.get("spec") or {})
    except Exception:  # an upload or an old record: no spec to compare
        return ""
    preset = next((p for p in PRESETS.values() if format_layers(p.spec.layers) == format_layers(spec.layers)), None)
    if preset is None or preset.reach is None or accuracy is None or accuracy >= preset.reach - FAR_BELOW:
        return ""
    images = spec.train_size or MNIST_TRAIN_SIZE
    used = f"{spec.epochs} epoch{'s' if spec.epochs != 1 else ''} on {images:,} images"
    target = preset.spec
    tries = []
    if spec.epochs < target.epochs:
        tries.append(f"{min(target.epochs, max(3, spec.epochs * 3))} epochs")
    if images < (target.train_size or MNIST_TRAIN_SIZE):
        tries.append(f"{min(MNIST_TRAIN_SIZE, images * 4):,} images")
    if spec.optimizer != target.optimizer or spec.learning_rate != target.learning_rate:
        tries.append(f"the preset's {target.optimizer} at learning rate {target.learning_rate:g}")
    advice = f" Try {' or '.join(tries)}." if tries else ""
    return (f"{used.capitalize()} is too little for this network: it reached {accuracy:.1%}, where {preset.name} "
            f"reaches about {preset.reach:.1%} with {target.epochs} epochs on "
            f"{target.train_size or MNIST_TRAIN_SIZE:,} images.{advice}")
