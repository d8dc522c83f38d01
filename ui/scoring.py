"""How well a model reads people's labelled drawings, honestly: only drawings it never
trained on count (a fine-tune's record names the drawings it trained on, along its line
of fine-tunes), and "not sure" ("?") is counted as such, never as the digit it leaned to.
Shared by the Class page and Your handwriting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import streamlit as st

from digitstudio.data.extra import NOT_A_DIGIT
from digitstudio.drawing.predict import not_sure_rows
from digitstudio.pixels import to_unit
from digitstudio.storage.drawings import Drawing
from digitstudio.training.finetune import trained_drawings
from ui.resources import ModelRef, model_record, run_store

NOT_SURE = None  # what a drawing reads as when the model is not sure it is a digit


@dataclass
class PerDigit:
    """What per_class_chart reads of an Evaluation: counts (rows: true digit; the diagonal
    right answers) and the share right per digit (NaN where there are none)."""

    confusion: np.ndarray
    per_class_accuracy: np.ndarray


@dataclass
class Scores:
    """A model on labelled digits: `reads` (drawing id → digit, or None for "not sure")."""

    n: int = 0  # digits scored
    right: int = 0
    not_sure: int = 0  # digits it answered "?" to
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((10, 10), np.int64))  # sure answers only
    not_sure_by_digit: np.ndarray = field(default_factory=lambda: np.zeros(10, np.int64))
    left_out: int = 0  # digits it trained on, not scored
    known: bool = True  # False: the model's record does not say which drawings it trained on

    @property
    def accuracy(self) -> float:
        return self.right / self.n if self.n else float("nan")

    @property
    def misread(self) -> int:
        return self.n - self.right - self.not_sure

    def per_digit(self) -> PerDigit:
        """For ui.charts.per_class_chart: a "not sure" counts against its digit."""
        counts = self.confusion.sum(axis=1) + self.not_sure_by_digit
        with np.errstate(invalid="ignore", divide="ignore"):
            accuracy = np.where(counts > 0, np.diag(self.confusion) / np.maximum(counts, 1), np.nan)
        return PerDigit(np.concatenate([self.confusion, self.not_sure_by_digit[:, None]], axis=1), accuracy)

    def most_misread(self, top: int = 5) -> list[tuple[int, int, int]]:
        """(true digit, read as, count) of the sure misreads, most first."""
        matrix = self.confusion.copy()
        np.fill_diagonal(matrix, 0)
        pairs = [(int(t), int(p), int(matrix[t, p])) for t, p in zip(*np.nonzero(matrix))]
        return sorted(pairs, key=lambda pair: (-pair[2], pair[0], pair[1]))[:top]


@st.cache_resource(max_entries=4)
def _read_cache(model_key: str) -> dict:
    """(drawing id, created) → what the model read, per model file: the live Class page
    asks every few seconds, and only new drawings need the model."""
    return {}


def reads_of(predictor, ref: ModelRef, drawings: list[Drawing]) -> dict[int, int | None]:
    """drawing id → the digit the model reads, or None where it says "not sure" (the same
    rule as the Prediction). Drawings need their images (`with_images=True`)."""
    cache = _read_cache(f"{ref.path}#{ref.input_scale}#{id(predictor)}")  # a changed file is a new Predictor
    todo = [d for d in drawings if (d.id, d.created) not in cache and d.image is not None]
    if todo:
        probs = predictor.probabilities(to_unit(np.stack([d.image for d in todo]))).reshape(-1, 10)
        unsure = not_sure_rows(probs, predictor.threshold)
        for drawing, row, doubt in zip(todo, probs, unsure):
            cache[(drawing.id, drawing.created)] = None if doubt else int(row.argmax())
        if len(cache) > 50_000:
            cache.clear()
    return {d.id: cache.get((d.id, d.created)) for d in drawings if (d.id, d.created) in cache}


def _utc(when: datetime) -> datetime:
    """Naive UTC (SQLite gives naive UTC times, run records aware ones)."""
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _created(record: dict) -> datetime | None:
    try:
        return _utc(datetime.fromisoformat(str(record.get("created", ""))))
    except ValueError:
        return None


def never_trained(drawings: list[Drawing], ref: ModelRef) -> tuple[list[Drawing], int, bool]:
    """The drawings the model never trained on, how many it did, and whether its record
    says which (a fine-tune recorded before the trained drawings were: the drawings
    labelled before it ran, less its held-out ones, are taken as trained)."""
    if not ref.run_id:
        return drawings, 0, True
    record = model_record(ref)
    trained = trained_drawings(record, run_store().get)
    known = trained is not None
    if trained is None:
        held = set((record.get("finetune") or {}).get("holdout", {}).get("drawing_ids") or [])
        when = _created(record)
        trained = {d.id for d in drawings if when is not None and _utc(d.created) <= when and d.id not in held}
    kept = [d for d in drawings if d.id not in trained]
    return kept, len(drawings) - len(kept), known


def score(drawings: list[Drawing], reads: dict[int, int | None]) -> Scores:
    """Scores of the digits among `drawings` (not-a-digit drawings are not digits to read)."""
    result = Scores()
    for drawing in drawings:
        if drawing.label == NOT_A_DIGIT or drawing.id not in reads:
            continue
        read = reads[drawing.id]
        result.n += 1
        if read is NOT_SURE:
            result.not_sure += 1
            result.not_sure_by_digit[drawing.label] += 1
            continue
        result.confusion[drawing.label, read] += 1
        result.right += int(read == drawing.label)
    return result


def verdict(label: int, read: int | None) -> str:
    """"right", "misread", "not sure" for a digit; for a not-a-digit drawing "right" when
    the model was not sure, else "misread"."""
    if label == NOT_A_DIGIT:
        return "right" if read is NOT_SURE else "misread"
    if read is NOT_SURE:
        return "not sure"
    return "right" if read == label else "misread"
