"""A process-wide training queue shared by every browser session of one server.

The app creates one `TrainingManager` (st.cache_resource) and every session
submits to it. Jobs run on worker threads, `max_concurrent` at a time (env
DIGIT_STUDIO_MAX_TRAININGS, default 1: two CPU cores are already fully used by one
training), the rest wait in FIFO order with a queue position.

Threading rules:
* One lock guards all job state. Keras's callback thread only appends plain numbers
  under it (`_on_progress`), so a session polling `snapshot()` never waits on
  training and never touches a Keras object.
* `snapshot()` / `list_jobs()` return fresh plain dicts and lists (copies).
* A worker catches everything a job can throw, so one bad job can never stop the queue.
* The manager never touches a session's active model: a session asks for a finished
  job's model with `model(job_id)` and decides itself whether to use it.

Memory: after each job the worker drops its references and runs `gc.collect()`.
TensorFlow itself leaks every training's traced train-step graphs: graph-mode
`tf.custom_gradient` (used by tf.distribute's all_reduce in Keras's train step)
registers a gradient function per trace in a global registry and never removes
it, and that closure keeps the whole FuncGraph alive (measured: RSS grew about
8 MiB per tiny-MLP training and about 24 MiB per small-CNN training). `_forget_traced_gradients()` removes
the entries registered while jobs ran, once no job is running (the entries are
only read while a train step is being traced, so they are dead by then); RSS then
levels off. It deliberately does not call `keras.backend.clear_session()`: that
does not free these graphs, and it replaces Keras's thread-local scope state for
*every* thread at once (and clears TF's kernel cache), so it could disturb
another session that is loading a model or predicting at that moment.
"""

from __future__ import annotations

import gc
import itertools
import os
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from digitstudio.data.mnist import ENV_VAR as DATA_ENV_VAR
from digitstudio.data.mnist import DataError, MnistData
from digitstudio.modeling.spec import ModelSpec, SpecError, count_params, validate
from digitstudio.storage.runs import RunStore
from digitstudio.training import fit as training

MAX_CONCURRENT_ENV = "DIGIT_STUDIO_MAX_TRAININGS"
FINAL_STATES = ("completed", "stopped", "diverged", "failed", "cancelled")
STATES = ("queued", "running", *FINAL_STATES)
MODEL_STATES = ("completed", "stopped")  # states whose model is kept and saved
MAX_FINISHED_JOBS = 50  # finished jobs remembered in memory (their runs stay on disk)
MODELS_KEPT = 4  # finished jobs whose Keras model stays in memory; older ones load from disk


def max_concurrent_from_env(default: int = 1) -> int:
    raw = os.environ.get(MAX_CONCURRENT_ENV, "").strip()
    try:
        return max(1, int(raw)) if raw else default
    except ValueError:
        return default


def _empty_progress(epochs: int = 0) -> dict[str, float]:
    return {"epoch": 0, "epochs": epochs, "batch": 0, "batches": 0, "elapsed": 0.0, "eta": None}


