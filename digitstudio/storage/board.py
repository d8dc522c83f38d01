"""A class challenge and its board, in the database the labels already use.

The teacher opens a `Challenge`: a question ("best test accuracy with at most 50,000
parameters") and the budgets every student training must stay within (training images,
epochs, parameters, seconds). `budget_problem(challenge, spec)` refuses a setup over
budget in one line before anything trains; the seconds budget stops a training when it
runs out (training/control.py).

Every training of the class is a `BoardRun` row (written when it is queued and when it
ends): who, what setup in words, its status, its MNIST test accuracy (digits nobody tuned
on: the validation split comes out of the training images), parameters, seconds and its
per-epoch curve. Rows live in two tables beside the drawings (SQLite by default,
PostgreSQL with DIGIT_STUDIO_DATABASE_URL), so two app servers on one PostgreSQL show
the same board. Every call goes through the drawings store's transaction, with its
deadlines and its one-line StoreUnavailable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from digitstudio.modeling.spec import MNIST_TRAIN_SIZE, ModelSpec, count_params
from digitstudio.storage.drawings import DrawingStore, StoreUnavailable

# A 2-core server trains about one small MLP epoch on 5,000 images per second or two
# (docs/benchmarks.md): budgets a class's queue can clear in a lesson.
DEFAULT_BUDGET = {"max_images": 5000, "max_epochs": 3, "max_params": 50_000, "max_seconds": 60}
QUESTION = "Best test accuracy with at most 50,000 parameters"
MAX_QUESTION_CHARS = 200


@dataclass(frozen=True)
class Challenge:
    id: int
    question: str
    max_images: int  # training images per run
    max_epochs: int
    max_params: int
    max_seconds: int  # a run is stopped (and keeps its model) when it has trained this long
    created: str = ""  # ISO 8601, UTC
    open: bool = True

    def budget_words(self) -> str:
        return (f"at most {self.max_images:,} images, {self.max_epochs} epoch{'s' if self.max_epochs != 1 else ''}, "
                f"{self.max_params:,} parameters and {self.max_seconds} s of training")


def budget_problem(challenge: Challenge, spec: ModelSpec) -> str:
    """"" when `spec` stays within the challenge's budgets, else one line saying which
    budget it breaks and how to get under it."""
    images = spec.train_size or MNIST_TRAIN_SIZE
    if images > challenge.max_images:
        return (f"The challenge allows {challenge.max_images:,} training images; this setup uses {images:,}: "
                f"set Training images to {challenge.max_images:,} or fewer.")
    if spec.epochs > challenge.max_epochs:
        return f"The challenge allows {challenge.max_epochs} epochs; set Epochs to {challenge.max_epochs} or fewer."
    params = count_params(spec)
    if params > challenge.max_params:
        return (f"The challenge allows {challenge.max_params:,} parameters; this network has {params:,}: "
                "use fewer units or filters, or pool before Dense.")
    return ""


@dataclass(frozen=True)
class BoardRun:
    run_id: str  # the run store's id, or the job's id while it is queued
    nickname: str
    setup: str  # the setup in words (modeling.naming)
    status: str  # queued | running | a storage.runs.RunStatus value | cancelled
    challenge_id: int | None = None
    server: str = ""  # which app server ran it (several servers may share the board)
    test_accuracy: float | None = None
    params: int = 0
    seconds: float | None = None
    spec: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)  # per-epoch curves
    updated: str = ""


def _tables():
    from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, String, Table, Text

    metadata = MetaData()
    challenges = Table(
        "class_challenges", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("question", String(MAX_QUESTION_CHARS), nullable=False),
        Column("max_images", Integer, nullable=False), Column("max_epochs", Integer, nullable=False),
        Column("max_params", Integer, nullable=False), Column("max_seconds", Integer, nullable=False),
        Column("created", String(40), nullable=False), Column("open", Boolean, nullable=False),
    )
    runs = Table(
        "class_runs", metadata,
        Column("run_id", String(100), primary_key=True),
        Column("challenge_id", Integer, nullable=True, index=True),
        Column("nickname", String(64), nullable=False), Column("setup", String(200), nullable=False),
        Column("status", String(20), nullable=False), Column("server", String(100), nullable=False),
        Column("test_accuracy", Float, nullable=True), Column("params", Integer, nullable=False),
        Column("seconds", Float, nullable=True), Column("spec", JSON, nullable=False),
        Column("history", Text, nullable=False), Column("updated", String(40), nullable=False),
    )
    return metadata, challenges, runs


class ClassBoard:
    """The class's challenge and runs, through a DrawingStore's database (its engine, its
    deadlines). Tables are created on first use. StoreUnavailable (one line) on faults."""

    def __init__(self, store: DrawingStore):
        self.store = store
        self._metadata, self._challenges, self._runs = _tables()
        self._ready = False

    def _call(self, work, write: bool = True):
        if not self._ready:
            self.store.transaction(lambda c: self._metadata.create_all(c, checkfirst=True))
            self._ready = True
        return self.store.transaction(work, write=write)

    # --- the challenge ------------------------------------------------------------------

    def open_challenge(self, question: str = QUESTION, **budgets: int) -> Challenge:
        """Close any open challenge and open a new one (budgets: DEFAULT_BUDGET's keys, each ≥ 1)."""
        from sqlalchemy import insert, update

        values = {**DEFAULT_BUDGET, **{k: v for k, v in budgets.items() if v is not None}}
        unknown = set(values) - set(DEFAULT_BUDGET)
        if unknown:
            raise ValueError(f"Unknown budget(s): {', '.join(sorted(unknown))}.")
        if any(int(v) < 1 for v in values.values()):
            raise ValueError("Every budget must be at least 1.")
        text = " ".join(str(question or QUESTION).split())[:MAX_QUESTION_CHARS] or QUESTION
        row = {"question": text, **{k: int(v) for k, v in values.items()}, "created": _now(), "open": True}

        def work(connection):
            connection.execute(update(self._challenges).values(open=False))
            return connection.execute(insert(self._challenges).values(**row)).inserted_primary_key[0]

        return Challenge(id=int(self._call(work)), **row)

    def close_challenge(self) -> None:
        from sqlalchemy import update

        self._call(lambda c: c.execute(update(self._challenges).values(open=False)))

    def current(self) -> Challenge | None:
        """The open challenge, or None."""
        from sqlalchemy import select

        def work(connection):
            return connection.execute(select(self._challenges).where(self._challenges.c.open.is_(True))
                                      .order_by(self._challenges.c.id.desc()).limit(1)).mappings().first()

        row = self._call(work, write=False)
        return Challenge(**dict(row)) if row is not None else None

    # --- runs ----------------------------------------------------------------------------

    def record(self, run: BoardRun, replaces: str | None = None) -> None:
        """Insert or update a run's row (by run_id; `replaces`: the job id its queued row had)."""
        from sqlalchemy import delete, insert

        row = {**asdict(run), "history": json.dumps(run.history), "updated": _now(),
               "nickname": run.nickname[:64], "setup": run.setup[:200]}

        def work(connection):
            for key in {run.run_id, replaces} - {None}:
                connection.execute(delete(self._runs).where(self._runs.c.run_id == key))
            connection.execute(insert(self._runs).values(**row))

        self._call(work)

    def runs(self, challenge_id: int | None) -> list[BoardRun]:
        """The challenge's runs, best test accuracy first (unscored ones after, newest first)."""
        from sqlalchemy import select

        def work(connection):
            return connection.execute(select(self._runs).where(self._runs.c.challenge_id == challenge_id)
                                      ).mappings().all()

        rows = [BoardRun(**{**dict(r), "history": json.loads(r["history"] or "{}")})
                for r in self._call(work, write=False)]
        rows.sort(key=lambda r: r.updated, reverse=True)  # newest first among equals (sorts are stable)
        return sorted(rows, key=lambda r: (r.test_accuracy is None, -(r.test_accuracy or 0)))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = ["BoardRun", "Challenge", "ClassBoard", "DEFAULT_BUDGET", "StoreUnavailable", "budget_problem"]
