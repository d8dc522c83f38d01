"""train.py end to end on small subsets, its refusals, and training.train's statuses.

Everything trains tiny MLPs on 500–1,000 images so the file stays well under a minute.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import train as cli
from digitstudio.data.mnist import ENV_VAR
from digitstudio.modeling.cli import command_line
from digitstudio.modeling.presets import PRESETS
from digitstudio.modeling.spec import ModelSpec, count_params, parse_layers, validate
from digitstudio.storage.model_files import load_model
from digitstudio.training import events as events_
from digitstudio.training.control import TrainingControl
from digitstudio.training.fit import save_result, train

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--layers", "dense:32:relu", "--train-size", "1000", "--epochs", "2", "--validation-split", "0.1"]

JSON_KEYS = {"spec", "status", "message", "epochs_completed", "history", "test_loss", "test_accuracy",
             "params", "train_seconds", "seconds_per_epoch", "data_source", "versions", "command",
             "preset", "model_file"}


def read_json(model_path: Path) -> dict:
    return json.loads(model_path.with_suffix(".json").read_text())


def check_run(model_path: Path, epochs: int, data_source: str) -> dict:
    """The model loads and reads digits; the JSON beside it is complete."""
    model = load_model(model_path)
    assert model.predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0).shape == (2, 10)
    info = read_json(model_path)
    assert JSON_KEYS <= set(info), JSON_KEYS - set(info)
    assert info["status"] == "completed" and info["epochs_completed"] == epochs
    assert info["model_file"] == model_path.name
    spec = ModelSpec.from_dict(info["spec"])
    assert validate(spec) == spec and info["params"] == count_params(spec) == model.count_params()
    history = info["history"]
    assert {"loss", "accuracy", "seconds"} <= set(history)
    assert all(len(values) == epochs for values in history.values()), history
    assert all(s > 0 for s in history["seconds"])
    assert 0.0 <= info["test_accuracy"] <= 1.0 and math.isfinite(info["test_loss"])
    assert info["train_seconds"] > 0 and info["seconds_per_epoch"] > 0
    assert info["data_source"] == data_source
    assert {"python", "tensorflow", "keras", "numpy", "platform"} <= set(info["versions"])
    assert info["command"].startswith("python train.py ")
    return info


# --- training runs ------------------------------------------------------------------------

def test_subprocess_one_epoch_with_env_var(tmp_path, mnist_path):
    out = tmp_path / "runs" / "mlp.keras"  # the folder does not exist yet
    env = {**os.environ, ENV_VAR: str(mnist_path), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "train.py", "--preset", "seed-mlp", "--train-size", "1000", "--epochs", "1",
         "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "epoch   1/1" in proc.stdout and f"wrote {out}" in proc.stdout
    assert "Traceback" not in proc.stderr
    info = check_run(out, epochs=1, data_source=str(mnist_path.resolve()))
    assert info["preset"] == "seed-mlp" and info["params"] == 407_050
    assert info["spec"]["train_size"] == 1000 and info["spec"]["optimizer"] == "rmsprop"
    assert info["test_accuracy"] > 0.7  # 1,000 images, one epoch
    assert "--train-size 1000" in info["command"]
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp files left


def test_in_process_runs_are_repeatable(tmp_path, mnist_path, capsys):
    def run(name: str, *extra: str) -> dict:
        out = tmp_path / f"{name}.keras"
        assert cli.main([*SMALL, "--data", str(mnist_path), "--out", str(out), *extra]) == 0
        return check_run(out, epochs=2, data_source=str(mnist_path.resolve()))

    first = run("a", "--seed", "3")
    second = run("b", "--seed", "3")
    other = run("c", "--seed", "4")
    assert "wrote" in capsys.readouterr().out
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert first["history"][key] == second["history"][key], key
    assert first["test_loss"] == second["test_loss"]
    assert first["history"]["loss"] != other["history"]["loss"]
    # the recorded command reproduces the spec
    argv = shlex.split(first["command"])[2:]
    assert cli.spec_from_args(cli.parse_args(argv)).to_dict() == first["spec"]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_command_line_reproduces_spec(name):
    spec = PRESETS[name].spec.replace(train_size=1234, seed=9, learning_rate=0.00123456789)
    argv = shlex.split(command_line(spec, out="x.keras", data="d.npz"))
    assert argv[:2] == ["python", "train.py"]
    args = cli.parse_args(argv[2:])
    assert (args.out, args.data) == ("x.keras", "d.npz")
    assert cli.spec_from_args(args) == validate(spec)


def test_help_mentions_env_var(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert ENV_VAR in text and "--layers" in text and "--force" in text


# --- refusals ---------------------------------------------------------------------------------

@pytest.fixture
def existing(tmp_path):
    """An earlier run's model and JSON, which no refused command may touch."""
    out = tmp_path / "model.keras"
    out.write_bytes(b"earlier model")
    out.with_suffix(".json").write_text('{"earlier": true}')
    return out