def _one_line(exc: BaseException) -> str:
    """An exception as one short line (TF errors can run to pages)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text[:300]


@dataclass
class _Job:
    id: str
    label: str
    owner: str
    spec: ModelSpec
    params: int
    created: float = field(default_factory=time.time)
    state: str = "queued"
    stop_event: threading.Event = field(default_factory=threading.Event)
    started: float | None = None
    finished: float | None = None
    progress: dict[str, Any] = field(default_factory=_empty_progress)
    history: dict[str, list[float]] = field(default_factory=dict)
    curve: list[dict[str, float]] = field(default_factory=list)
    message: str = ""
    run_id: str | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    train_seconds: float | None = None
    model: Any = None  # keras.Model, only for completed/stopped; never leaves via snapshot()
    finish_order: int = 0  # increasing; clearer than timestamps, which can tie


class TrainingManager:
    def __init__(self, store: RunStore, load_data: Callable[[], MnistData],
                 max_concurrent: int | None = None, max_finished: int = MAX_FINISHED_JOBS,
                 models_kept: int = MODELS_KEPT):
        self.store = store
        self.load_data = load_data
        self.max_concurrent = max(1, int(max_concurrent)) if max_concurrent else max_concurrent_from_env()
        self.max_finished = max(1, max_finished)
        self.models_kept = max(0, models_kept)
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)  # a job was queued / shutdown
        self._job_changed = threading.Condition(self._lock)  # a job reached a final state
        self._jobs: dict[str, _Job] = {}  # submission order
        self._queue: deque[str] = deque()
        self._workers: list[threading.Thread] = []
        self._closing = False
        self._gradients_before_jobs: set[str] | None = None  # see _forget_traced_gradients
        self._finish_counter = itertools.count(1)
        self._data: MnistData | None = None
        self._data_lock = threading.Lock()  # one load at a time; the result is shared

    # --- submitting and controlling ---------------------------------------------------

    def submit(self, spec: ModelSpec | dict, label: str = "", owner: str = "") -> str:
        """Queue a training; returns its job id. A bad spec raises SpecError and
        nothing is queued."""
        if isinstance(spec, dict):
            spec = ModelSpec.from_dict(spec)
        if not isinstance(spec, ModelSpec):
            raise SpecError("submit() needs a ModelSpec.")
        spec = validate(spec)
        job = _Job(id=uuid.uuid4().hex[:12], label=str(label or ""), owner=str(owner or ""),
                   spec=spec, params=count_params(spec))
        job.progress = _empty_progress(spec.epochs)
        with self._lock:
            if self._closing:
                raise RuntimeError("The training manager is shut down.")
            self._jobs[job.id] = job
            self._queue.append(job.id)
            self._start_workers_locked()
            self._work_ready.notify()
        return job.id

    def stop(self, job_id: str) -> bool:
        """Stop a running job at its next batch (recorded as stopped, model saved) or
        cancel a queued one. False if the job is unknown or already finished."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return False
            if job.state == "queued":
                self._queue.remove(job_id)
                self._finish_locked(job, "cancelled", "Cancelled before it started.")
                return True
            if job.state == "running":
                job.stop_event.set()
                return True
            return False

    def wait(self, job_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job is finished; its snapshot. TimeoutError if it isn't
        finished within `timeout` seconds, KeyError for an unknown job."""
        with self._lock:
            if job_id not in self._jobs:
                raise KeyError(job_id)
            done = self._job_changed.wait_for(
                lambda: job_id not in self._jobs or self._jobs[job_id].state in FINAL_STATES, timeout)
            if not done:
                raise TimeoutError(f"Job {job_id} is still {self._jobs[job_id].state} after {timeout}s.")
        return self.snapshot(job_id) or {"job_id": job_id, "state": "forgotten"}

    def shutdown(self, wait: bool = True, timeout: float | None = 30.0) -> None:
        """Cancel queued jobs, stop running ones and let the workers exit (tests, CLIs)."""
        with self._lock:
            self._closing = True
            for job_id in list(self._queue):
                self._finish_locked(self._jobs[job_id], "cancelled", "Cancelled: the server is shutting down.")
            self._queue.clear()
            for job in self._jobs.values():
                if job.state == "running":
                    job.stop_event.set()
            self._work_ready.notify_all()
            workers = list(self._workers)
        if wait:
            for worker in workers:
                worker.join(timeout)

    # --- reading (plain data only) ----------------------------------------------------

    def snapshot(self, job_id: str) -> dict[str, Any] | None:
        """Plain-data view of a job, or None if unknown (or forgotten: only the last
        MAX_FINISHED_JOBS finished jobs are remembered; their runs stay in the store)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            return {
                **self._summary_locked(job),
                "history": {key: list(values) for key, values in job.history.items()},
                "curve": [dict(point) for point in job.curve],
                "spec": job.spec.to_dict(),
            }

    def list_jobs(self, owner: str | None = None) -> list[dict[str, Any]]:
        """Running jobs, then queued ones in queue order, then finished ones newest
        first; without history/curve (use snapshot for those)."""
        with self._lock:
            jobs = [job for job in self._jobs.values() if owner is None or job.owner == owner]
            running = [job for job in jobs if job.state == "running"]
            queued = sorted((job for job in jobs if job.state == "queued"), key=self._position_locked)
            finished = sorted((job for job in jobs if job.state in FINAL_STATES),
                              key=lambda job: job.finish_order, reverse=True)
            return [self._summary_locked(job) for job in running + queued + finished]

    def model(self, job_id: str):
        """The trained Keras model of a completed/stopped job, else None. Older jobs'
        models are loaded from the run store (None if that run was deleted)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state not in MODEL_STATES:
                return None
            model, run_id = job.model, job.run_id
        if model is not None:
            return model
        if run_id is None:
            return None
        try:
            return self.store.load_model(run_id)
        except Exception:  # run deleted or unreadable: no model to offer
            return None

    def _summary_locked(self, job: _Job) -> dict[str, Any]:
        return {
            "job_id": job.id, "label": job.label, "owner": job.owner, "state": job.state,
            "queue_position": self._position_locked(job), "progress": dict(job.progress),
            "message": job.message, "run_id": job.run_id, "test_accuracy": job.test_accuracy,
            "test_loss": job.test_loss, "params": job.params, "train_seconds": job.train_seconds,
            "created": job.created, "started": job.started, "finished": job.finished,
            "stopping": job.state == "running" and job.stop_event.is_set(),
        }

    def _position_locked(self, job: _Job) -> int:
        """1 = next to start; 0 when running or finished."""
        if job.state != "queued":
            return 0
        return self._queue.index(job.id) + 1

    # --- workers ----------------------------------------------------------------------

    def _start_workers_locked(self) -> None:
        # Lazily, so creating a manager starts no threads; a dead worker is replaced.
        self._workers = [worker for worker in self._workers if worker.is_alive()]
        while len(self._workers) < self.max_concurrent:
            worker = threading.Thread(target=self._worker_loop, daemon=True,
                                      name=f"digitstudio-training-{len(self._workers) + 1}")
            self._workers.append(worker)
            worker.start()

    def _worker_loop(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                return
            try:
                self._run_job(job)
            except Exception as exc:  # last line of defence: the queue must keep going
                with self._lock:
                    if job.state not in FINAL_STATES:
                        self._finish_locked(job, "failed", f"Training failed: {_one_line(exc)}")
            finally:
                job = None
                self._forget_traced_gradients()
                gc.collect()  # free the finished fit's tensors and graphs now
                _release_free_memory()

    def _next_job(self) -> _Job | None:
        with self._lock:
            while not self._queue and not self._closing:
                self._work_ready.wait()
            if self._closing:
                return None
            if self._gradients_before_jobs is None:
                # First job since the last clean-up: remember what TF's gradient registry
                # held before it, so the clean-up removes only what jobs added.
                self._gradients_before_jobs = _custom_gradient_names()
            job = self._jobs[self._queue.popleft()]
            job.state, job.started = "running", time.time()
            return job

    def _forget_traced_gradients(self) -> None:
        """Drop the graph-mode custom-gradient entries TF registered during the jobs that
        just ran, which otherwise keep every traced train step alive. Only when no job
        is running (under the lock, so none can start meanwhile): a job that is tracing
        its train step still needs its entries."""
        with self._lock:
            if any(job.state == "running" for job in self._jobs.values()):
                return
            baseline, self._gradients_before_jobs = self._gradients_before_jobs, None
            registry = _gradient_registry()
            if baseline is None or registry is None:
                return
            for name in _custom_gradient_names() - baseline:
                registry.pop(name, None)

    def _run_job(self, job: _Job) -> None:
        try:
            data = self._get_data()
        except DataError as exc:
            message = str(exc)
            if DATA_ENV_VAR not in message:
                message += f" Set {DATA_ENV_VAR} to a local mnist.npz and restart the app."
            self._record(job, self._failed_result(job, message, data_source=""))
            return
        if job.stop_event.is_set():  # stopped while the data was loading
            with self._lock:
                self._finish_locked(job, "cancelled", "Cancelled before it started.")
            return
        try:
            result = training.train(job.spec, data, on_progress=lambda event: self._on_progress(job, event),
                                    stop_event=job.stop_event)
        except Exception as exc:  # train() reports faults inside fit; this is the rest
            result = self._failed_result(job, f"Training failed: {_one_line(exc)}", data.source)
        self._record(job, result)

    def _get_data(self) -> MnistData:
        with self._data_lock:
            if self._data is None:
                self._data = self.load_data()  # a DataError is not cached: the next job retries
            return self._data

    def _on_progress(self, job: _Job, event: dict[str, Any]) -> None:
        """Runs on Keras's callback thread: copy plain numbers in, nothing else."""
        kind = event.get("kind")
        if kind not in ("batch", "epoch"):
            return
        with self._lock:
            for key in ("epoch", "epochs", "batch", "batches", "elapsed", "eta"):
                if key in event:
                    job.progress[key] = event[key]
            if kind == "batch" and "point" in event:
                job.curve.append(dict(event["point"]))
            elif kind == "epoch":
                for key, value in (event.get("logs") or {}).items():
                    job.history.setdefault(key, []).append(float(value))

    def _failed_result(self, job: _Job, message: str, data_source: str) -> training.TrainResult:
        with self._lock:
            history = {key: list(values) for key, values in job.history.items()}
            curve = [dict(point) for point in job.curve]
            elapsed = time.time() - (job.started or time.time())
        return training.TrainResult(
            model=None, spec=job.spec, status="failed", history=history, test_loss=None,
            test_accuracy=None, params=job.params, train_seconds=elapsed,
            data_source=data_source, message=message, curve=curve)

    def _record(self, job: _Job, result: training.TrainResult) -> None:
        """Save the run to the store (outside the lock: it writes files), then publish."""
        result.message = _plain_message(result)
        run_id, message = None, result.message
        try:
            run_id = self.store.save(result, job.label or job.spec.layers_compact())["id"]
        except Exception as exc:  # disk full, root unwritable…: keep the result in memory
            message = f"{message} The run could not be saved: {_one_line(exc)}".strip()
        with self._lock:
            job.run_id = run_id
            job.history = {key: list(values) for key, values in result.history.items()}
            job.curve = [dict(point) for point in result.curve]
            job.test_accuracy, job.test_loss = result.test_accuracy, result.test_loss
            job.train_seconds = round(result.train_seconds, 3)
            job.model = result.model if result.status in MODEL_STATES else None
            self._finish_locked(job, result.status, message)

    def _finish_locked(self, job: _Job, state: str, message: str) -> None:
        job.state, job.message, job.finished = state, message, time.time()
        job.finish_order = next(self._finish_counter)
        job.progress["eta"] = 0.0 if state == "completed" else job.progress.get("eta")
        self._forget_old_locked()
        self._job_changed.notify_all()

    def _forget_old_locked(self) -> None:
        """Bound memory: keep Keras models for the newest few finished jobs and plain
        data for the newest MAX_FINISHED_JOBS."""
        finished = sorted((job for job in self._jobs.values() if job.state in FINAL_STATES),
                          key=lambda job: job.finish_order, reverse=True)
        for job in finished[self.models_kept:]:
            job.model = None
        for job in finished[self.max_finished:]:
            del self._jobs[job.id]


def _release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc only). TensorFlow's many threads each
    get a malloc arena; without a trim, memory freed after a training stays mapped and
    RSS ratchets up over the first retrains although nothing is leaked."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        pass


