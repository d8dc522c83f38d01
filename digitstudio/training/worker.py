"""Trainings in a separate, lower-priority process, so drawing never waits on them.

A server shares its CPU cores between the students' predictions (on Streamlit's script
threads) and a training (on TensorFlow's threads). In one process they share one
TensorFlow thread pool and one scheduling priority, and a training on two cores starves
drawing (bench/load.py: p95 1.5–1.8 s per stroke while the teacher trains, 0.6–0.7 s
without). A `WorkerProcess` runs the queue's jobs in a child process started with
`nice` NICE and, on Linux, the SCHED_IDLE policy (it runs only on a core nothing else
wants: bench/load.py, 30 students drawing while the teacher trains, p95 425 ms with nice
alone); so the operating system gives the app's process the cores first. The
child also makes a Pause, Step or Stop land within a batch, since the app that sends
it is no longer starved (bench/control_latency.py).

The protocol, over two `multiprocessing` pipes (spawn start method, as on every OS):

    parent → child   ("run", task)            a picklable task(data, on_progress, control)
                     ("control", op, value)   stop | pause | resume | step | lr
                     ("quit",)
    child → parent   ("event", event)         a training.events event
                     ("resumed",)             a pause left untouched resumed by itself
                     ("result", result, model_bytes)   the TrainResult without its model,
                                              and the model as .keras bytes (None if none)
                     ("error", message, data_problem)   the task (or loading the data) raised

The child loads MNIST once (`load_data`, picklable: e.g. `functools.partial(load_mnist)`),
keeps its imports warm between jobs, and is replaced after MAX_JOBS jobs or when it
dies; a job whose child dies fails with one line, and the next job gets a fresh child.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import tempfile
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from digitstudio.training.control import TrainingControl
from digitstudio.training.events import Event

NICE = 10  # the child's niceness: below the app (0), above nothing else
MAX_JOBS = 20  # a child is replaced after this many jobs (any memory TensorFlow keeps goes with it)
START_TIMEOUT = 120.0  # s: importing TensorFlow in a fresh child on a busy two-core machine


class WorkerLost(RuntimeError):
    """The training process died or stopped answering; the message says so in one line."""


class TaskError(RuntimeError):
    """The task raised in the training process: its one line, and whether it was the data
    that could not be loaded (a DataError: the message says how to fix it)."""

    def __init__(self, message: str, data_problem: bool = False):
        super().__init__(message)
        self.data_problem = data_problem


def picklable(task: Any) -> bool:
    """Whether a task can be sent to a worker process (a closure cannot: it then runs in
    the app's own process)."""
    try:
        pickle.dumps(task)
        return True
    except Exception:
        return False


class RemoteControl(TrainingControl):
    """A TrainingControl whose requests also go to the child running the job. Locally it
    mirrors the state the pages read (paused, stop requested); `attach(send)` connects it
    when the job starts, and requests made before that (a stop) are sent then."""

    def __init__(self) -> None:
        super().__init__()
        self._send: Callable[[tuple], None] | None = None
        self._pending: list[tuple] = []

    def attach(self, send: Callable[[tuple], None]) -> None:
        self._send = send
        for message in self._pending:
            send(message)
        self._pending = []

    def _forward(self, op: str, value: Any = None) -> None:
        message = ("control", op, value)
        if self._send is None:
            self._pending.append(message)
        else:
            self._send(message)

    def stop(self) -> None:
        super().stop()
        self._forward("stop")

    def pause(self) -> None:
        super().pause()
        self._forward("pause")

    def resume(self) -> None:
        super().resume()
        self._forward("resume")

    def step(self, batches: int = 1) -> None:
        super().step(batches)
        self._forward("step", int(batches))

    def set_learning_rate(self, rate: float) -> None:
        super().set_learning_rate(rate)  # used when the job runs in this process after all
        self._forward("lr", float(rate))  # applied (and reported as an event) by the child

    def resumed_remotely(self) -> None:
        """The child's hold ran out and it resumed by itself."""
        super().resume()
        self.resumed_by_itself = True


class WorkerProcess:
    """One child process running jobs one at a time for one of the queue's worker threads.
    `run()` blocks that thread until the job ends; nothing here touches Keras."""

    def __init__(self, load_data: Callable[[], Any], nice: int = NICE, max_jobs: int = MAX_JOBS):
        self.load_data, self.nice, self.max_jobs = load_data, nice, max_jobs
        self._process: multiprocessing.Process | None = None
        self._requests = self._replies = None
        self._send_lock = threading.Lock()
        self._jobs_done = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent_requests, child_requests = context.Pipe()
        child_replies, parent_replies = context.Pipe()
        self._process = context.Process(target=_child_main, args=(child_requests, child_replies, self.load_data,
                                                                  self.nice),
                                        name="digitstudio-training-process", daemon=True)
        # A spawned child first imports the parent's __main__. Under Streamlit's AppTest (and
        # any embedding that runs app.py as __main__) that is the app's script: the child would
        # run the page and exit 1. It gets a blank main; the task and its loader are imported
        # by their own modules' names.
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            self._process.start()
        finally:
            if main is not None:
                sys.modules["__main__"] = main
        child_requests.close()
        child_replies.close()
        self._requests, self._replies = parent_requests, parent_replies
        self._jobs_done = 0

    def _send(self, message: tuple) -> None:
        with self._send_lock:
            try:
                self._requests.send(message)
            except (OSError, ValueError):  # the child is gone: the job's run() reports it
                pass

    def run(self, task: Any, on_event: Callable[[Event], None], control: RemoteControl) -> tuple[Any, bytes | None]:
        """Run `task` in the child: events go to `on_event` (on this thread), control
        requests reach the child through `control`. Returns (TrainResult without its
        model, the model as .keras bytes or None). WorkerLost when the child dies or does
        not start; the task's own exception as a RuntimeError with its one line."""
        if self._process is None or not self._process.is_alive() or self._jobs_done >= self.max_jobs:
            self.close()
            self._start()
        self._send(("run", task))
        control.attach(self._send)
        try:
            while True:
                if not self._replies.poll(START_TIMEOUT if self._jobs_done == 0 else None):
                    raise WorkerLost(f"The training process did not answer within {START_TIMEOUT:.0f} s.")
                message = self._replies.recv()
                if message[0] == "event":
                    on_event(message[1])
                elif message[0] == "resumed":
                    control.resumed_remotely()
                elif message[0] == "result":
                    self._jobs_done += 1
                    return message[1], message[2]
                elif message[0] == "error":
                    self._jobs_done += 1
                    raise TaskError(message[1], data_problem=message[2])
        except (EOFError, OSError, WorkerLost) as exc:
            code = self._process.exitcode if self._process is not None else None
            self.close()
            if isinstance(exc, WorkerLost):
                raise
            raise WorkerLost(f"The training process stopped unexpectedly (exit code {code}); "
                             "the next training gets a fresh one.") from None

    def close(self, timeout: float = 5.0) -> None:
        """Ask the child to quit, then make sure it is gone."""
        process, self._process = self._process, None
        if process is None:
            return
        self._send(("quit",))
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join(timeout)
        for connection in (self._requests, self._replies):
            try:
                connection.close()
            except Exception:
                pass


# --- the child ------------------------------------------------------------------------------

def _child_main(requests, replies, load_data: Callable[[], Any], nice: int) -> None:
    """The child's loop: one job at a time on a thread, control requests applied as they
    come. Runs until "quit" or until the parent goes away."""
    try:
        os.nice(nice)
    except OSError:  # not allowed here: run at the parent's priority
        pass
    if nice and hasattr(os, "SCHED_IDLE"):  # Linux; TensorFlow's threads, started later, inherit it
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            pass
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from digitstudio.runtime import TracedGradients, configure_tensorflow, release_free_memory

    configure_tensorflow()
    send_lock = threading.Lock()

    def reply(message: tuple) -> None:
        with send_lock:
            replies.send(message)

    data: dict[str, Any] = {}  # loaded once, by the first job
    control: TrainingControl | None = None
    job: threading.Thread | None = None
    while True:
        try:
            message = requests.recv()
        except (EOFError, OSError):
            return
        if message[0] == "quit":
            if control is not None:
                control.stop()
            return
        if message[0] == "control" and control is not None:
            _apply(control, message[1], message[2])
        elif message[0] == "run":
            if job is not None:
                job.join()
            control = TrainingControl()
            job = threading.Thread(target=_run_one, args=(message[1], data, load_data, control, reply,
                                                          TracedGradients(), release_free_memory), daemon=True)
            job.start()


def _apply(control: TrainingControl, op: str, value: Any) -> None:
    if op == "stop":
        control.stop()
    elif op == "pause":
        control.pause()
    elif op == "resume":
        control.resume()
    elif op == "step":
        control.step(value)
    elif op == "lr":
        control.set_learning_rate(value)


def _run_one(task, data: dict, load_data, control: TrainingControl, reply, traced, release) -> None:
    import gc

    from digitstudio.data.mnist import DataError

    told = [False]

    def on_progress(event: Event) -> None:
        reply(("event", event))
        if control.resumed_by_itself and not told[0]:
            told[0] = True
            reply(("resumed",))

    traced.mark()
    try:
        if "mnist" not in data:
            try:
                data["mnist"] = load_data()
            except DataError as exc:
                reply(("error", str(exc), True))
                return
        result = task(data["mnist"], on_progress, control)
        model_bytes = model_to_bytes(result.model) if result.model is not None else None
        result.model = None
        reply(("result", result, model_bytes))
    except Exception as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reply(("error", f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300], False))
    finally:
        traced.forget()
        gc.collect()
        release()


def model_to_bytes(model) -> bytes:
    """A Keras model as the bytes of its .keras file (loadable with plain
    keras.models.load_model; storage.files.save_model_atomic makes it so)."""
    from digitstudio.storage.files import save_model_atomic

    with tempfile.TemporaryDirectory(prefix="digitstudio-model-") as folder:
        path = Path(folder) / "trained.keras"
        save_model_atomic(model, path)
        return path.read_bytes()
