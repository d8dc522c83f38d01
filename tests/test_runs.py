"""The runs folder: round trips, corrupt and half-written runs, a deleted root, id
sanitising, path-traversal refusals and atomic saves. No training: the models are
built untrained, so this file needs no MNIST and runs in a few seconds."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime

import numpy as np
import pytest

from digitstudio.modeling.build import build_model
from digitstudio.modeling.spec import ModelSpec, parse_layers
from digitstudio.settings import ROOT
from digitstudio.storage import runs as runs_module
from digitstudio.storage.model_files import ModelFileError, load_model
from digitstudio.storage.runs import RunKind, RunNotFoundError, RunStatus, RunStore, sanitize_label
from digitstudio.training.fit import TrainResult

SPEC = ModelSpec(layers=parse_layers("dense:8:relu"), epochs=2, batch_size=32, train_size=100)


def make_result(status: str = "completed", with_model: bool = True) -> TrainResult:
    return TrainResult(
        model=build_model(SPEC) if with_model else None, spec=SPEC, status=status,
        history={"loss": [1.5, 0.9], "accuracy": [0.5, 0.7]}, test_loss=0.8, test_accuracy=0.75,
        params=6370, train_seconds=1.25, data_source="test", message="",
        curve=[{"epoch": 0.5, "loss": 2.0, "accuracy": 0.3}, {"epoch": 1.0, "loss": 1.5, "accuracy": 0.5}],
    )


def save(store: RunStore, result: TrainResult, label: str = "", **kwargs) -> dict:
    """Record a training's result as the queue does."""
    return store.save(result.run_record(), result.model, label, **kwargs)


@pytest.fixture
def store(tmp_path) -> RunStore:
    return RunStore(tmp_path / "runs")


def all_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_save_list_get_load_delete_round_trip(store):
    saved = save(store, make_result(), label="My first model")
    run_id = saved["id"]
    assert re.fullmatch(r"\d{8}-\d{6}-my-first-model", run_id)
    assert saved["has_model"] and saved["status"] == "completed" and saved["label"] == "My first model"
    assert saved["curve"][-1]["epoch"] == 1.0
    assert saved["command"].startswith("python train.py --layers 'dense:8:relu'")
    assert saved["created"] and saved["test_accuracy"] == 0.75 and saved["epochs_completed"] == 2

    listed = store.list()
    assert [run["id"] for run in listed] == [run_id]
    assert listed[0]["has_model"] is True
    assert store.get(run_id) == listed[0]
    assert json.loads((store.root / run_id / "run.json").read_text())["id"] == run_id

    model = load_model(store.model_path(run_id))
    assert model.predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0).shape == (2, 10)

    assert store.delete(run_id) is True
    assert store.list() == []
    assert all_files(store.root) == []  # nothing left behind, not even the trash folder
    with pytest.raises(RunNotFoundError):
        store.get(run_id)
    assert store.delete(run_id) is False


@pytest.mark.parametrize("status", ["diverged", "failed"])
def test_runs_without_a_model_are_recorded_without_one(store, status):
    saved = save(store, make_result(status), label="bad")
    assert saved["has_model"] is False and "model_file" not in saved
    assert not store.model_path(saved["id"]).exists()
    assert store.list()[0]["status"] == status
    with pytest.raises(ModelFileError):
        load_model(store.model_path(saved["id"]))


def test_list_is_newest_first_and_skips_corrupt_or_partial_runs(store):
    old = save(store, make_result(with_model=False), label="old")["id"]
    new = save(store, make_result(with_model=False), label="new")["id"]
    record = json.loads((store.root / old / "run.json").read_text())
    record["created"] = "2000-01-01T00:00:00+00:00"
    (store.root / old / "run.json").write_text(json.dumps(record))

    (store.root / "20200101-000000-corrupt").mkdir()
    (store.root / "20200101-000000-corrupt" / "run.json").write_text('{"id": "half-writ')
    (store.root / "20200101-000000-not-a-dict").mkdir()
    (store.root / "20200101-000000-not-a-dict" / "run.json").write_text("[1, 2]")
    (store.root / "20200101-000000-being-written").mkdir()  # model saved, run.json not yet
    (store.root / "20200101-000000-being-written" / "model.keras").write_bytes(b"partial")
    (store.root / ".deleting-x-1234").mkdir()
    (store.root / "seed-mlp.keras").write_bytes(b"train.py output lives here too")
    (store.root / "Not_A_Valid_Id").mkdir()
    (store.root / "Not_A_Valid_Id" / "run.json").write_text("{}")

    assert [run["id"] for run in store.list()] == [new, old]
    with pytest.raises(RunNotFoundError):
        store.get("20200101-000000-corrupt")


