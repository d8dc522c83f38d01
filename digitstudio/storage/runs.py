"""The runs folder: one sub-folder per training run, shared by every session.

    runs/
      20250101-093000-my-first-cnn/   the id: UTC time of creation, then the label
        model.keras   only for runs whose status keeps a model (completed, stopped, uploaded)
        run.json      the run's record (training.fit.TrainResult.run_record()) + id, label, created
        logs/         TensorBoard logs of the training (train/, validation/)
        insides.npz   the snapshots of the insides (training/snapshots.py), when taken

This module is the one place that knows that layout (`model_path`, `record_path`,
`logs_path`, `insides_path`) and the run's status (`RunStatus`) and kind (`RunKind`).

Run ids are plain names ([a-z0-9-]) and every path is checked to stay inside the
root, so an id typed into a URL or form can never read, write or delete anything
else. Writes are atomic (temporary file + rename) and a run becomes visible only
once its run.json exists, so readers never see half a run. The root folder is
(re)created whenever it is needed: deleting it while the app runs just empties
the list.
"""

from __future__ import annotations

import enum
import json
import os
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digitstudio.settings import settings
from digitstudio.storage.files import atomic_write, save_model_atomic, write_json_atomic

MODEL_FILE = "model.keras"
RECORD_FILE = "run.json"
LOGS_FOLDER = "logs"  # TensorBoard event files of the training
INSIDES_FILE = "insides.npz"  # snapshots of the insides (training/snapshots.py)
MAX_LABEL_CHARS = 40


class RunStatus(str, enum.Enum):
    """How a run ended (the "status" of its record)."""

    COMPLETED = "completed"
    STOPPED = "stopped"  # stopped early by request: the model keeps the weights it had
    DIVERGED = "diverged"  # the loss became NaN/inf (or the result was unusable): no model
    FAILED = "failed"  # an error: no model
    UPLOADED = "uploaded"  # a model file someone uploaded, not a training here

    @property
    def keeps_model(self) -> bool:
        """Completed, stopped and uploaded runs have a model file; the others do not."""
        return self in (RunStatus.COMPLETED, RunStatus.STOPPED, RunStatus.UPLOADED)


class RunKind(str, enum.Enum):
    """What made a run (the "kind" of its record; records older than this field are "train")."""

    TRAIN = "train"  # a training from the sidebar or train.py
    FINETUNE = "finetune"  # Teach the model on one person's drawings
    CLASS_FINETUNE = "class_finetune"  # the teacher's Teach the model on the class's drawings
    UPLOAD = "upload"  # an uploaded model file


def run_kind(record: dict[str, Any]) -> RunKind:
    """A record's kind; RunKind.TRAIN for records written before kinds were recorded."""
    try:
        return RunKind(record.get("kind") or RunKind.TRAIN)
    except ValueError:
        return RunKind.TRAIN


def now_utc() -> datetime:
    return datetime.now(UTC)


def created_at(record: dict[str, Any]) -> datetime:
    """When a run was created, as an aware UTC datetime (records store ISO 8601 with an
    offset; one without an offset is read as UTC; an unreadable one sorts first)."""
    try:
        when = datetime.fromisoformat(str(record.get("created", "")))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)

# A run id: lower-case letters, digits and single dashes; no dots or slashes, so it
# can only ever name a direct child of the root.
_ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_ID_CHARS = 80


class RunNotFoundError(LookupError):
    """No readable run with this id."""


def sanitize_label(label: Any) -> str:
    """'My CNN #2 (fast)!' → 'my-cnn-2-fast': only [a-z0-9-], at most 40 characters."""
    text = re.sub(r"[^a-z0-9]+", "-", str(label or "").lower()).strip("-")
    text = text[:MAX_LABEL_CHARS].strip("-")
    return text or "run"


def is_valid_run_id(run_id: Any) -> bool:
    return isinstance(run_id, str) and len(run_id) <= _MAX_ID_CHARS and bool(_ID_PATTERN.fullmatch(run_id))


