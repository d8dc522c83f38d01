"""The labelled-drawings store: SQLite always, PostgreSQL when scripts/start_postgres.sh ran.

    eval "$(scripts/start_postgres.sh)"   # as root: exports DIGIT_STUDIO_TEST_POSTGRES_URL
    python3 -m pytest -q tests/test_drawings.py
"""

from __future__ import annotations

import io
import os
import sqlite3
import threading
import warnings
import zipfile

import numpy as np
import pytest

from digitstudio.data.extra import NOT_A_DIGIT, load_extra
from digitstudio.storage.drawings import (
    CLASS,
    MAX_NICKNAME_CHARS,
    PERSONAL,
    SCHEMA_VERSION,
    DrawingStore,
    LabellingThrottled,
    Scope,
    StoreUnavailable,
    clean_nickname,
    database_url,
)

PG_ENV = "DIGIT_STUDIO_TEST_POSTGRES_URL"
PG_URL = os.environ.get(PG_ENV, "").strip()
PG_SKIP = (f"PostgreSQL tests SKIPPED: {PG_ENV} is not set. Run 'eval \"$(scripts/start_postgres.sh)\"' "
           "as root first (scripts/test.sh does) to test the store against a real PostgreSQL server.")

if not PG_URL:
    warnings.warn(PG_SKIP, stacklevel=1)


