"""Shared fixtures for the Digit Studio tests.

    real_data    the real-handwriting .npz (data/real.py): $DIGIT_STUDIO_REAL_DATA, else
                 <repo>/../shared/data/real_handwriting.npz, else the public sources; skipped loudly
    mnist_path   the MNIST .npz: $MNIST_NPZ, else <repo>/../shared/data/mnist.npz, else
                 Keras's download (cached in ~/.keras/datasets); tests that need it are
                 skipped only when none works, and the run's last lines say so loudly
    mnist        the full data set, loaded once per session
    small_mnist  2,000 training / 500 test images (seeded, all ten classes), for fast tests
    make_npz     write a tiny MNIST-shaped .npz into tmp_path, optionally broken
    shipped      the shipped model (model/digit_cnn.keras) as a Predictor; skipped if missing
    app_mnist_npz  the MNIST file isolated_app points the app at (mnist_path; a module may
                 override it, e.g. with a small subset)
    isolated_app the app's settings for one AppTest test: its own runs and drawings folders,
                 MNIST from app_mnist_npz, no classroom, the shipped model, fresh shared
                 caches; yields the runs folder (use it with pytest.mark.usefixtures)
    chrome       headless Chromium (Playwright), one per test module; skipped if missing
    server       the app on a free localhost port, one per test module, runs and drawings in tmp folders

Helpers that are not fixtures (drawings, canvases, AppTest and browser steps) live in the
testkit package at the repository's root, shared with bench/.
"""

from __future__ import annotations

import os
from pathlib import Path

# Quiet TensorFlow's C++ start-up chatter, here and in train.py subprocesses.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# AppTests and the test app servers train in their own process, so a test can patch the trainer;
# tests/test_worker.py covers the worker processes the app uses by default.
os.environ.setdefault("DIGIT_STUDIO_TRAINING_WORKERS", "thread")

import numpy as np
import pytest

from digitstudio.data.mnist import ENV_VAR, MnistData, load_npz

REPO = Path(__file__).resolve().parents[1]
SHIPPED_MODEL = REPO / "model" / "digit_cnn.keras"
DEFAULT_MNIST = REPO.parent / "shared" / "data" / "mnist.npz"
DEFAULT_REAL_DATA = REPO.parent / "shared" / "data" / "real_handwriting.npz"

SMALL_TRAIN = 2000
SMALL_TEST = 500


_MNIST_PROBLEMS: list[str] = []  # why MNIST could not be had, for the run's closing lines


def find_mnist() -> Path | None:
    """$MNIST_NPZ if it names a file, else the shared copy beside the repo, else Keras's
    download (the file keras.datasets.mnist.load_data() caches); None when none works."""
    env = os.environ.get(ENV_VAR, "").strip()
    for path in ([Path(env).expanduser()] if env else []) + [DEFAULT_MNIST]:
        if path.is_file():
            return path
    if env:
        _MNIST_PROBLEMS.append(f"{ENV_VAR}={env} is not a file")
    try:
        from digitstudio.data.mnist import keras_mnist_file

        return keras_mnist_file()
    except Exception as exc:  # no network, no Keras: reported at the end of the run
        _MNIST_PROBLEMS.append(f"the Keras download failed: {' '.join(str(exc).split())[:200]}")
        return None


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    path = find_mnist()
    if path is None:
        pytest.skip(f"MNIST unavailable: {'; '.join(_MNIST_PROBLEMS)}")
    return path


def pytest_terminal_summary(terminalreporter):
    """Skipped MNIST tests are not a pass: say so in the last lines, where people look."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if "MNIST unavailable" in str(r.longrepr) or "real handwriting unavailable" in str(r.longrepr)]
    if skipped:
        bar = "!" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(f"{len(skipped)} TESTS WERE SKIPPED: MNIST or the real handwriting could not be "
                                    "loaded "
                                    f"({'; '.join(dict.fromkeys(_MNIST_PROBLEMS))}).", red=True, bold=True)
        terminalreporter.write_line(f"Set {ENV_VAR} to a local mnist.npz, or run where the Keras download "
                                    "works, to run them.", red=True, bold=True)
        terminalreporter.write_line(bar, red=True, bold=True)


def find_real_data() -> Path | None:
    """$DIGIT_STUDIO_REAL_DATA if it names a file, else the shared copy beside the repo, else
    Keras's cache (built from the public sources when missing); None when none works."""
    from digitstudio.data.real import ENV_VAR as REAL_ENV_VAR
    from digitstudio.data.real import cache_path, load_real

    env = os.environ.get(REAL_ENV_VAR, "").strip()
    for path in ([Path(env).expanduser()] if env else []) + [DEFAULT_REAL_DATA]:
        if path.is_file():
            return path
    if env:
        _MNIST_PROBLEMS.append(f"{REAL_ENV_VAR}={env} is not a file")
    try:
        load_real()
        return cache_path()
    except Exception as exc:  # no network: reported at the end of the run
        _MNIST_PROBLEMS.append(f"the real-handwriting rebuild failed: {' '.join(str(exc).split())[:200]}")
        return None


