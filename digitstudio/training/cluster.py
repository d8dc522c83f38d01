"""Trainings on a Ray cluster, when DIGIT_STUDIO_RAY_ADDRESS names one.

A school lab or a hosted course adds machines with Ray (https://docs.ray.io): each lab
PC runs `ray start --address=<head>:6379`, and the app's queue sends every training
(the sidebar's, a class challenge's, Teach the model, a learning-rate search) to the
cluster: as many at once as it has CPUs (CPUS_PER_TRAINING each). The queue itself (order,
one job per person, positions, Pause/Step/Stop, a learning-rate change mid-run, the run
store) stays in the app; only the work moves.

Each of the queue's worker threads owns one `RayWorker`: a threaded Ray actor
(`TrainingActor`, max_concurrency 2, so control calls reach it while it trains) that
keeps TensorFlow warm between jobs, loads nothing itself (MNIST comes from the object
store, put there once by `RayCluster`), and speaks worker.py's protocol: `run(task)` is a
streaming generator of ("event", …) messages ending with ("result", result, model_bytes)
or ("error", message, data_problem); `control(op, value)` applies stop | pause | resume |
step | lr. The app's own code reaches the workers as a Ray `py_modules` package, so a lab
PC needs only the same Python packages (requirements.txt), not a checkout.

A worker (or its machine) that dies fails its job with one line, the slot gets a fresh
actor for the next job, and nothing else is lost. Every call to the cluster has a
deadline (CONNECT_TIMEOUT to join it, START_TIMEOUT for an actor's first answer).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from digitstudio.training.control import TrainingControl
from digitstudio.training.events import Event
from digitstudio.training.worker import RemoteControl, TaskError, WorkerLost, _apply, model_to_bytes

CPUS_PER_TRAINING = 1  # Ray CPUs each training holds (TensorFlow is told to use as many threads)
CONNECT_TIMEOUT = 30.0  # s to join the cluster
START_TIMEOUT = 180.0  # s for a fresh actor (TensorFlow's import on a busy lab PC) to send its first message
NAMESPACE = "digitstudio"
PACKAGE = Path(__file__).resolve().parents[1]  # digitstudio/, shipped to the workers


class ClusterError(RuntimeError):
    """The Ray cluster cannot be used; the message says why and what to check, in one line."""


class RayCluster:
    """This process's connection to the cluster (one per app server) and the data the
    trainings share (MNIST, put in the object store once)."""

    def __init__(self, address: str, load_data: Callable[[], Any], cpus_per_training: int = CPUS_PER_TRAINING):
        self.address, self.load_data, self.cpus_per_training = address, load_data, cpus_per_training
        self._lock = threading.Lock()
        self._connected = False
        self._data_ref = None

    def connect(self) -> None:
        """ray.init(address) with a deadline; ClusterError in one line when it fails."""
        with self._lock:
            if self._connected:
                return
            done: dict[str, Any] = {}

            def join() -> None:
                try:
                    import ray

                    ray.init(address=self.address, namespace=NAMESPACE, log_to_driver=False,
                             ignore_reinit_error=True, runtime_env={"py_modules": [str(PACKAGE)]})
                    done["ok"] = True
                except Exception as exc:  # any failure to join is said the same way
                    done["error"] = exc

            thread = threading.Thread(target=join, daemon=True, name="digitstudio-ray-connect")
            thread.start()
            thread.join(CONNECT_TIMEOUT)
            if "ok" not in done:
                cause = done.get("error")
                why = f"{type(cause).__name__}: {str(cause).splitlines()[0][:160]}" if cause else (
                    f"no answer within {CONNECT_TIMEOUT:.0f} s")
                raise ClusterError(f"Could not reach the Ray cluster at {self.address} ({why}); check that "
                                   "`ray start --head` runs there and DIGIT_STUDIO_RAY_ADDRESS names it.")
            self._connected = True

    def slots(self) -> int:
        """How many trainings the cluster can run at once: its CPUs / CPUS_PER_TRAINING (≥ 1)."""
        import ray

        self.connect()
        return max(1, int(ray.cluster_resources().get("CPU", 1)) // self.cpus_per_training)

    def data(self):
        """The ObjectRef of MNIST in the object store (loaded here and put once)."""
        import ray

        self.connect()
        with self._lock:
            if self._data_ref is None:
                self._data_ref = ray.put(self.load_data())
            return self._data_ref

    def worker(self) -> RayWorker:
        return RayWorker(self)


class RayWorker:
    """One slot on the cluster: a long-lived TrainingActor running jobs one at a time for
    one of the queue's worker threads. Same interface as worker.WorkerProcess."""

    def __init__(self, cluster: RayCluster):
        self.cluster = cluster
        self._actor = None

    def _fresh_actor(self):
        actor_class = _actor_class()
        cpus = self.cluster.cpus_per_training
        return actor_class.options(num_cpus=cpus, max_concurrency=2).remote(self.cluster.data(), cpus)

    def run(self, task: Any, on_event: Callable[[Event], None], control: RemoteControl) -> tuple[Any, bytes | None]:
        """Run `task` on the cluster; see worker.WorkerProcess.run. WorkerLost when the actor
        (or its machine) dies or does not start in time."""
        import ray
        from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError, WorkerCrashedError

        try:
            if self._actor is None:
                self._actor = self._fresh_actor()
            actor = self._actor
            stream = actor.run.options(num_returns="streaming").remote(task)
            control.attach(lambda message: actor.control.remote(message[1], message[2]))
            first = True
            while True:
                ready, _ = ray.wait([stream], timeout=START_TIMEOUT if first else None)
                if not ready:
                    raise WorkerLost(f"The Ray worker did not answer within {START_TIMEOUT:.0f} s.")
                try:
                    ref = next(stream)
                except StopIteration:
                    raise WorkerLost("The Ray worker ended the training without a result.") from None
                first = False
                message = ray.get(ref)
                if message[0] == "event":
                    on_event(message[1])
                elif message[0] == "resumed":
                    control.resumed_remotely()
                elif message[0] == "result":
                    return message[1], message[2]
                elif message[0] == "error":
                    raise TaskError(message[1], data_problem=message[2])
        except (RayActorError, WorkerCrashedError, GetTimeoutError, RayTaskError) as exc:
            self.close()
            first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            raise WorkerLost(f"The Ray worker running this training was lost ({first}); the next training gets "
                             "a fresh one.") from None
        except WorkerLost:
            self.close()
            raise

    def close(self) -> None:
        actor, self._actor = self._actor, None
        if actor is not None:
            try:
                import ray

                ray.kill(actor, no_restart=True)
            except Exception:  # already gone
                pass