def untouched(out: Path) -> bool:
    return out.read_bytes() == b"earlier model" and out.with_suffix(".json").read_text() == '{"earlier": true}'


BAD = {
    "bad layers": (["--layers", "lstm:32"], r"Layer 1: unknown layer type 'lstm'"),
    "conv after dense": (["--layers", "dense:32,conv2d:8"], r"comes after Flatten/Dense"),
    "lr zero": (["--lr", "0"], r"Learning rate must be between"),
    "lr negative": (["--lr", "-1"], r"Learning rate must be between"),
    "lr nan": (["--lr", "nan"], r"Learning rate must be a finite number"),
    "epochs zero": (["--epochs", "0"], r"Epochs must be between 1 and 200"),
    "train size": (["--train-size", "5"], r"Training images must be between 10"),
    "momentum": (["--optimizer", "sgd", "--momentum", "1"], r"Momentum must be in \[0, 1\)"),
    "split": (["--validation-split", "0.9"], r"Validation split must be between 0 and 0.5"),
    "too big": (["--layers", "dense:4096,dense:4096"], r"parameters; the limit here is 5,000,000"),
    "missing data": (["--data", "{tmp}/missing.npz"], r"MNIST file not found: .*missing\.npz"),
    "broken data": (["--data", "{tmp}/broken.npz"], r"is not a readable \.npz file"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line(case, existing, tmp_path, capsys, mnist_path):
    (tmp_path / "broken.npz").write_text("not a zip")
    args, match = BAD[case]
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--data" not in args:
        args += ["--data", str(mnist_path)]
    assert cli.main([*args, "--out", str(existing), "--force"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert re.search(match, lines[0]), lines[0]
    assert captured.out == ""
    assert untouched(existing)


def test_out_must_be_keras(tmp_path, capsys):
    assert cli.main(["--out", str(tmp_path / "model.h5")]) == 2
    assert capsys.readouterr().err == "error: --out must end in .keras, not 'model.h5'.\n"
    assert not list(tmp_path.iterdir())


def test_existing_out_needs_force(existing, capsys):
    assert cli.main([*SMALL, "--out", str(existing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists; pass --force to overwrite it" in err
    assert untouched(existing)


def test_bad_value_type_is_an_argparse_error(existing, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--lr", "fast", "--out", str(existing), "--force"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].endswith("error: argument --lr: invalid float value: 'fast'")
    assert untouched(existing)


def test_bad_input_subprocess_has_no_traceback(existing):
    proc = subprocess.run(
        [sys.executable, "train.py", "--layers", "dense:64,maxpool:2", "--out", str(existing), "--force"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: Layer 2 (maxpool) comes after Flatten/Dense")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert untouched(existing)


# --- training.train statuses -------------------------------------------------------------------

def test_stop_from_progress_callback_stops_within_the_epoch(small_mnist, tmp_path):
    spec = ModelSpec(layers=parse_layers("dense:16"), epochs=3, batch_size=8, validation_split=0.0)
    batches = len(small_mnist.x_train) // spec.batch_size  # 250
    control = TrainingControl()
    events = []

    def on_progress(event):
        events.append(event)
        if isinstance(event, events_.Batch):
            control.stop()

    result = train(spec, small_mnist, on_progress=on_progress, control=control)
    assert result.status == "stopped", result.message
    assert "stopped" in result.message
    assert int(result.model.optimizer.iterations.numpy()) < batches / 2
    assert len(result.history["loss"]) == 1 and len(result.history["seconds"]) == 1
    assert result.test_accuracy is not None and 0 <= result.test_accuracy <= 1
    first = next(e for e in events if not isinstance(e, events_.Phase))  # after "Preparing the training data"
    assert isinstance(first, events_.Batch) and first.epochs == 3 and first.batches == batches
    assert events[-1] == events_.Ended("stopped", result.message)
    assert [e.epoch for e in events if isinstance(e, events_.Epoch)] == [1]
    phases = [e.name for e in events if isinstance(e, events_.Phase)]
    assert phases[0] == "Preparing the training data" and any(p.startswith("Scoring the model") for p in phases)
    # a stopped run is still saved, with its status
    json_path = save_result(result, tmp_path / "stopped.keras")
    info = json.loads(json_path.read_text())
    assert info["status"] == "stopped" and info["epochs_completed"] == 1
    load_model(tmp_path / "stopped.keras")


def test_completed_run_reports_epochs_and_curve(small_mnist):
    spec = ModelSpec(layers=parse_layers("dense:16"), epochs=2, batch_size=64, train_size=1000,
                     validation_split=0.2, seed=1)
    events = []
    result = train(spec, small_mnist, on_progress=events.append)
    assert result.status == "completed" and result.message == ""
    epochs = [e for e in events if isinstance(e, events_.Epoch)]
    assert [e.epoch for e in epochs] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epochs[-1].logs)
    assert epochs[-1].eta == pytest.approx(0.0, abs=1e-6)
    # the ETA comes from the pace after the first batch (tracing would inflate it): no
    # estimate before there is a pace, then a plausible one (this run takes seconds)
    first = next(e for e in events if isinstance(e, events_.Batch))
    assert (first.epoch, first.batch, first.eta) == (1, 1, None)
    etas = [e.eta for e in events if isinstance(e, (events_.Batch, events_.Epoch))]
    assert all(eta is None or 0 <= eta < 60 for eta in etas)
    assert len(result.history["val_loss"]) == 2
    assert result.curve and all(0 < p["epoch"] <= 2 for p in result.curve)
    assert result.data_source == small_mnist.source


def test_augmented_training_runs(small_mnist):
    spec = ModelSpec(layers=parse_layers("conv2d:4:3,maxpool:2,dense:16"), epochs=1, batch_size=64,
                     train_size=500, validation_split=0.0, augment=True)
    result = train(spec, small_mnist)
    assert result.status == "completed", result.message
    assert len(result.history["loss"]) == 1 and math.isfinite(result.history["loss"][0])
    assert result.test_accuracy is not None


def test_diverging_run_is_reported_not_raised(small_mnist):
    x = small_mnist.x_train.copy()
    # linear layers and SGD at the largest allowed rate blow up within a few batches
    spec = ModelSpec(layers=parse_layers("dense:64:linear,dense:64:linear"), optimizer="sgd",
                     learning_rate=10.0, momentum=0.9, epochs=2, batch_size=32, train_size=500,
                     validation_split=0.0)
    result = train(spec, small_mnist)
    assert result.status == "diverged", (result.status, result.history)
    assert "NaN" in result.message and result.test_accuracy is None
    assert np.array_equal(small_mnist.x_train, x)  # training never changes the caller's data
