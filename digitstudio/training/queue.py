"""A process-wide training queue shared by every browser session of one server.

The app creates one `TrainingManager` (st.cache_resource) and every session
submits to it. Jobs (jobs.py: their states and frozen snapshots) run on worker
threads, `max_concurrent` at a time (the DIGIT_STUDIO_MAX_TRAININGS setting, default 1:
two CPU cores are already fully used by one training), the rest wait in FIFO order
with a queue position. Each owner (a browser session) has at most one queued or running
job: the queue enforces it.

Threading rules:
* One lock guards all job state. Keras's callback thread only appends plain numbers
  under it (`_on_progress`), so a session polling `snapshot()` never waits on
  training and never touches a Keras object.
* `snapshot()` returns a frozen `JobSnapshot` (copies): safe to keep and read anywhere.
  Its snapshots of the insides (`Insides`, `Probe`) are frozen and never modified, so
  they are shared, not copied.
* Controls (stop, pause, resume, step, set_learning_rate) take the caller's `owner`:
  a session can only control its own job (the pages always pass it).
* A worker catches everything a job and its own bookkeeping can throw, so one bad job
  can never stop the queue.
* The queue never keeps a trained Keras model: the run store has it on disk, and the
  app loads a run's model (once per process) when a session uses it.

Memory: after each job the worker drops its references, runs `gc.collect()`, prunes
the train-step graphs TensorFlow keeps (`runtime.TracedGradients`) and hands freed heap
back to the OS (`runtime.release_free_memory`); bench/memory.py measures it.
"""

from __future__ import annotations

import copy
import gc
import itertools
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digitstudio.data.mnist import ENV_VAR as DATA_ENV_VAR
from digitstudio.data.mnist import DataError, MnistData
from digitstudio.modeling.spec import FIELD, ModelSpec, SpecError, count_params, validate
from digitstudio.runtime import TracedGradients, release_free_memory
from digitstudio.settings import settings
from digitstudio.storage.runs import RunStatus, RunStore
from digitstudio.training import events
from digitstudio.training.cluster import ClusterError, RayCluster, RayWorker
from digitstudio.training.control import TrainingControl
from digitstudio.training.fit import TrainResult, train
from digitstudio.training.jobs import ControlError, JobKind, JobLimitError, JobSnapshot, JobState, Progress
from digitstudio.training.snapshots import Insides, Probe, keep, save_insides
from digitstudio.training.worker import RemoteControl, TaskError, WorkerLost, WorkerProcess, picklable

MAX_FINISHED_JOBS = 50  # finished jobs remembered in memory (their runs stay on disk)

# A job's work: (data, on_progress, control) -> TrainResult. The default trains the spec;
# other kinds of job (a fine-tune) bring their own. A picklable task can run in a worker
# process (worker.py); a closure runs in this one.
Task = Callable[[MnistData, events.ProgressFn, TrainingControl], TrainResult]


@dataclass(frozen=True)
class TrainTask:
    """The default task: train the spec (fit.train), as plain picklable data."""

    spec: ModelSpec
    log_dir: str | None = None
    snapshots: bool = True
    drawing: np.ndarray | None = None  # (28, 28) in [0, 1]: the submitter's drawing, for the snapshots
    max_seconds: float | None = None  # a class challenge's time budget

    def __call__(self, data: MnistData, on_progress: events.ProgressFn, control: TrainingControl) -> TrainResult:
        return train(self.spec, data, on_progress=on_progress, control=control, log_dir=self.log_dir,
                     snapshots=self.snapshots, drawing=self.drawing, max_seconds=self.max_seconds)


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
    tags: dict[str, Any] = field(default_factory=dict)
    max_seconds: float | None = None
    task: Task | None = None
    created: float = field(default_factory=time.time)
    state: JobState = JobState.QUEUED
    control: TrainingControl = field(default_factory=TrainingControl)
    started: float | None = None
    finished: float | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    curve: list[dict[str, float]] = field(default_factory=list)
    message: str = ""
    run_id: str | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    train_seconds: float | None = None
    finish_order: int = 0  # increasing; clearer than timestamps, which can tie
    kind: JobKind = JobKind.TRAIN
    save: bool = True  # record the result in the run store
    snapshots: bool = True
    drawing: Any = None  # (28, 28) float array in [0, 1] or None: the submitter's drawing
    learning_rate: float | None = None
    lr_changes: list[tuple[int, float]] = field(default_factory=list)
    insides: list[Insides] = field(default_factory=list)
    probe: Probe | None = None
    details: dict[str, Any] = field(default_factory=dict)
    phase: str = ""


