"""MNIST loading: the shared file, broken files (one-line DataErrors), $MNIST_NPZ and
the download fallback (mocked: no network)."""

from __future__ import annotations

import numpy as np
import pytest

from digitstudio.data import mnist as D
from digitstudio.data.mnist import (
    ENV_VAR,
    DataError,
    MnistData,
    check,
    load_mnist,
    load_npz,
    to_model_input,
)

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def one_line_error(func, *args, match: str) -> str:
    with pytest.raises(DataError, match=match) as info:
        func(*args)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- the real file ----------------------------------------------------------------------

def test_shared_file_shapes_dtypes_and_class_counts(mnist, mnist_path):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.y_train.shape == (60000,) and mnist.y_train.dtype == np.uint8
    assert mnist.x_test.shape == (10000, 28, 28) and mnist.x_test.dtype == np.uint8
    assert mnist.y_test.shape == (10000,) and mnist.y_test.dtype == np.uint8
    assert np.bincount(mnist.y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.y_test, minlength=10).tolist() == TEST_COUNTS
    assert mnist.x_train.max() == 255 and mnist.x_train.min() == 0
    assert mnist.source == str(mnist_path.resolve())


def test_small_mnist_fixture(small_mnist):
    assert small_mnist.x_train.shape == (2000, 28, 28)
    assert small_mnist.x_test.shape == (500, 28, 28)
    assert set(np.unique(small_mnist.y_train)) == set(range(10))
    check(small_mnist)


def test_to_model_input(mnist):
    x = to_model_input(mnist.x_test[:3])
    assert x.shape == (3, 28, 28, 1) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() == 1.0
    np.testing.assert_allclose(x[..., 0], mnist.x_test[:3] / 255.0, rtol=1e-6)
    floats = to_model_input(np.full((28, 28), 0.5, dtype=np.float64))  # one drawn digit
    assert floats.shape == (1, 28, 28, 1) and floats.dtype == np.float32 and floats.max() == 0.5


# --- tiny files, valid and broken --------------------------------------------------------

def test_tiny_valid_file(make_npz):
    path = make_npz()
    loaded = load_npz(path)
    assert loaded.x_train.shape == (60, 28, 28)
    assert loaded.source == str(path.resolve())


def test_missing_file(tmp_path):
    message = one_line_error(load_npz, tmp_path / "nope.npz", match="MNIST file not found")
    assert ENV_VAR in message and "nope.npz" in message


def test_directory_is_not_a_file(tmp_path):
    one_line_error(load_npz, tmp_path, match="MNIST file not found")


@pytest.mark.parametrize("content", [b"this is not a zip file\n", b"", b"PK\x03\x04garbage"])
def test_not_a_zip(tmp_path, content):
    path = tmp_path / "mnist.npz"
    path.write_bytes(content)
    one_line_error(load_npz, path, match=r"is not a readable \.npz file")


def test_pickled_objects_are_refused(make_npz):
    path = make_npz(y_train=np.array([object()] * 60, dtype=object))
    one_line_error(load_npz, path, match=r"is not a readable \.npz file")


def test_plain_npy_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros((3, 28, 28), np.uint8))
    one_line_error(load_npz, path, match=r"is not a readable \.npz file")


def test_missing_key(make_npz):
    message = one_line_error(load_npz, make_npz(drop=("y_test",)), match=r"is missing y_test")
    assert "x_train, y_train, x_test, y_test" in message
    one_line_error(load_npz, make_npz("two.npz", drop=("x_train", "y_train")), match=r"missing x_train, y_train")


@pytest.mark.parametrize("override, match", [
    (dict(x_train=np.zeros((60, 32, 32), np.uint8)), r"x_train must have shape \(n, 28, 28\), not \(60, 32, 32\)"),
    (dict(x_test=np.zeros((20, 784), np.uint8)), r"x_test must have shape \(n, 28, 28\), not \(20, 784\)"),
    (dict(x_train=np.zeros((60, 28, 28, 1), np.uint8)), r"x_train must have shape"),
    (dict(x_train=np.zeros((60, 28, 28), np.float32)), r"x_train must be uint8 pixels 0–255, not float32"),
    (dict(x_test=np.zeros((20, 28, 28), np.float64)), r"x_test must be uint8 pixels 0–255, not float64"),
    (dict(y_train=np.full(60, 10, np.uint8)), r"y_train labels must be 0–9, found 10–10"),
    (dict(y_test=np.array([-1] + [0] * 19, np.int64)), r"y_test labels must be 0–9, found -1–0"),
    (dict(y_train=np.zeros(59, np.uint8)), r"y_train must be 60 labels, not shape \(59,\)"),
    (dict(y_test=np.zeros((20, 1), np.uint8)), r"y_test must be 20 labels, not shape \(20, 1\)"),
    (dict(y_train=np.zeros(60, np.float32)), r"y_train must hold integer labels, not float32"),
    (dict(x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0, np.uint8)), r"the test split is empty"),
])
def test_broken_contents(make_npz, override, match):
    path = make_npz(**override)
    message = one_line_error(load_npz, path, match=match)
    assert message.startswith(str(path.resolve()))


