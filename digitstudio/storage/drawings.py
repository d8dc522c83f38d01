"""Labelled drawings in a database: what people drew, what they say it was, what the model said.

Storage goes through SQLAlchemy 2.0 Core:

* SQLite (the embedded default): `<data folder>/drawings.sqlite3`, the data folder being
  $DIGIT_STUDIO_DATA or `data/`, in WAL mode (readers never wait for the writer) with a
  busy timeout, so many sessions of one server can label at once.
* PostgreSQL when $DIGIT_STUDIO_DATABASE_URL names one (e.g.
  `postgresql+psycopg://user:password@host:5432/digits`): several app replicas then
  share one class. Any SQLAlchemy URL works, as long as its driver is installed.

The app creates and migrates its own schema: a `schema_version` table holds one row,
and `MIGRATIONS` lists what takes a database from each version to the next.

Images are stored as PNG bytes (never pickles): the canvas as drawn, and the 28×28
digit exactly as the model saw it (uint8, white ink on black, like MNIST).

Whose drawings (`Scope`): one person's, by nickname when they gave one (so it survives
a reload), else by browser session; or the class collection (every drawing labelled
in classroom mode). No accounts and no personal data beyond the nickname.

Every database fault (locked, full, read-only, corrupt, server down, server not
answering) is raised as `StoreUnavailable` with one line saying why: the app keeps
reading digits and shows that line where the label control would be. Labelling faster
than `RATE_LIMIT` drawings per `RATE_WINDOW` seconds per session raises `LabellingThrottled`.

Every database call has a deadline, so a server that accepts connections and never
answers (or a PostgreSQL whose processes are paused) cannot hold a page's script:

* SQLite: the busy timeout (`BUSY_TIMEOUT`; `PROBE_TIMEOUT_MS` for the health probe).
* PostgreSQL through psycopg/psycopg2 (libpq parameters, `server_options()`): connecting
  gives up after `CONNECT_TIMEOUT` s, a statement after `STATEMENT_TIMEOUT_MS` and a lock
  wait after `LOCK_TIMEOUT_MS` (server side), TCP keepalives and `TCP_USER_TIMEOUT_MS`
  notice a vanished host, waiting for a pooled connection gives up after `POOL_TIMEOUT` s.
* Any server database, on the caller's side: each call runs on a helper thread and the
  caller stops waiting after `CALL_DEADLINE` s (a paused server's kernel still answers
  TCP, so nothing above ends a query already sent to it); a call that never returns keeps
  its thread until the server answers or drops the connection, and at most `MAX_STUCK`
  such calls wait at once, after which calls fail at once.

`DrawingStore.health()` is what pages ask on every rerun: the last answer of `problem()`,
refreshed on a background thread, never touching the database on the caller's thread;
a probe without an answer after `HEALTH_DEADLINE` s turns labelling off.
"""

from __future__ import annotations

import io
import os
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from digitstudio.data.extra import NOT_A_DIGIT
from digitstudio.pixels import to_uint8
from digitstudio.settings import settings

SQLITE_FILE = "drawings.sqlite3"

SCHEMA_VERSION = 1
PERSONAL, CLASS = "personal", "class"
LABELS = (*range(10), NOT_A_DIGIT)  # what a drawing can be labelled
MAX_NICKNAME_CHARS = 24
MAX_SESSION_CHARS = 64
MAX_MODEL_ID_CHARS = 120
MAX_CANVAS_BYTES = 2_000_000  # a 280×280 RGBA canvas is ~10–30 kB as PNG
RATE_LIMIT = 100  # drawings a session may label …
RATE_WINDOW = 60.0  # … per this many seconds
BUSY_TIMEOUT = 5.0  # seconds SQLite waits for another writer before giving up
PROBE_TIMEOUT_MS = 200  # how long problem() waits for a lock held by someone else
# A database that stops answering turns labelling off within PROBE_INTERVAL + HEALTH_DEADLINE
# = 2 s of the next rerun that asks health() (the bound); a healthy probe is one
# rolled-back write of a few milliseconds, so one a second per server costs nothing.
PROBE_INTERVAL = 1.0  # seconds a healthy probe is trusted: the Draw page asks on every stroke
RETRY_INTERVAL = 1.0  # seconds a problem is trusted before health() probes again in the background
HEALTH_DEADLINE = 1.0  # s: a health probe still unanswered after this turns labelling off
FIRST_WAIT = 1.0  # s: health(wait=…) waits at most this (from the probe's start) for a first answer
CONNECT_TIMEOUT = 2  # s, libpq's connect_timeout (its minimum: libpq reads 1 as 2)
STATEMENT_TIMEOUT_MS = 5000  # PostgreSQL statement_timeout: no statement here takes 1% of it
LOCK_TIMEOUT_MS = 3000  # PostgreSQL lock_timeout (row and advisory locks)
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 5, 2, 3  # s, s, probes: a dead host is noticed in ~11 s
TCP_USER_TIMEOUT_MS = 10_000  # unacknowledged data for this long closes the connection (Linux)
POOL_TIMEOUT = 2.0  # s waiting for a free pooled connection
CALL_DEADLINE = 8.0  # s the caller waits for one server-database call (connect + statements)
MAX_STUCK = 8  # calls past their deadline still waiting for the server; beyond that calls fail at once
_LIBPQ_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi")  # PostgreSQL drivers that take libpq parameters
_WRITE_OPTION = "digitstudio_write"  # execution option: this connection's transactions write
_SCHEMA_LOCK_KEY = 4_420_110  # PostgreSQL advisory lock id held while creating/migrating


