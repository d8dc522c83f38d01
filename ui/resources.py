"""Things loaded once per server process and shared by every browser session (the
dataset, the run store, the training queue, one Predictor per model file), plus the
session's "active model". Streamlit-only glue; the logic lives in digitstudio/."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from digitstudio.data.mnist import ENV_VAR, DataError, MnistData, load_mnist, resolve_source
from digitstudio.drawing.predict import Predictor
from digitstudio.explain.convention import pixel_factor
from digitstudio.settings import SETTING, settings
from digitstudio.storage.model_files import ModelFileError, load_predictor
from digitstudio.storage.runs import RunKind, RunStatus, RunStore, run_kind
from ui.words import counted

if TYPE_CHECKING:  # the queue imports Keras: loaded with the first training, not before the canvas
    from digitstudio.training.queue import TrainingManager

ACTIVE_KEY = "active_model"  # session_state: ModelRef of this session's model


def classroom_mode() -> bool:
    """`streamlit run app.py -- --classroom` or DIGIT_STUDIO_CLASSROOM=1: the student view."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--classroom", action="store_true")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return args.classroom or settings().classroom


# --- the dataset, the runs, the queue: one per process ------------------------------------

@st.cache_resource(show_spinner="Loading MNIST…")
def mnist_or_error() -> tuple[MnistData | None, str]:
    """The dataset, or a plain-words reason it is unavailable (drawing still works).
    The one copy in memory: the training queue loads through this too. A failure is
    cached, so an offline server does not retry the download on every rerun; restart
    the app after setting MNIST_NPZ."""
    try:
        return load_mnist(), ""
    except DataError as exc:
        return None, str(exc)


def _mnist_for_training() -> MnistData:
    data, error = mnist_or_error()
    if data is None:
        raise DataError(error)
    return data


@st.cache_resource
def run_store() -> RunStore:
    return RunStore()


@st.cache_resource
def training_manager() -> TrainingManager:
    """One queue per server: at most DIGIT_STUDIO_MAX_TRAININGS trainings at once, each in a
    lower-priority child process (DIGIT_STUDIO_TRAINING_WORKERS=process, the default), which
    loads MNIST itself, or in this process (thread)."""
    from digitstudio.training.queue import TrainingManager

    chosen = settings()
    if chosen.ray_address:  # every training on the cluster, as many at once as it has CPUs
        from digitstudio.training.cluster import RayCluster

        return TrainingManager(run_store(), _mnist_for_training, max_concurrent=chosen.max_trainings,
                               cluster=RayCluster(chosen.ray_address, _mnist_for_training))
    in_process = chosen.training_workers == "thread"
    return TrainingManager(run_store(), _mnist_for_training,
                           process_data=None if in_process else functools.partial(load_mnist))


def mnist_problem() -> str:
    """Why training cannot get MNIST, found without loading it (cheap on every rerun),
    or "". Only a MNIST_NPZ that names no file is caught here; an unreadable file or
    an offline download fails the job with the same kind of advice (jobs.py)."""
    source = resolve_source()
    if source is None or Path(source).expanduser().is_file():
        return ""
    return (f"Training needs the MNIST data set, but {ENV_VAR} points at {source}, which does not exist. "
            f"Set {ENV_VAR} to a local mnist.npz (keys x_train, y_train, x_test, y_test) and restart the "
            "app; on the command line use `python train.py --data path/to/mnist.npz`. Drawing still works.")


# --- the session's model ------------------------------------------------------------------

@dataclass(frozen=True)
class ModelRef:
    """Which model a session draws with: the shipped one or a run from the runs folder."""

    path: str
    label: str
    run_id: str | None = None  # None = the shipped model
    input_scale: float = 1.0  # the model's [0, 1] pixels are multiplied by this (255 for raw-pixel models)


def model_name(run: dict) -> str:
    """A run's short name for headers and captions (the id stays in Runs): "Class model"
    (the teacher's Teach the model on Class), "Your model" (a fine-tune on one person's
    drawings), "Uploaded model" or "Trained model"."""
    kind = run_kind(run)
    if kind is RunKind.CLASS_FINETUNE:
        return "Class model"
    if kind is RunKind.FINETUNE:
        return "Your model"
    if kind is RunKind.UPLOAD or run.get("status") == RunStatus.UPLOADED:
        return "Uploaded model"
    return "Trained model"