@pytest.fixture(scope="session")
def real_data_path() -> Path:
    path = find_real_data()
    if path is None:
        pytest.skip(f"real handwriting unavailable: {'; '.join(_MNIST_PROBLEMS)}")
    return path


@pytest.fixture(scope="session")
def real_data(real_data_path):
    from digitstudio.data.real import load_npz as load_real_npz

    return load_real_npz(real_data_path)


@pytest.fixture(scope="session")
def mnist(mnist_path) -> MnistData:
    return load_npz(mnist_path)


@pytest.fixture(scope="session")
def small_mnist(mnist) -> MnistData:
    rng = np.random.default_rng(0)
    train = np.sort(rng.permutation(len(mnist.x_train))[:SMALL_TRAIN])
    test = np.sort(rng.permutation(len(mnist.x_test))[:SMALL_TEST])
    return MnistData(
        x_train=mnist.x_train[train], y_train=mnist.y_train[train],
        x_test=mnist.x_test[test], y_test=mnist.y_test[test],
        source=f"{mnist.source} (subset {SMALL_TRAIN}/{SMALL_TEST})",
    )


def tiny_arrays(n_train: int = 60, n_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """Random but valid MNIST-shaped arrays (uint8 pixels, labels 0–9 cycling)."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


@pytest.fixture
def make_npz(tmp_path):
    """make_npz(name="mnist.npz", drop=(), **overrides) -> Path

    Writes a tiny valid MNIST .npz; `drop` removes keys, keyword arguments replace
    arrays (x_train=..., y_test=...) to make it broken in a chosen way.
    """

    def make(name: str = "mnist.npz", drop: tuple[str, ...] = (), **overrides: np.ndarray) -> Path:
        arrays = {**tiny_arrays(), **overrides}
        for key in drop:
            arrays.pop(key)
        path = tmp_path / name
        np.savez(path, **arrays)
        return path

    return make


@pytest.fixture(scope="session")
def shipped():
    """The shipped model as a Predictor (with its "not sure" threshold), loaded once."""
    if not SHIPPED_MODEL.is_file():
        pytest.skip("model/digit_cnn.keras is not built")
    from digitstudio.storage.model_files import load_predictor

    predictor = load_predictor(SHIPPED_MODEL)
    assert predictor.threshold is not None, "model/digit_cnn.json records no 'not sure' threshold"
    return predictor


@pytest.fixture
def app_mnist_npz(mnist_path) -> Path:
    return mnist_path


@pytest.fixture
def isolated_app(tmp_path, tmp_path_factory, app_mnist_npz, monkeypatch):
    """Each AppTest test: its own runs folder (tmp_path / "runs", yielded) and drawings
    folder (outside tmp_path), MNIST from app_mnist_npz, the real shipped model, no
    classroom, fresh shared caches."""
    import streamlit as st

    runs = tmp_path / "runs"
    monkeypatch.setenv("DIGIT_STUDIO_RUNS", str(runs))
    monkeypatch.setenv("DIGIT_STUDIO_DATA", str(tmp_path_factory.mktemp("data")))
    monkeypatch.setenv("MNIST_NPZ", str(app_mnist_npz))
    for name in ("DIGIT_STUDIO_MODEL", "DIGIT_STUDIO_CLASSROOM", "DIGIT_STUDIO_TEACHER_PASSCODE",
                 "DIGIT_STUDIO_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield runs
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="module")
def chrome():
    from testkit.browser_support import browser, chromium_path

    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (scripts/test.sh installs it as root)")
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    with browser() as instance:
        yield instance


@pytest.fixture(scope="module")
def classroom_server(tmp_path_factory, mnist_path):
    """A classroom-mode server (teacher passcode "owl") for a module's browser tests:
    (its URL, its drawings folder)."""
    from testkit.browser_support import app_server

    data = tmp_path_factory.mktemp("classroom-data")
    env = {"DIGIT_STUDIO_RUNS": str(tmp_path_factory.mktemp("classroom-runs")), "DIGIT_STUDIO_DATA": str(data),
           "MNIST_NPZ": str(mnist_path), "DIGIT_STUDIO_CLASSROOM": "1", "DIGIT_STUDIO_TEACHER_PASSCODE": "owl"}
    with app_server(env=env) as url:
        yield url, data


@pytest.fixture(scope="module")
def server(tmp_path_factory, mnist_path):
    from testkit.browser_support import app_server

    runs, drawings = tmp_path_factory.mktemp("browser-runs"), tmp_path_factory.mktemp("browser-data")
    with app_server(env={"DIGIT_STUDIO_RUNS": str(runs), "DIGIT_STUDIO_DATA": str(drawings),
                         "MNIST_NPZ": str(mnist_path)}) as url:
        yield url