def test_check_on_arrays_in_memory():
    bad = MnistData(np.zeros((2, 28, 28), np.uint8), np.array([0, 12]), np.zeros((1, 28, 28), np.uint8),
                    np.array([3]), source="in-memory")
    with pytest.raises(DataError, match=r"in-memory: y_train labels must be 0–9, found 0–12"):
        check(bad)


# --- choosing the source ------------------------------------------------------------------

def test_env_var_is_honoured(make_npz, monkeypatch):
    path = make_npz()
    monkeypatch.setenv(ENV_VAR, str(path))
    assert D.resolve_source() == str(path)
    assert load_mnist().source == str(path.resolve())


def test_explicit_path_wins_over_env(make_npz, monkeypatch, tmp_path):
    chosen = make_npz("chosen.npz")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "does-not-exist.npz"))
    assert load_mnist(chosen).source == str(chosen.resolve())
    assert load_mnist(str(chosen)).x_test.shape == (20, 28, 28)


def test_env_var_pointing_nowhere_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.npz"))
    one_line_error(load_mnist, match=r"MNIST file not found: .*missing\.npz")


@pytest.mark.parametrize("env", [None, "", "   "])
def test_download_is_attempted_without_path_or_env(monkeypatch, env):
    keras = pytest.importorskip("keras")
    if env is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, env)
    calls = []

    def offline(*args, **kwargs):
        calls.append(args)
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    message = one_line_error(load_mnist, match=r"Could not download MNIST: no network connection .*"
                                               r"\(OSError: network is unreachable\)")
    assert calls, "the download was not attempted"
    assert ENV_VAR in message and "--data" in message and "x_train, y_train, x_test, y_test" in message


@pytest.mark.parametrize("error, says", [
    (ValueError("Incomplete or corrupted file detected. The sha256 file hash does not match"), "failed its checksum"),
    (__import__("zipfile").BadZipFile("File is not a zip file"), "is damaged"),
    (RuntimeError("something else"), "RuntimeError: something else"),
])
def test_download_failures_say_what_failed_and_what_to_do(monkeypatch, error, says):
    keras = pytest.importorskip("keras")
    monkeypatch.delenv(ENV_VAR, raising=False)

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(keras.datasets.mnist, "load_data", failing)
    message = one_line_error(load_mnist, match="Could not download MNIST")
    assert says in message and ENV_VAR in message


def test_download_result_is_checked(monkeypatch):
    keras = pytest.importorskip("keras")
    monkeypatch.delenv(ENV_VAR, raising=False)
    x, y = np.zeros((60, 28, 28), np.uint8), np.arange(60, dtype=np.uint8) % 10
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x, y), (x[:20], y[:20])))
    loaded = load_mnist()
    assert loaded.source == "keras-download" and loaded.x_train.shape == (60, 28, 28)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x, y + 5), (x[:20], y[:20])))
    with pytest.raises(DataError, match=r"keras-download: y_train labels must be 0–9, found 5–14"):
        load_mnist()


# --- "Try a test digit" ---------------------------------------------------------------------

def test_random_test_digit_is_seeded_and_labelled(mnist):
    from digitstudio.data.mnist import random_test_digit

    image, label, index = random_test_digit(mnist, 7)
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert label == int(mnist.y_test[index]) and 0 <= label <= 9
    np.testing.assert_array_equal(image, mnist.x_test[index])
    assert random_test_digit(mnist, 7).index == index  # same seed, same digit
    indices = {random_test_digit(mnist, seed).index for seed in range(20)}
    assert len(indices) > 15  # different seeds spread over the test split
    rng = np.random.default_rng(0)
    assert random_test_digit(mnist, rng).index != random_test_digit(mnist, rng).index  # a generator moves on