def _gradient_registry() -> dict | None:
    """TensorFlow's graph-mode gradient registry, or None: when TensorFlow is not
    imported yet (nothing registered; and this runs under the manager's lock, so it
    must not import it), or when a TensorFlow version stores it differently (it is
    private API, so then nothing is pruned)."""
    ops = sys.modules.get("tensorflow.python.framework.ops")
    registry = getattr(getattr(ops, "gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


def _custom_gradient_names() -> set[str]:
    registry = _gradient_registry()
    return {name for name in registry if str(name).startswith("CustomGradient-")} if registry else set()


def _plain_message(result: training.TrainResult) -> str:
    """What happened, in words a student can act on."""
    epochs_done = len(result.history.get("loss", []))
    if result.status == "diverged":
        return ("The loss became NaN (or infinite) — try a smaller learning rate. "
                "No model was kept; your current model is unchanged.")
    if result.status == "stopped":
        return (f"Stopped after {epochs_done} of {result.spec.epochs} epoch(s); "
                "the model keeps the weights it had at that moment.")
    if result.status == "completed" and result.test_accuracy is not None:
        return f"Finished: {result.test_accuracy:.2%} test accuracy."
    lines = [line.strip() for line in result.message.splitlines() if line.strip()]
    return lines[0] if lines else result.message
