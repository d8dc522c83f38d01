"""Extra labelled digits (.npz x/y, or the app's export .zip) and train.py --extra-data."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

import train as cli
from digitstudio.data.extra import check_arrays, export_zip, load_extra, npz_bytes, with_extra
from digitstudio.data.mnist import DataError, MnistData
from digitstudio.storage.drawings import Drawing


def digits(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


def test_npz_round_trip(tmp_path):
    x, y = digits()
    path = tmp_path / "mine.npz"
    path.write_bytes(npz_bytes(x, y))
    x2, y2 = load_extra(path)
    assert np.array_equal(x2, x) and np.array_equal(y2, y) and x2.dtype == y2.dtype == np.uint8


def test_export_zip_round_trip(tmp_path):
    x, y = digits(3)
    drawings = [Drawing(id=10 + i, created=None, nickname="", session_id="s", collection="personal",
                        label=int(y[i]), predicted=None, confidence=None, model_id="", image=x[i],
                        canvas_png=b"\x89PNG\r\n\x1a\n-fake" if i != 1 else None) for i in range(3)]
    data = export_zip(drawings)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "canvas/10-label0.png", "canvas/12-label2.png",
                                              "digits.npz"]
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    x2, y2 = load_extra(path)
    assert np.array_equal(x2, x) and np.array_equal(y2, y)
    with pytest.raises(ValueError, match="no labelled digits"):
        export_zip([])


@pytest.mark.parametrize("arrays, message", [
    ({"x": np.zeros((2, 28, 28), np.float32), "y": np.zeros(2, np.uint8)}, "uint8"),
    ({"x": np.zeros((2, 27, 28), np.uint8), "y": np.zeros(2, np.uint8)}, r"\(n, 28, 28\)"),
    ({"x": np.zeros((2, 28, 28), np.uint8), "y": np.zeros(3, np.uint8)}, "2 labels"),
    ({"x": np.zeros((2, 28, 28), np.uint8), "y": np.array([1, 12])}, "0–9"),
    ({"x": np.zeros((0, 28, 28), np.uint8), "y": np.zeros(0, np.uint8)}, "no digits"),
    ({"images": np.zeros((2, 28, 28), np.uint8)}, "missing x, y"),
])
def test_bad_files_are_one_line_data_errors(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load_extra(path)


def test_unreadable_or_missing_file(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_extra(garbage)
    with pytest.raises(DataError, match="not found"):
        load_extra(tmp_path / "missing.npz")
    with pytest.raises(DataError):
        check_arrays(np.zeros((1, 28, 28), np.uint8), np.array([0.5]))


def test_with_extra_mixes_into_training_only():
    base = MnistData(*digits(20, 1), *digits(5, 2), source="mnist.npz")
    x, y = digits(7, 3)
    mixed = with_extra(base, x, y, source="mine.npz")
    assert len(mixed.x_train) == 27 and np.array_equal(mixed.x_test, base.x_test)
    # every extra digit is in the training split with its label, not all at the end
    rows = {mixed.x_train[i].tobytes(): mixed.y_train[i] for i in range(27)}
    assert all(rows[x[i].tobytes()] == y[i] for i in range(7))
    assert "mine.npz (7 digits)" in mixed.source


def test_train_cli_with_extra_data(tmp_path, mnist_path, capsys):
    x, y = digits(40)
    extra = tmp_path / "mine.npz"
    extra.write_bytes(npz_bytes(x, y))
    out = tmp_path / "with-extra.keras"
    code = cli.main(["--layers", "dense:16:relu", "--train-size", "500", "--epochs", "1",
                     "--data", str(mnist_path), "--extra-data", str(extra), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    info = json.loads(out.with_suffix(".json").read_text())
    assert info["status"] == "completed" and "40 digits" in info["data_source"]
    assert "--extra-data" in info["command"]


def test_train_cli_refuses_a_bad_extra_file(tmp_path, mnist_path, capsys):
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros((2, 28, 28), np.float32), y=np.zeros(2, np.uint8))
    out = tmp_path / "never.keras"
    assert cli.main(["--data", str(mnist_path), "--extra-data", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "uint8" in err and len(err.splitlines()) == 1
    assert not out.exists()