class StoreUnavailable(RuntimeError):
    """The drawings database cannot be used right now; the message (one line) says why."""


class LabellingThrottled(RuntimeError):
    """This session labelled more than RATE_LIMIT drawings in RATE_WINDOW seconds."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after  # seconds until the next label is accepted


# --- input clean-up ----------------------------------------------------------------------

_NICKNAME_EXTRA = set(" -.'")
_JOINERS = {"\u200c", "\u200d"}  # ZWNJ and ZWJ: format characters that change how Indic and Persian words read


def clean_nickname(nickname: Any) -> str:
    """A display-safe nickname in any script: NFC-normalised (so 'Zoë' typed as Z o e ◌̈
    is the same name as 'Zoë'), tags dropped, then only letters, combining marks and
    digits of every script (Unicode categories L*, M*, N*), spaces and the punctuation
    -.' kept: control, format (bidi overrides, zero-width spaces) and symbol characters
    and the rest of punctuation go, so nothing in it is markup or Markdown (`_` too: it
    makes italics). ZWNJ/ZWJ stay between letters, where they change the word. Whitespace
    collapsed, at most 24 code points, never cut inside a letter (its vowel signs and
    virama-joined consonants go with it); '' when nothing is left.

    NFC, not NFKC: compatibility folding merges different names ('①' and '1', 'ｗ' and
    'w'), and names are compared exactly (case-sensitively, as before) on this form, so
    two different names never share drawings: 'प्रिया' stays 'प्रिया', 'समन' and 'सुमन'
    stay apart, '<b>Sam</b>' → 'Sam', 'x' * 10_000 → 'x' * 24."""
    text = unicodedata.normalize("NFC", str(nickname or "")[: MAX_NICKNAME_CHARS * 16])
    text = re.sub(r"<[^>]*>", "", text)
    kept = []
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if ch in _JOINERS:
            after = text[index + 1] if index + 1 < len(text) else " "
            if kept and unicodedata.category(kept[-1])[0] in "LM" and unicodedata.category(after)[0] in "LM":
                kept.append(ch)
        elif ch.isspace():
            kept.append(" ")
        elif ch in _NICKNAME_EXTRA or category[0] in "LMN":
            kept.append(ch)
    cleaned = " ".join("".join(kept).split())
    return _cut(cleaned, MAX_NICKNAME_CHARS).strip()


def _cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` code points, not inside a letter: the cut moves back
    while the next code point is a combining mark or joiner, or the last one is a virama
    (Unicode canonical combining class 9, which joins the next consonant to it)."""
    if len(text) <= limit:
        return text
    cut = limit
    while cut > 0 and (unicodedata.category(text[cut])[0] == "M" or text[cut] in _JOINERS
                       or unicodedata.combining(text[cut - 1]) == 9):
        cut -= 1
    return text[:cut]


def clean_session_id(session_id: Any) -> str:
    """[A-Za-z0-9_-], at most 64 characters (Streamlit's session ids are UUIDs)."""
    return re.sub(r"[^A-Za-z0-9_-]", "", str(session_id or ""))[:MAX_SESSION_CHARS]


@dataclass(frozen=True)
class Scope:
    """Whose drawings. `Scope.person(session_id, nickname)`: one person's, matched by
    nickname when given (any collection), else by session. `Scope.class_collection()`:
    every drawing labelled in classroom mode, by anyone."""

    session_id: str = ""
    nickname: str = ""
    whole_class: bool = False

    @classmethod
    def person(cls, session_id: str, nickname: str = "") -> Scope:
        scope = cls(clean_session_id(session_id), clean_nickname(nickname))
        if not scope.session_id and not scope.nickname:
            raise ValueError("A person's scope needs a session id or a nickname.")
        return scope

    @classmethod
    def class_collection(cls) -> Scope:
        return cls(whole_class=True)


