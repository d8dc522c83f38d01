"""Things loaded once per server process and shared by every browser session, plus the
session's "active model". Streamlit-only glue; the logic lives in digitstudio/."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from digitstudio.data import DataError, MnistData, load_mnist
from digitstudio.models import ModelFileError, load_model
from digitstudio.predict import Predictor

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = Path(os.environ.get("DIGIT_STUDIO_MODEL", ROOT / "model" / "digit_cnn.keras"))
ACTIVE_KEY = "active_model"  # session_state: ModelRef of this session's model


@dataclass(frozen=True)
class ModelRef:
    """Which model a session draws with: the shipped one or a run from the runs folder."""

    path: str
    label: str
    run_id: str | None = None  # None = the shipped model


SHIPPED = ModelRef(path=str(SHIPPED_MODEL), label="Shipped CNN")


@st.cache_resource(show_spinner="Loading the model…", max_entries=16)
def predictor_for(path: str, mtime: float) -> Predictor:
    """One Predictor per model file (and version of it), shared by all sessions."""
    return Predictor(load_model(path))


def active_ref() -> ModelRef:
    return st.session_state.get(ACTIVE_KEY, SHIPPED)


def set_active(ref: ModelRef) -> None:
    st.session_state[ACTIVE_KEY] = ref


def active_predictor() -> tuple[Predictor | None, ModelRef, str]:
    """The session's predictor; falls back to the shipped model if the session's model
    file is gone or broken. Returns (predictor or None, the ref in use, a warning)."""
    ref = active_ref()
    warning = ""
    for candidate in (ref, SHIPPED) if ref != SHIPPED else (SHIPPED,):
        try:
            path = Path(candidate.path)
            predictor = predictor_for(str(path), path.stat().st_mtime if path.exists() else 0.0)
        except (ModelFileError, OSError) as exc:
            warning += f"{exc} "
            continue
        if candidate != ref:
            set_active(candidate)
            warning += "Using the shipped model instead."
        return predictor, candidate, warning.strip()
    return None, ref, warning.strip()


@st.cache_resource(show_spinner="Loading MNIST…")
def mnist_or_error() -> tuple[MnistData | None, str]:
    """The dataset, or a plain-words reason it is unavailable (drawing still works).
    The failure is cached too, so an offline server does not retry the download on
    every rerun; restart the app after setting MNIST_NPZ."""
    try:
        return load_mnist(), ""
    except DataError as exc:
        return None, str(exc)