def digit_image(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


def canvas(seed: int = 0) -> np.ndarray:
    pixels = np.zeros((280, 280, 4), np.uint8)
    pixels[100 + seed % 50:150, 100:180, 3] = 255
    return pixels


def add(store: DrawingStore, label: int = 3, session: str = "s1", nickname: str = "", **extra):
    return store.add(label=label, image=digit_image(label), session_id=session, nickname=nickname,
                     canvas=canvas(label), predicted=extra.pop("predicted", 5), confidence=0.7,
                     model_id="digit-cnn", **extra)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS drawings, schema_version"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "postgresql":
        if not PG_URL:
            if os.environ.get("CI"):
                pytest.fail(f"{PG_ENV} is not set in CI: scripts/test.sh must run scripts/start_postgres.sh")
            pytest.skip(PG_SKIP)
        _reset_postgres(PG_URL)
        instance = DrawingStore(PG_URL)
    else:
        instance = DrawingStore(data_dir=tmp_path)
    yield instance
    instance.close()


@pytest.fixture
def sqlite_store(tmp_path):
    instance = DrawingStore(data_dir=tmp_path, busy_timeout=0.2)
    yield instance
    instance.close()


def sqlite_path(store: DrawingStore) -> str:
    return store.url.split("///", 1)[1]


# --- the basics, on both databases ------------------------------------------------------------

def test_add_and_read_back(store):
    assert store.problem() is None
    saved = add(store, label=7, nickname="Ada", predicted=1)
    assert saved.id >= 1 and saved.misread and saved.collection == PERSONAL
    [drawing] = store.list(Scope.person("s1", "Ada"), with_images=True)
    assert (drawing.id, drawing.label, drawing.predicted, drawing.model_id) == (saved.id, 7, 1, "digit-cnn")
    assert drawing.confidence == pytest.approx(0.7) and drawing.created.tzinfo is not None
    expected = np.clip(np.rint(digit_image(7) * 255), 0, 255).astype(np.uint8)
    assert drawing.image.dtype == np.uint8 and np.array_equal(drawing.image, expected)  # PNG is lossless
    assert drawing.canvas_png.startswith(b"\x89PNG")
    light = store.list(Scope.person("s1", "Ada"))[0]
    assert light.image is None and light.canvas_png is None


def test_scopes_counts_gallery_and_deletes(store):
    for label in (1, 1, 2):
        add(store, label, session="s1", nickname="Ada")
    add(store, 1, session="s2", nickname="Bo", classroom=True)
    add(store, 4, session="s3", classroom=True)  # no nickname: known by session only
    add(store, 9, session="s3")
    ada, bo, anon = Scope.person("s1", "Ada"), Scope.person("s2", "Bo"), Scope.person("s3")
    whole_class = Scope.class_collection()
    assert store.counts(ada) == {d: {1: 2, 2: 1}.get(d, 0) for d in (*range(10), NOT_A_DIGIT)}
    assert store.count(bo) == 1 and store.count(anon) == 2 and store.count(whole_class) == 2
    assert {d.collection for d in store.list(whole_class)} == {CLASS}
    gallery = store.gallery(ada, per_digit=1)
    assert sorted(gallery) == [*range(10), NOT_A_DIGIT] and len(gallery[1]) == 1 and gallery[3] == []
    assert gallery[1][0].image.shape == (28, 28)
    assert [d.label for d in store.list(ada, label=1)] == [1, 1]
    # Newest first.
    ids = [d.id for d in store.list(ada)]
    assert ids == sorted(ids, reverse=True)

    bo_id = store.list(bo)[0].id
    assert store.delete(bo_id, ada) is False  # not Ada's to delete
    assert store.delete(bo_id, bo) is True and store.delete(bo_id, bo) is False
    assert store.delete_all(ada) == 3 and store.count(ada) == 0 and store.count(anon) == 2
    assert store.clear_everything() == 2 and store.count(whole_class) == 0


def test_arrays_and_export_round_trip(store, tmp_path):
    labels = [3, 1, 4, 1, 5]
    for label in labels:
        add(store, label, nickname="Ada")
    x, y, ids = store.arrays(Scope.person("s1", "Ada"))
    assert x.shape == (5, 28, 28) and x.dtype == np.uint8 and y.tolist() == labels  # oldest first
    data = store.export_zip(Scope.person("s1", "Ada"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        with np.load(io.BytesIO(archive.read("digits.npz")), allow_pickle=False) as npz:
            assert np.array_equal(npz["x"], x) and np.array_equal(npz["y"], y) and npz["ids"].tolist() == ids
    assert sorted(n for n in names if n.startswith("canvas/")) == sorted(
        f"canvas/{i}-label{label}.png" for i, label in zip(ids, labels))
    path = tmp_path / "mine.zip"
    path.write_bytes(data)
    x2, y2 = load_extra(path)  # train.py --extra-data takes the export as it is
    assert np.array_equal(x2, x) and np.array_equal(y2, y)


def test_not_a_digit_drawings_are_kept_apart_from_the_digits(store, tmp_path):
    ada = Scope.person("s1", "Ada")
    add(store, 3, nickname="Ada")
    other = add(store, NOT_A_DIGIT, nickname="Ada", predicted=4)
    add(store, 7, nickname="Ada")
    assert not other.misread  # the stored top digit cannot tell whether the model was "not sure"
    assert store.counts(ada)[NOT_A_DIGIT] == 1 and store.count(ada) == 3
    assert [d.id for d in store.gallery(ada)[NOT_A_DIGIT]] == [other.id]
    x, y, ids = store.arrays(ada)
    assert y.tolist() == [3, 7] and other.id not in ids  # the digits only: confusion matrices stay 10×10
    others, y_others, other_ids = store.arrays(ada, not_digits=True)
    assert others.shape == (1, 28, 28) and y_others.tolist() == [NOT_A_DIGIT] and other_ids == [other.id]
    data = store.export_zip(ada)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert f"canvas/{other.id}-not-a-digit.png" in archive.namelist()
        with np.load(io.BytesIO(archive.read("digits.npz")), allow_pickle=False) as npz:
            assert npz["y"].tolist() == [3, 7] and np.array_equal(npz["not_digits"], others)
            assert npz["not_digit_ids"].tolist() == [other.id]
    path = tmp_path / "mine.zip"
    path.write_bytes(data)
    x2, y2 = load_extra(path)  # train.py --extra-data reads the digits
    assert np.array_equal(x2, x) and y2.tolist() == [3, 7]
    store.delete_all(ada)
    add(store, NOT_A_DIGIT, nickname="Ada")  # only non-digits: still a valid export
    with zipfile.ZipFile(io.BytesIO(store.export_zip(ada))) as archive:
        with np.load(io.BytesIO(archive.read("digits.npz")), allow_pickle=False) as npz:
            assert npz["x"].shape == (0, 28, 28) and npz["not_digits"].shape == (1, 28, 28)


def test_empty_export_says_so(store):
    x, y, ids = store.arrays(Scope.class_collection())
    assert x.shape == (0, 28, 28) and y.shape == (0,) and ids == []
    with pytest.raises(ValueError, match="no labelled digits"):
        store.export_zip(Scope.class_collection())


def test_thirty_sessions_labelling_at_once_lose_nothing(store):
    sessions, each = 30, 5  # on a fresh database: the first labels also race to create the schema
    barrier = threading.Barrier(sessions)
    errors: list[BaseException] = []

    def label_some(n: int) -> None:
        try:
            barrier.wait()
            for k in range(each):
                add(store, (n + k) % 10, session=f"session-{n}", classroom=True)
        except BaseException as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=label_some, args=(n,)) for n in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    drawings = store.list(Scope.class_collection())
    assert len(drawings) == sessions * each and len({d.id for d in drawings}) == sessions * each
    for n in range(sessions):
        assert store.count(Scope.person(f"session-{n}")) == each


def test_bad_input_is_refused(store):
    for label in (11, -1, True, "3", 2.0, None):
        with pytest.raises(ValueError, match="label must be a digit 0–9 or 10 \\(not a digit\\)"):
            store.add(label=label, image=digit_image(), session_id="s1")
    with pytest.raises(ValueError, match="empty drawing"):
        store.add(label=1, image=np.zeros((28, 28), np.float32), session_id="s1")
    with pytest.raises(ValueError, match="28×28"):
        store.add(label=1, image=np.zeros((20, 20)), session_id="s1")
    with pytest.raises(ValueError, match="session id"):
        store.add(label=1, image=digit_image(), session_id="<>")
    with pytest.raises(ValueError, match="PNG"):
        store.add(label=1, image=digit_image(), session_id="s1", canvas=b"GIF89a")
    with pytest.raises(ValueError, match="confidence"):
        store.add(label=1, image=digit_image(), session_id="s1", confidence=1.5)
    with pytest.raises(ValueError):
        Scope.person("", "")
    assert store.count(Scope.person("s1")) == 0


def test_nickname_with_markup_or_ten_thousand_characters(store):
    add(store, 1, session="s1", nickname="<script>alert(1)</script>**Zoë** [x](http://e)")
    add(store, 2, session="s2", nickname="é" * 10_000)
    [first] = store.list(Scope.person("s1", "<script>alert(1)</script>**Zoë** [x](http://e)"))
    assert first.nickname == "alert1Zoë xhttpe"
    assert not set(first.nickname) & set("<>*[]()/:`_#")
    [second] = store.list(Scope.person("s2", "é" * 10_000))
    assert second.nickname == "é" * MAX_NICKNAME_CHARS


def test_clean_nickname():
    assert clean_nickname("  Ada \n Lovelace\t") == "Ada Lovelace"
    assert clean_nickname("<b>Zoë</b>") == "Zoë"
    assert clean_nickname("O'Brien-Smith Jr.") == "O'Brien-Smith Jr."
    assert clean_nickname("\x00\u202e<>") == "" and clean_nickname(None) == ""
    assert clean_nickname("ｗｉｄｅ") == "ｗｉｄｅ"  # NFC, not NFKC: different names stay apart


# --- SQLite specifics and faults ----------------------------------------------------------------

def test_sqlite_file_in_data_folder_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGIT_STUDIO_DATABASE_URL", raising=False)
    monkeypatch.setenv("DIGIT_STUDIO_DATA", str(tmp_path / "appdata"))
    store = DrawingStore()
    assert store.url == f"sqlite:///{tmp_path / 'appdata' / 'drawings.sqlite3'}"
    add(store, 1)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("SELECT version FROM schema_version").scalar() == SCHEMA_VERSION
    store.close()
    reopened = DrawingStore()  # the data outlives the store
    assert reopened.count(Scope.person("s1")) == 1
    reopened.close()
    monkeypatch.setenv("DIGIT_STUDIO_DATABASE_URL", "postgresql+psycopg://u:p@db:5432/digits")
    assert database_url() == "postgresql+psycopg://u:p@db:5432/digits"


def test_ids_are_not_reused_after_a_delete(sqlite_store):
    first = add(sqlite_store, 1)
    sqlite_store.clear_everything()
    assert add(sqlite_store, 1).id > first.id


def test_locked_database(sqlite_store):
    sqlite_store.ensure_schema()
    other = sqlite3.connect(sqlite_path(sqlite_store), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="locked"):
            add(sqlite_store, 1)
        assert "locked" in sqlite_store.problem()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert sqlite_store.problem() is None
    add(sqlite_store, 1)
    assert sqlite_store.count(Scope.person("s1")) == 1


def test_read_only_database(sqlite_store):
    add(sqlite_store, 1)
    sqlite_store.close()
    path = sqlite_path(sqlite_store)
    read_only = DrawingStore(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert read_only.count(Scope.person("s1")) == 1  # reading still works
    message = read_only.problem()
    assert message is not None and "read-only" in message
    with pytest.raises(StoreUnavailable, match="read-only"):
        add(read_only, 2)
    read_only.close()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_permissions(sqlite_store):
    add(sqlite_store, 1)
    sqlite_store.close()
    folder = os.path.dirname(sqlite_path(sqlite_store))
    for name in os.listdir(folder):
        os.chmod(os.path.join(folder, name), 0o444)
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(StoreUnavailable):
            add(DrawingStore(data_dir=folder), 2)
    finally:
        os.chmod(folder, 0o755)


def test_full_database(sqlite_store):
    from sqlalchemy import event

    sqlite_store.ensure_schema()
    with sqlite_store.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
    sqlite_store.close()

    @event.listens_for(sqlite_store.engine, "connect")
    def _cap(dbapi_connection, _record):  # as if the disk held only a few more pages
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 8}")

    noise = np.random.default_rng(0).integers(0, 256, (280, 280, 4), dtype=np.uint8)  # ~300 kB as PNG
    with pytest.raises(StoreUnavailable, match="full"):
        for _ in range(5):
            sqlite_store.add(label=1, image=digit_image(), session_id="s1", canvas=noise)


def test_corrupt_database_file(tmp_path):
    path = tmp_path / "drawings.sqlite3"
    path.write_bytes(b"this is not a database " * 500)
    store = DrawingStore(data_dir=tmp_path)
    message = store.problem()
    assert message is not None and "corrupt" in message and "\n" not in message
    with pytest.raises(StoreUnavailable, match="corrupt"):
        add(store, 1)
    with pytest.raises(StoreUnavailable, match="corrupt"):
        store.counts(Scope.class_collection())
    store.close()
    assert path.read_bytes().startswith(b"this is not a database")  # left as it was


def test_database_from_a_newer_app(sqlite_store):
    sqlite_store.ensure_schema()
    with sqlite_store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE schema_version SET version = 99")
    sqlite_store.close()
    with pytest.raises(StoreUnavailable, match="newer"):
        add(sqlite_store, 1)


def test_migrates_an_empty_versioned_database(tmp_path):
    path = tmp_path / "drawings.sqlite3"
    with sqlite3.connect(path) as connection:  # as a crash right after creating the version table leaves it
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        connection.execute("INSERT INTO schema_version VALUES (0)")
    store = DrawingStore(data_dir=tmp_path)
    assert store.ensure_schema() == SCHEMA_VERSION
    add(store, 1)
    store.close()


def test_unreachable_postgres_is_one_line():
    store = DrawingStore("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    message = store.problem()
    assert message is not None and message.startswith("Labelling is off:") and "\n" not in message
    assert "secret" not in message
    with pytest.raises(StoreUnavailable):
        store.count(Scope.class_collection())


def test_labelling_spam_is_throttled(tmp_path):
    now = [1000.0]
    store = DrawingStore(data_dir=tmp_path, rate_limit=100, rate_window=60, clock=lambda: now[0])
    for k in range(100):
        now[0] += 0.1
        add(store, k % 10, session="spammer")
    with pytest.raises(LabellingThrottled, match="wait") as caught:
        add(store, 1, session="spammer")
    assert 0 < caught.value.retry_after <= 60
    add(store, 1, session="someone-else")  # other sessions label on
    now[0] += 60
    add(store, 1, session="spammer")
    assert store.count(Scope.person("spammer")) == 101
    store.close()


def test_servers_starting_together_create_the_schema_once(store):
    """Several app processes (replicas) opening a fresh database at the same moment."""
    import subprocess
    import sys
    import time

    start = time.time() + 3  # each process waits for this moment, so the schema races for real
    script = ("import sys, time, numpy as np\n"
              "from digitstudio.storage.drawings import DrawingStore\n"
              "store = DrawingStore(sys.argv[1])\n"
              "time.sleep(max(0, float(sys.argv[2]) - time.time()))\n"
              "store.add(label=1, image=np.ones((28, 28), np.float32), session_id=sys.argv[3])\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, store.url, str(start), f"proc-{n}"],
                              cwd=os.path.dirname(os.path.dirname(__file__)), stderr=subprocess.PIPE, text=True)
             for n in range(4)]
    errors = [proc.communicate(timeout=60)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, errors
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM schema_version").scalar() == 1
    assert sum(store.count(Scope.person(f"proc-{n}")) for n in range(4)) == 4