_ACTOR = None


def _actor_class():
    """The Ray actor class, made once (importing Ray only when a cluster is used)."""
    global _ACTOR
    if _ACTOR is None:
        import ray

        _ACTOR = ray.remote(TrainingActor)
    return _ACTOR


class TrainingActor:
    """Runs on a Ray worker: one training at a time (`run`, a streaming generator), with
    control requests (`control`) arriving on the actor's second thread."""

    def __init__(self, data, cpus: int):
        import os

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from digitstudio.runtime import configure_tensorflow

        configure_tensorflow((max(1, int(cpus)), 0))  # TensorFlow uses the CPUs Ray gave this actor
        self.data = data
        self.control_now: TrainingControl | None = None

    def control(self, op: str, value: Any = None) -> bool:
        if self.control_now is None:
            return False
        _apply(self.control_now, op, value)
        return True

    def run(self, task):
        """Yields worker.py's messages while `task` runs on a thread of this actor."""
        import gc

        from digitstudio.runtime import TracedGradients, release_free_memory

        messages: queue.Queue = queue.Queue()
        control = self.control_now = TrainingControl()
        told = [False]

        def on_progress(event: Event) -> None:
            messages.put(("event", event))
            if control.resumed_by_itself and not told[0]:
                told[0] = True
                messages.put(("resumed",))

        def work() -> None:
            traced = TracedGradients()
            traced.mark()
            try:
                result = task(self.data, on_progress, control)
                model_bytes = model_to_bytes(result.model) if result.model is not None else None
                result.model = None
                messages.put(("result", result, model_bytes))
            except Exception as exc:
                lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
                messages.put(("error", f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300], False))
            finally:
                traced.forget()
                gc.collect()
                release_free_memory()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        while True:
            message = messages.get()
            yield message
            if message[0] in ("result", "error"):
                break
        thread.join()
        self.control_now = None