@dataclass
class Drawing:
    """One labelled drawing. `image` (uint8 (28, 28)) and `canvas_png` are filled only
    when asked for (`with_images=True`), to keep lists light."""

    id: int
    created: datetime  # UTC
    nickname: str
    session_id: str
    collection: str  # "personal" or "class"
    label: int  # 0–9, or NOT_A_DIGIT (10)
    predicted: int | None
    confidence: float | None
    model_id: str
    image: np.ndarray | None = field(default=None, repr=False)
    canvas_png: bytes | None = field(default=None, repr=False)

    @property
    def misread(self) -> bool:
        """The model that read it when it was labelled said another digit. Never for a
        drawing labelled NOT_A_DIGIT: `predicted` keeps the top digit even after a "not
        sure", so it cannot tell."""
        return self.label != NOT_A_DIGIT and self.predicted is not None and self.predicted != self.label


# --- images ------------------------------------------------------------------------------

def image_to_png(image: np.ndarray) -> bytes:
    """A 28×28 digit (float in [0, 1] or uint8) → grey PNG bytes."""
    pixels = as_uint8_digit(image)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def png_to_image(data: bytes) -> np.ndarray:
    """Grey PNG bytes → uint8 (28, 28)."""
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("L"), np.uint8)


def as_uint8_digit(image: Any) -> np.ndarray:
    """(28, 28) or (28, 28, 1) float in [0, 1] or uint8 → uint8 (28, 28); ValueError otherwise."""
    pixels = np.asarray(image)
    if pixels.shape not in ((28, 28), (28, 28, 1), (784,)):
        raise ValueError(f"The model's view of a drawing must be 28×28, not shape {pixels.shape}.")
    pixels = pixels.reshape(28, 28)
    if pixels.dtype == np.uint8:
        return pixels
    return to_uint8(pixels.astype(np.float32))


