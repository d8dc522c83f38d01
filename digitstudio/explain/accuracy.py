"""How well a model reads a set of labelled digits: per digit, overall, and what it confuses.

Plain NumPy on labels and predictions, so the "Your handwriting" page, the class view
and the fine-tune report all count the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def confusion_matrix(y_true: Any, y_pred: Any) -> np.ndarray:
    """int64 (10, 10): row = the true digit, column = what the model said."""
    y_true, y_pred = _labels(y_true), _labels(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions.")
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def accuracy_by_digit(y_true: Any, y_pred: Any) -> dict[str, Any]:
    """{"overall": fraction right or None when empty, "n": count,
    "digits": {d: {"n": count, "right": count, "accuracy": fraction or None}} for d in 0–9}."""
    matrix = confusion_matrix(y_true, y_pred)
    digits = {}
    for digit in range(10):
        n, right = int(matrix[digit].sum()), int(matrix[digit, digit])
        digits[digit] = {"n": n, "right": right, "accuracy": right / n if n else None}
    total = int(matrix.sum())
    return {"overall": float(np.trace(matrix)) / total if total else None, "n": total, "digits": digits}


def most_confused(y_true: Any, y_pred: Any, top: int = 5) -> list[tuple[int, int, int]]:
    """The most frequent misreads as (true digit, read as, count), most first."""
    matrix = confusion_matrix(y_true, y_pred)
    np.fill_diagonal(matrix, 0)
    pairs = [(int(t), int(p), int(matrix[t, p])) for t, p in zip(*np.nonzero(matrix))]
    return sorted(pairs, key=lambda pair: (-pair[2], pair[0], pair[1]))[:top]


def _labels(values: Any) -> np.ndarray:
    array = np.asarray(values).reshape(-1)
    if array.size and (not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 9):
        raise ValueError("Labels and predictions must be integers 0–9.")
    return array.astype(np.int64)