def run_ref(run: dict) -> ModelRef:
    """A run's model (from its record), labelled the same wherever the page offers it:
    its short name, then what it is, e.g. "Class model (fine-tune of shipped CNN on 40
    drawn digits, 99.4% test)"."""
    details = []
    if run.get("finetune"):
        trained, others = run["finetune"].get("user_digits_trained"), run["finetune"].get("user_not_digits_trained")
        drawn = " and ".join(part for part in (counted(trained, "drawn digit") if trained else "",
                                               counted(others, "not-a-digit drawing") if others else "") if part)
        what = str(run.get("label") or "fine-tune").removeprefix("class ")
        details.append(what + (f" on {drawn}" if drawn else ""))
    elif run.get("label"):
        details.append(str(run["label"]))
    if run.get("test_accuracy") is not None:
        details.append(f"{run['test_accuracy']:.1%} test")
    return ModelRef(path=str(run_store().model_path(run["id"])), run_id=run["id"], input_scale=pixel_factor(run),
                    label=model_name(run) + (f" ({', '.join(details)})" if details else ""))


def shipped_ref() -> ModelRef:
    """The shipped model (the DIGIT_STUDIO_MODEL setting), asked on each call, so a changed
    or broken file shows up as a message on the page, not as a stale import."""
    return ModelRef(path=str(settings().model),
                    label="Shipped CNN")


# Models kept loaded at once, least recently used dropped first. Each holds a Keras model and its
# traced forward function: ~2 MB for the seed MLP, and the server's RSS grew by that with every
# training a person drew with until 16 were kept (bench/memory_ui.py: +38 MB over 20 trainings).
# Sessions draw with few models at once (the shipped one, the class's, each trainer's latest), and
# one dropped too soon is only loaded again (~0.5 s).
PREDICTORS_KEPT = 8


@st.cache_resource(show_spinner="Loading the model…", max_entries=PREDICTORS_KEPT)
def predictor_for(path: str, mtime: float, input_scale: float = 1.0) -> Predictor:
    """One Predictor per model file (and version of it), shared by all sessions, with the
    "not sure" threshold recorded beside the model (none for a model without one); at most
    PREDICTORS_KEPT at once."""
    return load_predictor(path, input_scale=input_scale)


@st.cache_resource
def _class_model() -> dict:
    """The server's default model when the teacher taught one on the class's digits."""
    return {}


def set_class_model(ref: ModelRef) -> None:
    """Make a model everyone's default (sessions that chose one themselves keep theirs)."""
    _class_model()["ref"] = ref


def default_ref() -> ModelRef:
    """What a session draws with until it picks a model: the class's, else the shipped one."""
    return _class_model().get("ref") or shipped_ref()


def active_ref() -> ModelRef:
    return st.session_state.get(ACTIVE_KEY) or default_ref()


def set_active(ref: ModelRef) -> None:
    st.session_state[ACTIVE_KEY] = ref


def active_predictor() -> tuple[Predictor | None, ModelRef, str]:
    """The session's predictor; falls back to the shipped model if the session's model
    file is gone or broken. Returns (predictor or None, the ref in use, a warning to show)."""
    ref, shipped = active_ref(), default_ref()
    problems = []
    for candidate in (ref, shipped) if ref != shipped else (shipped,):
        try:
            path = Path(candidate.path)
            predictor = predictor_for(str(path), path.stat().st_mtime if path.exists() else 0.0,
                                      candidate.input_scale)
        except (ModelFileError, OSError) as exc:
            problems.append(f"{candidate.label}: {exc}")
            continue
        if candidate != ref:
            set_active(candidate)  # once: the next rerun uses the shipped model without a warning
            problems.append("Using the shipped model instead.")
        return predictor, candidate, " ".join(problems)
    problems.append(f"No model could be loaded (check {SETTING['model'].env} or model/digit_cnn.keras): "
                    "train one in the sidebar or upload one in Runs.")
    return None, ref, " ".join(problems)


def model_record(ref: ModelRef) -> dict:
    """A model's record: its run's run.json, or the JSON beside a model file (the shipped
    model's digit_cnn.json); {} when there is none."""
    if ref.run_id:
        try:
            return run_store().get(ref.run_id)
        except (LookupError, ValueError):
            return {}
    try:
        return json.loads(Path(ref.path).with_suffix(".json").read_text())
    except (OSError, ValueError):
        return {}