def test_a_deleted_root_is_recreated(store):
    save(store, make_result(with_model=False), label="before")
    shutil.rmtree(store.root)
    assert store.list() == []
    assert store.root.is_dir()
    shutil.rmtree(store.root)
    saved = save(store, make_result(), label="after")
    assert [run["id"] for run in store.list()] == [saved["id"]]


def test_root_defaults_to_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGIT_STUDIO_RUNS", str(tmp_path / "from-env"))
    assert RunStore().root == tmp_path / "from-env"
    monkeypatch.delenv("DIGIT_STUDIO_RUNS")
    monkeypatch.chdir(tmp_path)  # the default is the repository's runs/, whatever the working directory
    assert RunStore().root == ROOT / "runs"


def test_runs_sort_by_time_across_time_zones_and_ids_are_utc(store):
    """A run created after a restart with another TZ (or after the autumn clock change)
    sorts by when it happened, not by its text."""
    early = save(store, make_result(with_model=False), label="early")["id"]
    late = save(store, make_result(with_model=False), label="late")["id"]
    for run_id, created in ((early, "2026-10-25T02:30:00+02:00"), (late, "2026-10-25T01:10:00+00:00")):
        record = json.loads(store.record_path(run_id).read_text())
        record["created"] = created  # 00:30 UTC, then 01:10 UTC: as text, the other way round
        store.record_path(run_id).write_text(json.dumps(record))
    assert [run["id"] for run in store.list()] == [late, early]
    fresh = save(store, make_result(with_model=False), label="now")
    stamp = datetime.strptime(fresh["id"][:15], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60, "the id's time is UTC"
    assert fresh["created"].endswith("+00:00") and fresh["kind"] == RunKind.TRAIN
    assert RunStatus(fresh["status"]) is RunStatus.COMPLETED and not RunStatus.FAILED.keeps_model


def test_run_ids_are_sanitised_and_unique(store):
    assert sanitize_label("My CNN #2 (fast)!") == "my-cnn-2-fast"
    assert sanitize_label("../../etc/passwd") == "etc-passwd"
    assert sanitize_label("  ") == "run" and sanitize_label(None) == "run"
    assert len(sanitize_label("x" * 200)) == 40
    first = store.new_run_id("Same label")
    second = store.new_run_id("Same label")
    assert first != second and second.startswith(first.rsplit("-", 1)[0])
    for run_id in (first, second, store.new_run_id("/abs/../path\\with\x00junk é")):
        assert re.fullmatch(r"[a-z0-9-]+", run_id) and len(run_id) <= 70
        assert store.resolve(run_id).parent == store.root


BAD_IDS = ["../outside", "..", ".", "", "/etc", "a/b", "a\\b", "Upper", ".hidden", "x.keras",
           "run id", "-leading", "trailing-", "a--b", None, 7]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_ids_that_are_not_plain_names_are_refused(store, bad):
    with pytest.raises(ValueError):
        store.resolve(bad)


def test_path_traversal_cannot_read_write_or_delete_outside_the_root(tmp_path, store):
    # A complete-looking run right beside the root: the target of '../outside'.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "run.json").write_text(json.dumps({"id": "outside", "created": "x"}))
    save(store, make_result(), label="inside")
    before = all_files(tmp_path)

    for method in (store.get, store.delete, store.model_path, store.record_path, store.insides_path):
        with pytest.raises(ValueError):
            method("../outside")
        with pytest.raises(ValueError):
            method(str(outside))  # absolute path

    # A symlink inside the root pointing out is neither listed nor usable.
    (store.root / "sneaky-link").symlink_to(outside, target_is_directory=True)
    assert "sneaky-link" not in [run["id"] for run in store.list()]
    for method in (store.get, store.delete, store.model_path):
        with pytest.raises(ValueError):
            method("sneaky-link")

    assert all_files(tmp_path) == sorted(before + ["runs/sneaky-link"])
    assert (outside / "run.json").is_file()


def test_a_failing_model_save_leaves_no_partial_files(store, monkeypatch):
    result = make_result()

    def broken_save(path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"half a model")  # as a full disk would leave it
        raise OSError("No space left on device")

    monkeypatch.setattr(result.model, "save", broken_save)
    with pytest.raises(OSError, match="No space left"):
        save(store, result, label="doomed")
    assert all_files(store.root) == []
    assert store.list() == []


def test_a_failing_json_write_leaves_no_model_behind(store, monkeypatch):
    def broken_write(data, path):
        raise OSError("disk full")

    monkeypatch.setattr(runs_module, "write_json_atomic", broken_write)
    with pytest.raises(OSError):
        save(store, make_result(), label="doomed")
    assert all_files(store.root) == []