class TrainingManager:
    def __init__(self, store: RunStore, load_data: Callable[[], MnistData],
                 max_concurrent: int | None = None, max_finished: int = MAX_FINISHED_JOBS,
                 process_data: Callable[[], MnistData] | None = None, cluster: RayCluster | None = None,
                 on_change: Callable[[JobSnapshot], None] | None = None):
        """`load_data` gives jobs run in this process their MNIST (once, shared). With
        `process_data` (a picklable loader, e.g. functools.partial(load_mnist)), each worker
        thread runs its jobs in a lower-priority child process (worker.py) that loads MNIST
        with it once; with a `cluster` (cluster.py: DIGIT_STUDIO_RAY_ADDRESS), on a Ray
        actor, as many at once as the cluster has slots unless `max_concurrent` says less.
        A task that cannot be pickled still runs here. `on_change(snapshot)` is called (on
        the queue's threads, never under its lock; its errors are ignored) when a job is
        queued, starts and ends: the class board records runs through it (`listen` adds more)."""
        self._listeners: dict[str, Callable[[JobSnapshot], None]] = {"init": on_change} if on_change else {}
        self.store = store
        self.load_data = load_data
        self.process_data = process_data
        self.cluster = cluster
        self._sized = cluster is None or max_concurrent is not None
        self.max_concurrent = max(1, int(max_concurrent or settings().max_trainings or 1))
        self.max_finished = max(1, max_finished)
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)  # a job was queued / shutdown
        self._job_changed = threading.Condition(self._lock)  # a job reached a final state
        self._jobs: dict[str, _Job] = {}  # submission order
        self._queue: deque[str] = deque()
        self._workers: list[threading.Thread] = []
        self._closing = False
        self._traced = TracedGradients()  # see _forget_traced_gradients
        self._finish_counter = itertools.count(1)
        self._data: MnistData | None = None
        self._data_lock = threading.Lock()  # one load at a time; the result is shared

    # --- submitting and controlling ---------------------------------------------------

    def submit(self, spec: ModelSpec | dict, label: str = "", owner: str = "", task: Task | None = None,
               drawing: Any = None, snapshots: bool = True, kind: JobKind | str = JobKind.TRAIN,
               save: bool = True, replace_kinds: tuple[JobKind, ...] = (), tags: dict[str, Any] | None = None,
               max_seconds: float | None = None) -> str:
        """Queue a training of `spec` (or, with `task`, that work, described by `spec`);
        returns its job id. A bad spec raises SpecError, and an owner who already has a
        queued, running or paused job gets JobLimitError; nothing is queued then.

        `drawing` (28, 28) in [0, 1]: the submitter's drawing, whose ten probabilities
        every snapshot records; `snapshots` False trains bare (see snapshots.py); `kind`
        (JobKind) says what the job does; `save` False keeps the result out of the run
        store (a learning-rate range test is not a run; JobKind.LR_RANGE never saves).
        `replace_kinds`: the owner's active job of one of these kinds (a learning-rate search
        when they press Train) is stopped to make way, instead of refusing the new job.
        `tags` (plain data) ride along to the job's snapshots; `max_seconds` stops a training
        after that much training time (a class challenge's budget)."""
        if isinstance(spec, dict):
            spec = ModelSpec.from_dict(spec)
        if not isinstance(spec, ModelSpec):
            raise SpecError("submit() needs a ModelSpec.")
        spec = validate(spec)
        job = _Job(id=uuid.uuid4().hex[:12], label=str(label or ""), owner=str(owner or ""),
                   control=RemoteControl() if self.remote else TrainingControl(),
                   tags=dict(tags or {}), max_seconds=max_seconds,
                   spec=spec, params=count_params(spec), task=task, kind=JobKind(kind),
                   save=bool(save) and JobKind(kind).run_kind is not None,
                   snapshots=bool(snapshots), learning_rate=spec.learning_rate,
                   drawing=None if drawing is None else np.asarray(drawing, np.float32).reshape(28, 28))
        job.progress["epochs"] = spec.epochs
        with self._lock:
            if self._closing:
                raise RuntimeError("The training manager is shut down.")
            if job.owner:
                mine = [other for other in self._jobs.values() if other.owner == job.owner and other.state.active]
                if any(other.kind not in replace_kinds for other in mine):
                    raise JobLimitError("A training of yours is already queued or running: stop it first "
                                        "(Stop, under the page) or wait for it to finish.")
                for other in mine:  # each of a kind this job replaces
                    self._stop_locked(other)
                    other.owner = f"{other.owner} (replaced)"  # it no longer holds its owner's one place
            self._jobs[job.id] = job
            self._queue.append(job.id)
            self._start_workers_locked()
            self._work_ready.notify()
        self._notify(job.id)
        return job.id

    def listen(self, name: str, on_change: Callable[[JobSnapshot], None]) -> None:
        """Call `on_change(snapshot)` when a job is queued, starts and ends (once per name)."""
        with self._lock:
            self._listeners[name] = on_change

    def _notify(self, job_id: str) -> None:
        with self._lock:
            listeners = list(self._listeners.values())
        snapshot = self.snapshot(job_id) if listeners else None
        for listener in listeners if snapshot is not None else ():
            try:
                listener(snapshot)
            except Exception:  # a board that cannot be written must not stop the queue
                pass

    def active_job(self, owner: str) -> str | None:
        """The owner's queued, running or paused job, if any."""
        with self._lock:
            return next((job.id for job in self._jobs.values() if job.owner == owner and job.state.active), None)

    def _controlled_locked(self, job_id: str, owner: str | None) -> _Job | None:
        """The job if `owner` (None = the server itself) may control it, else None."""
        job = self._jobs.get(job_id)
        if job is None or (owner is not None and job.owner != owner):
            return None
        return job

    def stop(self, job_id: str, owner: str | None = None) -> bool:
        """Stop a running (or paused) job at its next batch (recorded as stopped, model
        saved) or cancel a queued one. False if the job is unknown, already finished, or
        not `owner`'s (owner None: anyone's; the pages always pass the session)."""
        with self._lock:
            job = self._controlled_locked(job_id, owner)
            stopped = job is not None and self._stop_locked(job)
            cancelled = stopped and job.state is JobState.CANCELLED
        if cancelled:
            self._notify(job_id)
        return stopped

    def _stop_locked(self, job: _Job) -> bool:
        if job.state is JobState.QUEUED:
            self._queue.remove(job.id)
            self._finish_locked(job, JobState.CANCELLED, "Cancelled before it started.")
            return True
        if job.state.active:
            job.control.stop()
            return True
        return False

    def pause(self, job_id: str, owner: str | None = None) -> bool:
        """Hold a running job between batches. It keeps its worker (and so its place: with
        one worker the next job waits), because a Keras fit cannot be set aside and
        resumed on another thread; while held it uses no CPU. False unless it was running
        (and is `owner`'s, when given)."""
        return self._transition(job_id, owner, JobState.RUNNING, JobState.PAUSED, lambda control: control.pause())

    def resume(self, job_id: str, owner: str | None = None) -> bool:
        return self._transition(job_id, owner, JobState.PAUSED, JobState.RUNNING, lambda control: control.resume())

    def step(self, job_id: str, batches: int = 1, owner: str | None = None) -> bool:
        """While paused: run exactly `batches` more batches, then hold again (and take a
        snapshot of the insides, when the job keeps them)."""
        return self._transition(job_id, owner, JobState.PAUSED, JobState.PAUSED,
                                lambda control: control.step(batches))

    def _transition(self, job_id: str, owner: str | None, before: JobState, after: JobState, act) -> bool:
        """If the job is `owner`'s and in state `before`: act on its control and set `after`."""
        with self._lock:
            job = self._controlled_locked(job_id, owner)
            if job is None or job.state is not before:
                return False
            act(job.control)
            job.state = after
            return True

    def set_learning_rate(self, job_id: str, rate: float, owner: str | None = None) -> None:
        """Use `rate` from the next batch on (running or paused); the change is recorded in
        the run's spec (lr_changes), so train.py replays it. ControlError says why not:
        another owner's or a finished job, a rate outside the spec's range, the cosine
        schedule (it sets the rate every batch), or a job that is not a training."""
        field_ = FIELD["learning_rate"]
        with self._lock:
            job = self._controlled_locked(job_id, owner)
            if job is None:
                raise ControlError("This training is not yours (or no longer known); only the session that "
                                   "started it can change it.")
            if not job.state.active:
                raise ControlError(f"This training has already ended ({job.state.value}).")
            if job.kind is not JobKind.TRAIN:
                raise ControlError("Only a training's learning rate can be changed.")
            if job.spec.lr_schedule != "constant":
                raise ControlError(f"This training uses the {job.spec.lr_schedule} schedule, which sets the "
                                   "rate every batch; a change would be overwritten. Use the constant schedule "
                                   "to change it by hand.")
            try:
                rate = field_.check(rate)
            except SpecError as exc:
                raise ControlError(str(exc)) from None
            job.control.set_learning_rate(rate)

    def wait(self, job_id: str, timeout: float | None = None) -> JobSnapshot:
        """Block until the job is finished; its snapshot. TimeoutError if it isn't
        finished within `timeout` seconds, KeyError for an unknown job."""
        with self._lock:
            if job_id not in self._jobs:
                raise KeyError(job_id)
            done = self._job_changed.wait_for(
                lambda: job_id not in self._jobs or self._jobs[job_id].state.final, timeout)
            if not done:
                raise TimeoutError(f"Job {job_id} is still {self._jobs[job_id].state.value} after {timeout}s.")
            snapshot = self._snapshot_locked(self._jobs[job_id]) if job_id in self._jobs else None
        if snapshot is None:
            raise KeyError(job_id)  # finished and already forgotten
        return snapshot

    def shutdown(self, wait: bool = True, timeout: float | None = 30.0) -> None:
        """Cancel queued jobs, stop running ones and let the workers exit (tests, CLIs)."""
        with self._lock:
            self._closing = True
            for job_id in list(self._queue):
                self._finish_locked(self._jobs[job_id], JobState.CANCELLED, "Cancelled: the server is shutting down.")
            self._queue.clear()
            for job in self._jobs.values():
                if job.state.active:
                    job.control.stop()
            self._work_ready.notify_all()
            workers = list(self._workers)
        if wait:
            for worker in workers:
                worker.join(timeout)

    # --- reading (frozen copies only) ---------------------------------------------------

    def adopt(self, job_id: str, owner: str) -> JobSnapshot | None:
        """Hand a job to a new owner: a browser reloaded mid-training gets a new session, and
        the job's id (random, 12 hex digits, kept in that browser's address) is the proof that
        the job is its. Returns the job's snapshot, or None when the id is unknown or the new
        owner already has an active job of its own."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not owner:
                return None
            if any(other.owner == owner and other.state.active and other is not job for other in self._jobs.values()):
                return None
            job.owner = str(owner)
            return self._snapshot_locked(job)

    def snapshot(self, job_id: str | None) -> JobSnapshot | None:
        """A frozen view of a job, or None if unknown (or forgotten: only the last
        MAX_FINISHED_JOBS finished jobs are remembered; their runs stay in the store)."""
        with self._lock:
            job = self._jobs.get(job_id) if job_id else None
            return self._snapshot_locked(job) if job is not None else None

    def _snapshot_locked(self, job: _Job) -> JobSnapshot:
        if job.state is JobState.PAUSED and not job.control.paused:  # the hold ran out: it resumed by itself
            job.state = JobState.RUNNING
        return JobSnapshot(
            job_id=job.id, label=job.label, owner=job.owner, state=job.state,
            queue_position=self._position_locked(job), progress=Progress(**job.progress),
            message=job.message, run_id=job.run_id, test_accuracy=job.test_accuracy, test_loss=job.test_loss,
            params=job.params, train_seconds=job.train_seconds, created=job.created, started=job.started,
            finished=job.finished,
            history={key: list(values) for key, values in job.history.items()},
            curve=[dict(point) for point in job.curve], spec=job.spec, kind=job.kind,
            learning_rate=job.learning_rate, lr_changes=tuple(job.lr_changes), insides=tuple(job.insides),
            probe=job.probe,
            details=copy.deepcopy(job.details), phase=job.phase, tags=copy.deepcopy(job.tags),
        )

    def _position_locked(self, job: _Job) -> int:
        """1 = next to start; 0 when running or finished."""
        if job.state is not JobState.QUEUED:
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

    @property
    def remote(self) -> bool:
        """Whether jobs run outside this process (a worker process or a Ray cluster)."""
        return self.cluster is not None or self.process_data is not None

    def _worker_loop(self) -> None:
        if self.cluster is not None:
            worker = self.cluster.worker()
        else:
            worker = WorkerProcess(self.process_data) if self.process_data is not None else None
        try:
            self._work(worker)
        finally:
            if worker is not None:
                worker.close()

    def _work(self, process: WorkerProcess | RayWorker | None) -> None:
        while True:
            job = None
            try:
                job = self._next_job()
                if job is None:
                    return
                self._notify(job.id)
                self._run_job(job, process)
                self._notify(job.id)
            except Exception as exc:  # last line of defence: the queue must keep going
                if job is not None:
                    with self._lock:
                        if job.state.active:
                            self._finish_locked(job, JobState.FAILED, f"Training failed: {_one_line(exc)}")
            finally:
                job = None
                try:
                    self._forget_traced_gradients()
                    gc.collect()  # free the finished fit's tensors and graphs now
                    release_free_memory()
                except Exception:  # clean-up is best effort; the worker must survive it
                    pass

    def _next_job(self) -> _Job | None:
        with self._lock:
            while not self._queue and not self._closing:
                self._work_ready.wait()
            if self._closing:
                return None
            # The first job since the last clean-up: remember what TF's gradient registry
            # holds before it, so the clean-up removes only what jobs added.
            self._traced.mark()
            job = self._jobs[self._queue.popleft()]
            job.state, job.started = JobState.RUNNING, time.time()
            return job

    def _forget_traced_gradients(self) -> None:
        """Drop the graph-mode custom-gradient entries TF registered during the jobs that
        just ran, which otherwise keep every traced train step alive. Only when no job
        is running (under the lock, so none can start meanwhile): a job that is tracing
        its train step still needs its entries."""
        with self._lock:
            if any(job.state in (JobState.RUNNING, JobState.PAUSED) for job in self._jobs.values()):
                return
            self._traced.forget()

    def _run_job(self, job: _Job, process: WorkerProcess | RayWorker | None = None) -> None:
        log_dir = self.store.scratch_logs(job.id)  # TensorBoard; moved into the run folder when saved
        task = job.task or TrainTask(job.spec, str(log_dir), job.snapshots, job.drawing, job.max_seconds)
        if process is not None and picklable(task):
            self._run_in_process(job, task, process, log_dir)
            return
        try:
            data = self._get_data()
        except DataError as exc:
            message = str(exc)
            if DATA_ENV_VAR not in message:
                message += f" Set {DATA_ENV_VAR} to a local mnist.npz and restart the app."
            self._record(job, self._failed_result(job, message, data_source=""))
            return
        if job.control.stop_requested.is_set():  # stopped while the data was loading
            with self._lock:
                self._finish_locked(job, JobState.CANCELLED, "Cancelled before it started.")
            return
        try:
            result = task(data, lambda event: self._on_progress(job, event), job.control)
        except Exception as exc:  # train() reports faults inside fit; this is the rest
            result = self._failed_result(job, f"Training failed: {_one_line(exc)}", data.source)
        self._record(job, result, log_dir)

    def _size_to_cluster(self) -> None:
        """Once: as many workers as the cluster has slots (this may connect to it)."""
        slots = self.cluster.slots()
        with self._lock:
            self.max_concurrent, self._sized = slots, True
            if not self._closing:
                self._start_workers_locked()

    def _run_in_process(self, job: _Job, task: Task, process: WorkerProcess | RayWorker, log_dir: Path) -> None:
        if job.control.stop_requested.is_set():  # stopped before it started
            with self._lock:
                self._finish_locked(job, JobState.CANCELLED, "Cancelled before it started.")
            return
        model_bytes = None
        try:
            if not self._sized:
                self._size_to_cluster()
            result, model_bytes = process.run(task, lambda event: self._on_progress(job, event), job.control)
        except TaskError as exc:
            message = str(exc) if exc.data_problem else f"Training failed: {exc}"
            if exc.data_problem and DATA_ENV_VAR not in message:
                message += f" Set {DATA_ENV_VAR} to a local mnist.npz and restart the app."
            result = self._failed_result(job, message, data_source="")
        except (WorkerLost, ClusterError) as exc:
            result = self._failed_result(job, f"Training failed: {exc}", data_source="")
        self._record(job, result, log_dir, model_bytes)

    def _get_data(self) -> MnistData:
        with self._data_lock:
            if self._data is None:
                self._data = self.load_data()  # a DataError is not cached: the next job retries
            return self._data

    def _on_progress(self, job: _Job, event: events.Event) -> None:
        """Runs on Keras's callback thread: copy plain numbers in, nothing else."""
        with self._lock:
            if isinstance(event, events.LearningRate):
                job.learning_rate = float(event.lr)
                job.lr_changes.append((int(event.step), float(event.lr)))
            elif isinstance(event, events.Snapshot):
                keep(job.insides, event.insides)  # frozen; pages only read it
            elif isinstance(event, events.ProbeReady):
                job.probe = event.probe
            elif isinstance(event, events.Details):
                job.details = copy.deepcopy(event.details)
            elif isinstance(event, events.Phase):
                job.phase = event.name
            elif isinstance(event, events.Batch):
                job.phase = ""  # batches again: the progress bar says where it is
                job.progress.update(epoch=event.epoch, epochs=event.epochs, batch=event.batch, batches=event.batches,
                                    elapsed=event.elapsed, eta=event.eta)
                if event.point is not None:
                    job.curve.append(event.point.as_dict())
            elif isinstance(event, events.Epoch):
                job.progress.update(epoch=event.epoch, epochs=event.epochs, batch=event.batches,
                                    batches=event.batches, elapsed=event.elapsed, eta=event.eta)
                for key, value in event.logs.items():
                    job.history.setdefault(key, []).append(float(value))

    def _failed_result(self, job: _Job, message: str, data_source: str) -> TrainResult:
        with self._lock:
            history = {key: list(values) for key, values in job.history.items()}
            curve = [dict(point) for point in job.curve]
            elapsed = time.time() - (job.started or time.time())
        return TrainResult(
            model=None, spec=job.spec, status=RunStatus.FAILED, history=history, test_loss=None,
            test_accuracy=None, params=job.params, train_seconds=elapsed,
            data_source=data_source, message=message, curve=curve)

    def _record(self, job: _Job, result: TrainResult, log_dir: Path | None = None,
                model_bytes: bytes | None = None) -> None:
        """Save the run to the store (outside the lock: it writes files), then publish."""
        result.message = _plain_message(result)
        run_id, message = None, result.message
        try:
            if job.save:
                run_id = self.store.save(result.run_record(job.kind.run_kind), result.model,
                                         job.label or job.spec.layers_compact(), log_dir=log_dir,
                                         model_bytes=model_bytes)["id"]
        except Exception as exc:  # disk full, root unwritable…: keep the result in memory
            message = f"{message} The run could not be saved: {_one_line(exc)}".strip()
        if log_dir is not None:
            shutil.rmtree(log_dir, ignore_errors=True)  # left over when the run could not be saved
        if run_id and result.insides and result.probe is not None:
            try:
                save_insides(self.store.insides_path(run_id), result.insides, result.probe)
            except Exception as exc:  # the run itself is saved; only the replay is missing
                message = f"{message} Its snapshots could not be saved: {_one_line(exc)}".strip()
        with self._lock:
            job.run_id = run_id
            job.history = {key: list(values) for key, values in result.history.items()}
            job.curve = [dict(point) for point in result.curve]
            job.test_accuracy, job.test_loss = result.test_accuracy, result.test_loss
            job.train_seconds = round(result.train_seconds, 3)
            job.spec = result.spec  # with the learning-rate changes made during the run
            job.insides = list(result.insides) or job.insides
            job.details = copy.deepcopy(result.details) or job.details
            job.drawing = None
            self._finish_locked(job, JobState.ended(result.status), message)
        result.model = None  # the run store has it; the queue keeps no Keras model

    def _finish_locked(self, job: _Job, state: JobState, message: str) -> None:
        job.state, job.message, job.finished = state, message, time.time()
        job.finish_order = next(self._finish_counter)
        job.progress["eta"] = 0.0 if state is JobState.COMPLETED else job.progress.get("eta")
        job.task = None
        self._forget_old_locked()
        self._job_changed.notify_all()

    def _forget_old_locked(self) -> None:
        """Bound memory: keep plain data for the newest MAX_FINISHED_JOBS finished jobs, and
        snapshots (up to a few MB each) only for each owner's newest finished job (the one
        its panel shows; the run store keeps them all on disk)."""
        finished = sorted((job for job in self._jobs.values() if job.state.final),
                          key=lambda job: job.finish_order, reverse=True)
        newest: set[str] = set()
        for job in finished:
            if job.owner in newest:
                job.insides, job.probe = [], None
            newest.add(job.owner)
        for job in finished[self.max_finished:]:
            del self._jobs[job.id]


def _plain_message(result: TrainResult) -> str:
    """What happened, in words a student can act on."""
    epochs_done = len(result.history.get("loss", []))
    if result.status == RunStatus.DIVERGED:
        return ("The loss became NaN (or infinite) — try a smaller learning rate. "
                "No model was kept; your current model is unchanged.")
    if result.status == RunStatus.STOPPED and result.message.startswith("Stopped at the time budget"):
        return result.message
    if result.status == RunStatus.STOPPED:
        return (f"Stopped after {epochs_done} of {result.spec.epochs} epoch(s); "
                "the model keeps the weights it had at that moment.")
    if result.status == RunStatus.COMPLETED and result.test_accuracy is not None:
        return f"Finished: {result.test_accuracy:.2%} test accuracy."
    lines = [line.strip() for line in result.message.splitlines() if line.strip()]
    return lines[0] if lines else result.message
