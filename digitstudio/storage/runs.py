"""The runs folder: one sub-folder per training run, shared by every session.

    runs/
      20250101-093000-my-first-cnn/
        model.keras   only for completed or stopped runs
        run.json      TrainResult.metrics() + id, label, created, curve, command
        logs/         TensorBoard logs of the training (train/, validation/)

Run ids are plain names ([a-z0-9-]) and every path is checked to stay inside the
root, so an id typed into a URL or form can never read, write or delete anything
else. Writes are atomic (temporary file + rename) and a run becomes visible only
once its run.json exists, so readers never see half a run. The root folder is
(re)created whenever it is needed: deleting it while the app runs just empties
the list.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from digitstudio.modeling.cli import command_line
from digitstudio.storage.files import atomic_write, save_model_atomic, write_json_atomic
from digitstudio.training.fit import TrainResult

ENV_VAR = "DIGIT_STUDIO_RUNS"
DEFAULT_ROOT = "runs"
MODEL_FILE = "model.keras"
RECORD_FILE = "run.json"
LOGS_FOLDER = "logs"  # TensorBoard event files of the training
MAX_LABEL_CHARS = 40
SAVED_MODEL_STATUSES = ("completed", "stopped")

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
        chosen = root if root is not None else (os.environ.get(ENV_VAR, "").strip() or DEFAULT_ROOT)
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

    # --- writing ----------------------------------------------------------------------

    def new_run_id(self, label: str = "") -> str:
        """A fresh id 'YYYYmmdd-HHMMSS-label' (suffixed -2, -3… when taken). The folder is
        created here: mkdir is atomic, so two threads or processes can't get the same id."""
        self.ensure_root()
        base = f"{datetime.now():%Y%m%d-%H%M%S}-{sanitize_label(label)}"
        for attempt in range(1, 1000):
            run_id = base if attempt == 1 else f"{base}-{attempt}"
            try:
                self.resolve(run_id).mkdir(parents=True)  # parents: the root may just have been deleted
                return run_id
            except FileExistsError:
                continue
        raise RuntimeError(f"Could not find a free run id for {base!r}.")

    def save(self, result: TrainResult, label: str = "", log_dir: str | os.PathLike | None = None) -> dict[str, Any]:
        """Record a finished run: the model first (completed/stopped only), then run.json,
        which makes the run visible. On any failure the half-made folder is removed.
        log_dir: TensorBoard logs written while training (fit.train's log_dir), moved into
        the run folder as logs/ so `tensorboard --logdir runs/` shows the run by its id."""
        run_id = self.new_run_id(label)
        folder = self.resolve(run_id)
        try:
            saves_model = result.status in SAVED_MODEL_STATUSES and result.model is not None
            if saves_model:
                save_model_atomic(result.model, folder / MODEL_FILE)
            if log_dir is not None and Path(log_dir).is_dir():
                shutil.move(str(log_dir), folder / LOGS_FOLDER)
            record = self._record(result, run_id, label, saves_model)
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
            **(info or {}), "id": run_id, "label": str(label or ""), "status": "uploaded",
            "created": datetime.now().astimezone().isoformat(timespec="seconds"), "model_file": MODEL_FILE,
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

    @staticmethod
    def _record(result: TrainResult, run_id: str, label: str, has_model: bool) -> dict[str, Any]:
        record = {
            "id": run_id,
            "label": str(label or ""),
            "created": datetime.now().astimezone().isoformat(timespec="seconds"),
            **result.metrics(),
            "curve": list(result.curve),
            "command": command_line(result.spec),
        }
        if has_model:
            record["model_file"] = MODEL_FILE
        return record

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
        runs.sort(key=lambda run: (str(run.get("created", "")), run["id"]), reverse=True)
        return runs

    def _run_folders(self) -> list[Path]:
        try:
            entries = list(self.ensure_root().iterdir())
        except OSError:
            return []  # root vanished or unreadable between the calls: nothing to list
        return [entry for entry in entries
                if is_valid_run_id(entry.name) and entry.is_dir() and not entry.is_symlink()]

    def load_model(self, run_id: str):
        """The run's Keras model via models.load_model (safe_mode, shape check);
        ModelFileError when the run has no usable model."""
        from digitstudio.storage.model_files import (
            load_model,  # Keras is imported only when a model is needed
        )

        return load_model(self.model_path(run_id))


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None


def _with_model_flag(record: dict[str, Any], run_id: str, folder: Path) -> dict[str, Any]:
    # The folder name is the id that resolve() accepts, whatever the file says.
    return {**record, "id": run_id, "has_model": (folder / MODEL_FILE).is_file()}