def canvas_to_png(canvas: Any) -> bytes:
    """Canvas pixels ((H, W, 4) RGBA or (H, W, 3) RGB uint8) or PNG bytes → PNG bytes,
    at most MAX_CANVAS_BYTES; ValueError otherwise."""
    if isinstance(canvas, (bytes, bytearray)):
        data = bytes(canvas)
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("The canvas image must be PNG bytes or an RGBA pixel array.")
    else:
        pixels = np.asarray(canvas)
        if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
            raise ValueError(f"The canvas must be an (H, W, 4) RGBA array, not shape {pixels.shape}.")
        if pixels.dtype != np.uint8:
            pixels = np.clip(np.rint(pixels.astype(np.float32)), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG", optimize=False, compress_level=1)
        data = buffer.getvalue()
    if len(data) > MAX_CANVAS_BYTES:
        raise ValueError(f"The canvas image is {len(data) / 1e6:.1f} MB; at most {MAX_CANVAS_BYTES / 1e6:.0f} MB.")
    return data


# --- the schema ------------------------------------------------------------------------------

def _tables():
    from sqlalchemy import (
        Column,
        DateTime,
        Float,
        Index,
        Integer,
        LargeBinary,
        MetaData,
        SmallInteger,
        String,
        Table,
    )

    metadata = MetaData()
    version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
    drawings = Table(
        "drawings", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created", DateTime(timezone=True), nullable=False),
        Column("nickname", String(MAX_NICKNAME_CHARS), nullable=False, default=""),
        Column("session_id", String(MAX_SESSION_CHARS), nullable=False, default=""),
        Column("collection", String(16), nullable=False, default=PERSONAL),
        Column("label", SmallInteger, nullable=False),
        Column("predicted", SmallInteger, nullable=True),
        Column("confidence", Float, nullable=True),
        Column("model_id", String(MAX_MODEL_ID_CHARS), nullable=False, default=""),
        Column("canvas_png", LargeBinary, nullable=True),
        Column("image_png", LargeBinary, nullable=False),
        Index("ix_drawings_collection_created", "collection", "created"),
        Index("ix_drawings_nickname", "nickname"),
        Index("ix_drawings_session", "session_id"),
        sqlite_autoincrement=True,  # ids are never reused after a delete
    )
    return metadata, version, drawings


def _create_v1(connection, metadata) -> None:
    metadata.create_all(connection)


# MIGRATIONS[n] takes a database at version n - 1 to version n (0 = empty database).
# A future column: add `def _add_x(connection, metadata): connection.execute(text("ALTER …"))`
# as MIGRATIONS[2] and raise SCHEMA_VERSION to 2.
MIGRATIONS: dict[int, Callable[[Any, Any], None]] = {1: _create_v1}


# --- faults -------------------------------------------------------------------------------

_FAULTS = (
    ("database is locked", "the drawings database is locked by another program; try again in a moment"),
    ("database table is locked", "the drawings database is locked by another program; try again in a moment"),
    ("readonly database", "the drawings database is read-only (check the data folder's permissions)"),
    ("read-only", "the drawings database is read-only"),
    ("disk is full", "the disk holding the drawings database is full"),
    ("disk i/o error", "the drawings database could not be written (disk I/O error)"),
    ("not a database", "the drawings database file is corrupt (not a database); move it away to start afresh"),
    ("malformed", "the drawings database file is corrupt; move it away to start afresh"),
    ("unable to open database", "the drawings database file cannot be opened (check the data folder)"),
    ("connection refused", "the drawings database server refused the connection"),
    ("timeout expired", "the drawings database server did not answer in time (is it overloaded or paused?)"),
    ("timed out", "the drawings database server did not answer in time (is it overloaded or paused?)"),
    ("statement timeout", "the drawings database server took too long to answer"),
    ("lock timeout", "the drawings database is busy (a lock was held too long); try again in a moment"),
    ("queuepool limit", "too many labels are being saved at once; try again in a moment"),
    ("server closed the connection", "the drawings database server closed the connection"),
    ("could not connect", "the drawings database server cannot be reached"),
    ("password authentication failed", "the drawings database refused the password in the database URL"),
    ("does not exist", "the database or user named in the database URL does not exist"),
)


def _unavailable(exc: BaseException) -> StoreUnavailable:
    """Any database error → StoreUnavailable with one line a person can act on."""
    detail = str(getattr(exc, "orig", None) or exc)
    lowered = detail.lower()
    for needle, reason in _FAULTS:
        if needle in lowered:
            return StoreUnavailable(f"Labelling is off: {reason}.")
    first = next((line.strip() for line in detail.splitlines() if line.strip()), type(exc).__name__)
    return StoreUnavailable(f"Labelling is off: the drawings database failed ({first[:160]}).")


# --- the store ----------------------------------------------------------------------------

def _not_answering(seconds: float) -> StoreUnavailable:
    return StoreUnavailable(f"Labelling is off: the drawings database did not answer within {seconds:g} s "
                            "(drawing still works; labelling comes back when it answers).")


def server_options(url: str) -> dict[str, Any]:
    """The deadlines for a PostgreSQL URL whose driver takes libpq parameters (psycopg,
    psycopg2), as SQLAlchemy `connect_args`; {} for other databases and drivers. A
    parameter the URL sets itself (`?connect_timeout=10`, `?options=…`) is kept."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or (parsed.get_driver_name() or "psycopg2") not in _LIBPQ_DRIVERS:
        return {}
    wanted: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT,
        "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS}",
        "keepalives": 1, "keepalives_idle": KEEPALIVE_IDLE, "keepalives_interval": KEEPALIVE_INTERVAL,
        "keepalives_count": KEEPALIVE_COUNT, "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
    }
    return {name: value for name, value in wanted.items() if name not in parsed.query}


def database_url(url: str | None = None, data_dir: str | os.PathLike | None = None) -> str:
    """The URL to use: `url`, else the DIGIT_STUDIO_DATABASE_URL setting, else the SQLite
    file in the data folder (`data_dir`, else the DIGIT_STUDIO_DATA setting)."""
    chosen = (url or settings().database_url).strip()
    if chosen:
        return chosen
    folder = Path(data_dir).expanduser().absolute() if data_dir else settings().data
    return f"sqlite:///{folder / SQLITE_FILE}"


class DrawingStore:
    """The labelled drawings. Thread-safe: one store (one connection pool) serves every
    session of a server. Opening never raises: a database fault shows up as
    StoreUnavailable from the first call that needs the database (`problem()` asks
    without raising; `health()` answers from a background probe without waiting).

    call_deadline: seconds a caller waits for one call to a server database (SQLite's
    own deadline is `busy_timeout`)."""

    def __init__(self, url: str | None = None, data_dir: str | os.PathLike | None = None,
                 rate_limit: int = RATE_LIMIT, rate_window: float = RATE_WINDOW,
                 busy_timeout: float = BUSY_TIMEOUT, clock: Callable[[], float] = time.monotonic,
                 call_deadline: float = CALL_DEADLINE):
        self.url = database_url(url, data_dir)
        self.rate_limit, self.rate_window, self.clock = rate_limit, rate_window, clock
        self._healthy_until = 0.0  # problem() trusts its last healthy probe until then
        self.busy_timeout = busy_timeout
        self.call_deadline = call_deadline
        self._changes: dict[tuple[str, str] | None, int] = {}  # owner (None: anyone) → writes so far
        self._stuck = 0  # calls still running past their deadline
        self._health: tuple[str | None, float] | None = None  # (problem(), when) of the last probe
        self._probing_since: float | None = None  # when the background probe in flight started
        self._probed = threading.Condition()
        self._metadata, self._version, self._drawings = _tables()
        self._engine = None
        self._ready = False
        self._lock = threading.Lock()
        self._schema_lock = threading.Lock()
        self._recent: dict[str, deque[float]] = {}  # session id → times of its recent labels

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def engine(self):
        """The SQLAlchemy engine (created on first use)."""
        with self._lock:
            if self._engine is None:
                self._engine = self._create_engine()
            return self._engine

    def _create_engine(self):
        from sqlalchemy import create_engine, event

        if not self.is_sqlite:
            return create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=30,
                                 pool_timeout=POOL_TIMEOUT, connect_args=server_options(self.url))
        path = self.url.split("///", 1)[1] if "///" in self.url else ""
        if path and not path.startswith("file:") and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(self.url, connect_args={"timeout": self.busy_timeout, "check_same_thread": False},
                               pool_size=5, max_overflow=30)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            # SQLAlchemy's recipe for real SQLite transactions: Python's sqlite3 would not
            # BEGIN before a SELECT or CREATE, so two servers could both find no schema.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                mode = cursor.execute("PRAGMA journal_mode").fetchone()
                if mode and str(mode[0]).lower() != "wal":
                    try:  # a read-only file cannot switch: keep its mode, reads still work
                        cursor.execute("PRAGMA journal_mode = WAL")
                    except Exception:
                        pass
                cursor.execute("PRAGMA synchronous = NORMAL")  # WAL's recommended setting
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            # Writers take the write lock up front (waiting up to busy_timeout), so a
            # transaction never fails half-way when it turns out another one is writing.
            immediate = connection.get_execution_options().get(_WRITE_OPTION)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def _writer(self):
        """A connection whose transactions are write transactions (BEGIN IMMEDIATE on SQLite)."""
        return self.engine.connect().execution_options(**{_WRITE_OPTION: True})

    # --- schema -----------------------------------------------------------------------

    def ensure_schema(self) -> int:
        """Create or migrate the schema to SCHEMA_VERSION; returns the version.
        StoreUnavailable on any fault, or when the database is from a newer app.
        One thread at a time here; across processes PostgreSQL serialises on an advisory
        lock, and SQLite's write lock plus one retry covers two servers starting at once."""
        if self._ready:
            return SCHEMA_VERSION
        return self._bounded(self._ensure_schema, self.call_deadline)

    def _ensure_schema(self) -> int:
        from sqlalchemy import exc as sa_exc

        with self._schema_lock:
            for attempt in (1, 2):
                if self._ready:
                    break
                try:
                    self._migrate()
                    self._ready = True
                except StoreUnavailable:
                    raise
                except (sa_exc.SQLAlchemyError, OSError) as exc:
                    if attempt == 2 or not self.is_sqlite:  # PostgreSQL serialises on its advisory lock
                        raise _unavailable(exc) from None
                    time.sleep(0.2)  # another process may be creating the schema right now
        return SCHEMA_VERSION

    def _migrate(self) -> None:
        from sqlalchemy import insert, inspect, select, text, update

        with self._writer() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
            if not inspect(connection).has_table("schema_version"):
                self._version.create(connection)
            found = connection.execute(select(self._version.c.version)).scalar()
            if found is None:
                connection.execute(insert(self._version).values(version=0))
                found = 0
            if found > SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"Labelling is off: the drawings database has schema version {found}, "
                    f"newer than this app's {SCHEMA_VERSION}; update Digit Studio.")
            for step in range(found + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](connection, self._metadata)
                connection.execute(update(self._version).values(version=step))

    def problem(self) -> str | None:
        """None when labelling works; else the one line saying why it is off. Probes a
        write (rolled back), so a locked or read-only database is caught before a person
        labels anything. A healthy answer is trusted for PROBE_INTERVAL seconds (every
        session's strokes ask, and each probe is a write transaction that may wait up to
        ~0.2 s for the lock); a failed write forgets it at once, and a problem is always
        probed afresh, so recovery shows on the next rerun. Blocks the caller for at most
        CONNECT_TIMEOUT + HEALTH_DEADLINE s (a server database) or the busy timeout (SQLite): pages ask
        `health()` instead, which never blocks on the database."""
        if self.clock() < self._healthy_until:
            return None
        return self._problem_now()

    def _problem_now(self) -> str | None:
        """problem() without its trusted healthy answer: always probes."""
        try:
            self._bounded(self._probe, min(self.call_deadline, CONNECT_TIMEOUT + HEALTH_DEADLINE))
        except StoreUnavailable as exc:
            return str(exc)
        self._healthy_until = self.clock() + PROBE_INTERVAL
        return None

    def _probe(self) -> None:
        from sqlalchemy import exc as sa_exc
        from sqlalchemy import update

        try:
            if not self._ready:
                self._ensure_schema()
            with self._writer() as connection:
                if self.is_sqlite:  # ask, don't queue: a locked database answers within 0.2 s
                    connection.connection.driver_connection.execute(f"PRAGMA busy_timeout = {PROBE_TIMEOUT_MS}")
                try:
                    with connection.begin() as transaction:
                        connection.execute(update(self._version).values(version=self._version.c.version))
                        transaction.rollback()
                finally:
                    if self.is_sqlite:
                        connection.connection.driver_connection.execute(
                            f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        except (sa_exc.SQLAlchemyError, OSError) as exc:
            raise _unavailable(exc) from None

    def health(self, wait: float = 0.0) -> str | None:
        """`problem()` as last probed, for pages to ask on every rerun: never waits for the
        database on the caller's thread. When the answer is older than PROBE_INTERVAL
        (healthy) or RETRY_INTERVAL (a problem), or a call failed since, one background
        thread probes again; until it answers the last answer stands. A probe unanswered
        for HEALTH_DEADLINE s turns labelling off (one line). Before any answer (a new
        store, or after a failed call) the caller waits at most `wait` s, counted from the
        probe's start, and then gets the "did not answer" line."""
        now = time.monotonic()
        with self._probed:
            answer = self._health
            stale = answer is None or now - answer[1] >= (PROBE_INTERVAL if answer[0] is None else RETRY_INTERVAL)
            if stale and self._probing_since is None:
                self._probing_since = now
                threading.Thread(target=self._probe_in_background, name="drawings-health", daemon=True).start()
            if answer is None and wait > 0:
                self._probed.wait_for(lambda: self._health is not None,
                                      timeout=max(0.0, (self._probing_since or now) + wait - now))
                answer = self._health
            since = self._probing_since
        if since is not None and time.monotonic() - since >= HEALTH_DEADLINE:
            return str(_not_answering(HEALTH_DEADLINE))
        if answer is None:
            return str(_not_answering(wait)) if wait > 0 else None
        return answer[0]

    def _probe_in_background(self) -> None:
        try:
            found = self._problem_now()
        except Exception as exc:  # never let the health thread die silently
            found = str(_unavailable(exc))
        with self._probed:
            self._health = (found, time.monotonic())
            self._probing_since = None
            self._probed.notify_all()

    def _forget_health(self) -> None:
        """A call failed: the next health() probes afresh and waits for it like a first one."""
        self._healthy_until = 0.0
        with self._probed:
            self._health = None

    def _bounded(self, call: Callable[[], Any], deadline: float):
        """`call()` with a deadline on the caller's side for a server database (SQLite's is
        its busy timeout, so it runs here): on a helper thread, waited for `deadline` s,
        then StoreUnavailable ("did not answer"). Its exceptions are re-raised here."""
        if self.is_sqlite:
            return call()
        with self._lock:
            if self._stuck >= MAX_STUCK:
                raise _not_answering(self.call_deadline)
        outcome: dict[str, Any] = {}
        done = threading.Event()
        late = [False]

        def work() -> None:
            try:
                outcome["value"] = call()
            except BaseException as exc:  # handed to the caller
                outcome["error"] = exc
            finally:
                with self._lock:
                    done.set()
                    if late[0]:
                        self._stuck -= 1

        threading.Thread(target=work, name="drawings-call", daemon=True).start()
        if not done.wait(deadline):
            with self._lock:
                if not done.is_set():
                    late[0] = True
                    self._stuck += 1
            if late[0]:
                raise _not_answering(deadline)
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    def _run(self, work: Callable[[Any], Any], write: bool = True):
        """Run `work(connection)` in one transaction, within the call deadline; database
        errors → StoreUnavailable."""
        from sqlalchemy import exc as sa_exc

        def call():
            if not self._ready:
                self._ensure_schema()
            if write:
                with self._writer() as connection, connection.begin():
                    return work(connection)
            with self.engine.connect() as connection:
                return work(connection)

        try:
            return self._bounded(call, self.call_deadline)
        except StoreUnavailable:
            self._forget_health()  # the next problem() and health() probe again
            raise
        except (sa_exc.SQLAlchemyError, OSError) as exc:
            self._forget_health()
            raise _unavailable(exc) from None

    def transaction(self, work: Callable[[Any], Any], write: bool = True):
        """`work(connection)` in one transaction of this database, within the call deadline,
        database faults as StoreUnavailable: for other tables beside the drawings (board.py)."""
        return self._run(work, write)

    # --- writing ----------------------------------------------------------------------

    def add(self, *, label: int, image: np.ndarray, session_id: str, nickname: str = "",
            classroom: bool = False, canvas: Any = None, predicted: int | None = None,
            confidence: float | None = None, model_id: str = "") -> Drawing:
        """Save one labelled drawing; returns it (with its new id).

        label       the digit the person says it is, 0–9, or NOT_A_DIGIT (10)
        image       the 28×28 the model saw (float in [0, 1] or uint8), from preprocess()
        session_id  the browser session; nickname is cleaned with clean_nickname()
        classroom   True: into the class collection; False: personal
        canvas      the canvas as drawn: RGBA uint8 pixels or PNG bytes (optional)
        predicted, confidence, model_id   what the active model said (optional)

        ValueError for a bad label/image/canvas or an empty (all-black) image,
        LabellingThrottled past RATE_LIMIT
        per RATE_WINDOW seconds for this session, StoreUnavailable for database faults.
        """
        from sqlalchemy import insert

        label = _label(label)
        predicted = None if predicted is None else _label(predicted, "predicted", LABELS[:10])
        confidence = None if confidence is None else float(confidence)
        if confidence is not None and not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must be between 0 and 1, not {confidence}.")
        session_id, nickname = clean_session_id(session_id), clean_nickname(nickname)
        if not session_id:
            raise ValueError("A drawing needs the session id of the person who labelled it.")
        pixels = as_uint8_digit(image)
        if not pixels.any():
            raise ValueError("An empty drawing cannot be labelled: draw the digit first.")
        image_png = image_to_png(pixels)
        canvas_png = None if canvas is None else canvas_to_png(canvas)
        self._throttle(session_id)
        row = dict(created=datetime.now(UTC), nickname=nickname, session_id=session_id,
                   collection=CLASS if classroom else PERSONAL, label=label, predicted=predicted,
                   confidence=confidence, model_id=str(model_id or "")[:MAX_MODEL_ID_CHARS],
                   canvas_png=canvas_png, image_png=image_png)
        new_id = self._run(lambda c: c.execute(insert(self._drawings).values(**row)).inserted_primary_key[0])
        self._changed(Scope(session_id, nickname))
        return Drawing(id=int(new_id), **{k: v for k, v in row.items() if k not in ("canvas_png", "image_png")},
                       image=pixels, canvas_png=canvas_png)

    def changes(self, scope: Scope) -> int:
        """How many writes through this store (this server) may have changed `scope`'s
        drawings so far: its owner's labels and deletions, plus every deletion whose owner
        is unknown (by id without a scope, the class's, the teacher's reset). No database
        call: a count cached with this number is current while it stays the same."""
        with self._lock:
            return self._changes.get(None, 0) + (0 if scope.whole_class else self._changes.get(_owner(scope), 0))

    def _changed(self, scope: Scope | None) -> None:
        key = None if scope is None or scope.whole_class else _owner(scope)
        with self._lock:
            self._changes[key] = self._changes.get(key, 0) + 1

    def _throttle(self, session_id: str) -> None:
        """A sliding window per session, in this process (a Streamlit session stays on
        one server, so per-process is per-session)."""
        now = self.clock()
        with self._lock:
            recent = self._recent.setdefault(session_id, deque())
            while recent and now - recent[0] >= self.rate_window:
                recent.popleft()
            if len(recent) >= self.rate_limit:
                wait = self.rate_window - (now - recent[0])
                raise LabellingThrottled(
                    f"You labelled {len(recent)} drawings in the last {self.rate_window:.0f} s; "
                    f"wait {max(wait, 1):.0f} s before labelling more.", retry_after=wait)
            recent.append(now)
            if len(self._recent) > 10_000:  # forget idle sessions
                for key in [k for k, times in self._recent.items() if not times or now - times[-1] > self.rate_window]:
                    del self._recent[key]

    def adopt(self, session_id: str, nickname: str) -> int:
        """Give a nickname to the drawings a session saved before it had one (they belonged
        to the session alone: `Scope.person(session_id)`); returns how many."""
        from sqlalchemy import update

        session_id, nickname = clean_session_id(session_id), clean_nickname(nickname)
        if not session_id or not nickname:
            return 0
        columns = self._drawings.c
        statement = (update(self._drawings).where((columns.session_id == session_id) & (columns.nickname == ""))
                     .values(nickname=nickname))
        adopted = int(self._run(lambda c: c.execute(statement).rowcount))
        if adopted:
            self._changed(Scope(session_id, ""))
            self._changed(Scope(session_id, nickname))
        return adopted

    def delete(self, drawing_id: int, scope: Scope | None = None) -> bool:
        """Delete one drawing; with a person's scope only if it is theirs. False if there
        was none (or it is someone else's)."""
        from sqlalchemy import delete

        statement = delete(self._drawings).where(self._drawings.c.id == int(drawing_id))
        if scope is not None:
            statement = statement.where(self._where(scope))
        removed = self._run(lambda c: c.execute(statement).rowcount) > 0
        if removed:
            self._changed(scope)
        return removed

    def delete_all(self, scope: Scope) -> int:
        """Delete every drawing in `scope` ("all of mine", or the class collection);
        returns how many."""
        from sqlalchemy import delete

        removed = int(self._run(lambda c: c.execute(delete(self._drawings).where(self._where(scope))).rowcount))
        if removed:
            self._changed(scope)
        return removed

    def clear_everything(self) -> int:
        """The teacher's reset: every drawing of every person and the class; returns how many."""
        from sqlalchemy import delete

        removed = int(self._run(lambda c: c.execute(delete(self._drawings)).rowcount))
        if removed:
            self._changed(None)
        return removed

    # --- reading ----------------------------------------------------------------------

    def _where(self, scope: Scope):
        columns = self._drawings.c
        if scope.whole_class:
            return columns.collection == CLASS
        if scope.nickname:
            return columns.nickname == scope.nickname
        return (columns.session_id == scope.session_id) & (columns.nickname == "")

    def list(self, scope: Scope, label: int | None = None, limit: int | None = None,
             with_images: bool = False, not_digits: bool | None = None) -> list[Drawing]:
        """The scope's drawings, newest first; only label `label` (0–9 or NOT_A_DIGIT)
        when given, only the NOT_A_DIGIT ones (not_digits=True) or only the digits (False)
        when given, at most `limit`. with_images=True also decodes the 28×28 and loads the
        canvas PNG."""
        from sqlalchemy import select

        table = self._drawings
        columns = [table.c[name] for name in ("id", "created", "nickname", "session_id", "collection",
                                              "label", "predicted", "confidence", "model_id")]
        if with_images:
            columns += [table.c.image_png, table.c.canvas_png]
        statement = select(*columns).where(self._where(scope)).order_by(table.c.created.desc(), table.c.id.desc())
        if label is not None:
            statement = statement.where(table.c.label == _label(label))
        if not_digits is not None:
            is_other = table.c.label == NOT_A_DIGIT
            statement = statement.where(is_other if not_digits else ~is_other)
        if limit is not None:
            statement = statement.limit(max(0, int(limit)))
        rows = self._run(lambda c: c.execute(statement).all(), write=False)
        return [_drawing(row._mapping, with_images) for row in rows]

    def gallery(self, scope: Scope, per_digit: int = 20) -> dict[int, list[Drawing]]:
        """{label: its newest `per_digit` drawings with images} for the ten digits and
        NOT_A_DIGIT."""
        return {label: self.list(scope, label=label, limit=per_digit, with_images=True) for label in LABELS}

    def counts(self, scope: Scope) -> dict[int, int]:
        """{label: how many drawings} for the ten digits and NOT_A_DIGIT (0 where none)."""
        from sqlalchemy import func, select

        table = self._drawings
        statement = select(table.c.label, func.count()).where(self._where(scope)).group_by(table.c.label)
        rows = self._run(lambda c: c.execute(statement).all(), write=False)
        found = {int(label): int(count) for label, count in rows}
        return {label: found.get(label, 0) for label in LABELS}

    def count(self, scope: Scope) -> int:
        return sum(self.counts(scope).values())

    def arrays(self, scope: Scope, not_digits: bool = False) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """The scope's digits as the model saw them, oldest first: (x uint8 (n, 28, 28),
        y uint8 (n,) labels 0–9, drawing ids); n may be 0. With not_digits=True, the
        drawings labelled NOT_A_DIGIT instead (y all 10)."""
        drawings = list(reversed(self.list(scope, with_images=True, not_digits=not_digits)))
        x = np.array([drawing.image for drawing in drawings], np.uint8).reshape(-1, 28, 28)
        y = np.array([drawing.label for drawing in drawings], np.uint8)
        return x, y, [drawing.id for drawing in drawings]

    def export_zip(self, scope: Scope) -> bytes:
        """The scope's digits as a .zip: digits.npz (MNIST format, see data/extra.py),
        canvas/<id>-label<d>.png for each original canvas, and README.txt.
        An empty collection gives ValueError (nothing to export), not an empty file."""
        from digitstudio.data.extra import export_zip

        drawings = list(reversed(self.list(scope, with_images=True)))
        return export_zip(drawings)

    def close(self) -> None:
        """Close every pooled connection (tests; the app keeps one store for its life)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
            self._ready = False


def _owner(scope: Scope) -> tuple[str, str]:
    """Whose drawings a person's scope matches (see DrawingStore._where): a nickname's, else a session's."""
    return ("nickname", scope.nickname) if scope.nickname else ("session", scope.session_id)


def _label(value: Any, name: str = "label", labels: tuple[int, ...] = LABELS) -> int:
    """`value` as an int if it is one of `labels` (all of LABELS, or the digits alone),
    else ValueError naming `name` and what it may be."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) not in labels:
        may_be = "a digit 0–9" + (f" or {NOT_A_DIGIT} (not a digit)" if NOT_A_DIGIT in labels else "")
        raise ValueError(f"{name} must be {may_be}, not {value!r}.")
    return int(value)


def _drawing(row: Any, with_images: bool) -> Drawing:
    created = row["created"]
    if isinstance(created, datetime) and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)  # SQLite keeps no zone; we write UTC
    return Drawing(
        id=int(row["id"]), created=created, nickname=row["nickname"], session_id=row["session_id"],
        collection=row["collection"], label=int(row["label"]),
        predicted=None if row["predicted"] is None else int(row["predicted"]),
        confidence=None if row["confidence"] is None else float(row["confidence"]), model_id=row["model_id"],
        image=png_to_image(row["image_png"]) if with_images else None,
        canvas_png=bytes(row["canvas_png"]) if with_images and row["canvas_png"] is not None else None,
    )