class RunStore:
    def __init__(self, root: str | os.PathLike | None = None):
        chosen = root if root is not None else settings().runs  # DIGIT_STUDIO_RUNS
        # Absolute now, so a later chdir cannot move the store.
        self.root = Path(chosen).expanduser().absolute()

    # --- paths ------------------------------------------------------------------------

    def ensure_root(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def resolve(self, run_id: str) -> Path:
        """The folder of a run; ValueError for anything but a plain run id that stays
        directly inside the root (no '..', no absolute paths, no symlinks out)."""
        if not is_valid_run_id(run_id):
            raise ValueError(f"Not a valid run id: {run_id!r} (only a-z, 0-9 and '-').")
        folder = self.root / run_id
        real_root = self.root.resolve()
        if folder.resolve().parent != real_root or folder.is_symlink():
            raise ValueError(f"Run id {run_id!r} does not stay inside the runs folder.")
        return folder

    def model_path(self, run_id: str) -> Path:
        return self.resolve(run_id) / MODEL_FILE

    def record_path(self, run_id: str) -> Path:
        return self.resolve(run_id) / RECORD_FILE

    def logs_path(self, run_id: str) -> Path:
        return self.resolve(run_id) / LOGS_FOLDER

    def insides_path(self, run_id: str) -> Path:
        return self.resolve(run_id) / INSIDES_FILE

    def scratch_logs(self, name: str) -> Path:
        """A hidden folder under the root for TensorBoard logs written while a job trains
        (not a valid run id, so never listed); `save(log_dir=…)` moves it into the run."""
        return self.root / f".logs-{sanitize_label(name)}"

    # --- writing ----------------------------------------------------------------------

    def new_run_id(self, label: str = "") -> str:
        """A fresh id 'YYYYmmdd-HHMMSS-label', the time in UTC (suffixed -2, -3… when taken),
        so ids from servers in other time zones, or from before a clock change, still read in
        order. The folder is created here: mkdir is atomic, so two threads or processes can't
        get the same id."""
        self.ensure_root()
        base = f"{now_utc():%Y%m%d-%H%M%S}-{sanitize_label(label)}"
        for attempt in range(1, 1000):
            run_id = base if attempt == 1 else f"{base}-{attempt}"
            try:
                self.resolve(run_id).mkdir(parents=True)  # parents: the root may just have been deleted
                return run_id
            except FileExistsError:
                continue
        raise RuntimeError(f"Could not find a free run id for {base!r}.")

    def save(self, record: dict[str, Any], model: Any = None, label: str = "",
             log_dir: str | os.PathLike | None = None, model_bytes: bytes | None = None) -> dict[str, Any]:
        """Record a finished run: `record` is its JSON-ready record (with a "status", a
        RunStatus value; `training.fit.TrainResult.run_record()`), `model` its Keras model,
        saved first when the status keeps one (or `model_bytes`, the .keras file's bytes, when
        it was trained in another process). run.json is written last, which makes the
        run visible; on any failure the half-made folder is removed. log_dir: TensorBoard
        logs written while training, moved into the run folder as logs/ so
        `tensorboard --logdir runs/` shows the run by its id."""
        run_id = self.new_run_id(label)
        folder = self.resolve(run_id)
        try:
            saves_model = RunStatus(record["status"]).keeps_model and (model is not None or model_bytes is not None)
            if saves_model and model_bytes is not None:
                atomic_write(folder / MODEL_FILE, lambda tmp: tmp.write_bytes(model_bytes))
            elif saves_model:
                save_model_atomic(model, folder / MODEL_FILE)
            if log_dir is not None and Path(log_dir).is_dir():
                shutil.move(str(log_dir), folder / LOGS_FOLDER)
            record = {**record, "id": run_id, "label": str(label or ""), "created": _created_now()}
            if saves_model:
                record["model_file"] = MODEL_FILE
            write_json_atomic(record, folder / RECORD_FILE)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return {**record, "has_model": saves_model}

    def save_model_file(self, data: bytes, label: str = "", info: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record a model that did not come from a training here (an upload) as a run:
        the bytes become model.keras, `info` goes into run.json with status "uploaded".
        Check the bytes first (models.load_uploaded_model): this only stores them."""
        run_id = self.new_run_id(label)
        folder = self.resolve(run_id)
        record = {
            **(info or {}), "id": run_id, "label": str(label or ""), "status": RunStatus.UPLOADED.value,
            "kind": RunKind.UPLOAD.value, "created": _created_now(), "model_file": MODEL_FILE,
        }
        try:
            atomic_write(folder / MODEL_FILE, lambda tmp: tmp.write_bytes(data))
            write_json_atomic(record, folder / RECORD_FILE)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return {**record, "has_model": True}

    def update(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge `changes` into a run's run.json (atomically) and return the new record;
        RunNotFoundError when there is no such run. For facts learned after saving, such
        as the pixel scale a person chose for an uploaded model."""
        folder = self.resolve(run_id)
        record = _read_record(folder / RECORD_FILE)
        if record is None:
            raise RunNotFoundError(f"No run {run_id!r} in {self.root}.")
        record = {**record, **changes, "id": run_id}
        write_json_atomic(record, folder / RECORD_FILE)
        return _with_model_flag(record, run_id, folder)

    def delete(self, run_id: str) -> bool:
        """Remove a run; False if there was none. The folder is first renamed to a hidden
        name (not a valid id) so list() never sees a half-deleted run."""
        folder = self.resolve(run_id)
        if not folder.is_dir():
            return False
        trash = self.root / f".deleting-{run_id}-{uuid.uuid4().hex[:8]}"
        try:
            folder.rename(trash)
        except FileNotFoundError:
            return False  # someone else deleted it first
        shutil.rmtree(trash, ignore_errors=True)
        return True

    # --- reading ----------------------------------------------------------------------

    def get(self, run_id: str) -> dict[str, Any]:
        """The run's record plus has_model; RunNotFoundError if missing or unreadable."""
        folder = self.resolve(run_id)
        record = _read_record(folder / RECORD_FILE)
        if record is None:
            raise RunNotFoundError(f"No run {run_id!r} in {self.root}.")
        return _with_model_flag(record, run_id, folder)

    def list(self) -> list[dict[str, Any]]:
        """Every readable run, newest first. Folders without a valid run.json (being
        written, half-deleted, corrupt, foreign) and loose files are skipped."""
        runs = []
        for folder in self._run_folders():
            record = _read_record(folder / RECORD_FILE)
            if record is not None:
                runs.append(_with_model_flag(record, folder.name, folder))
        runs.sort(key=lambda run: (created_at(run), run["id"]), reverse=True)
        return runs

    def _run_folders(self) -> list[Path]:
        try:
            entries = list(self.ensure_root().iterdir())
        except OSError:
            return []  # root vanished or unreadable between the calls: nothing to list
        return [entry for entry in entries
                if is_valid_run_id(entry.name) and entry.is_dir() and not entry.is_symlink()]


def _created_now() -> str:
    return now_utc().isoformat(timespec="seconds")


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None


def _with_model_flag(record: dict[str, Any], run_id: str, folder: Path) -> dict[str, Any]:
    # The folder name is the id that resolve() accepts, whatever the file says.
    return {**record, "id": run_id, "has_model": (folder / MODEL_FILE).is_file()}
