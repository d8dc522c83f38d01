"""The Runs page as an ML engineer uses it: runs told apart by a short name and their
settings as columns, a selection that stays on the same runs when a new one arrives, a
compare chart with full legends, percent axes and per-batch curves for short runs, downloads
that read no model file until clicked, and a raw-pixel run's replay pictures drawn from 0–1
pixels."""

from __future__ import annotations

import pathlib
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitstudio.modeling.naming import layers_name, optimizer_name, run_name
from digitstudio.modeling.presets import PRESETS
from digitstudio.modeling.spec import ModelSpec, parse_layers

ROOT = Path(__file__).resolve().parents[1]
PAGE = "views/runs.py"


# --- names ----------------------------------------------------------------------------------------

def test_a_run_name_says_what_the_run_is():
    custom = ModelSpec(layers=parse_layers("dense:128:relu,dropout:0.2"), optimizer="adam", learning_rate=0.003,
                       epochs=3)
    assert run_name(custom.replace(layers=parse_layers("dense:64:relu,dropout:0.2"))) == \
        "Dense 64 → Dropout 0.2 · Adam 0.003 · 3 ep"
    assert run_name(custom) == "seed-dropout · Adam 0.003 · 3 ep"  # the layers of a preset: its name
    assert run_name(custom.replace(train_size=2000, lr_changes="148:0.0005")) == \
        "seed-dropout · Adam 0.003→0.0005 · 3 ep · 2k images"
    sgd = ModelSpec(layers=parse_layers("conv2d:8:5:tanh,maxpool:2,dense:32"), optimizer="sgd", momentum=0.9,
                    learning_rate=0.05, lr_schedule="cosine", epochs=1, augment=True, input_scale="raw")
    assert run_name(sgd) == "Conv2D 8 5×5 tanh → MaxPooling2D 2 → Dense 32 · SGD 0.05 m0.9 cosine · 1 ep · +aug raw px"
    assert optimizer_name(PRESETS["seed-mlp"].spec) == "RMSprop 0.001"
    assert optimizer_name(sgd, rates=False) == "SGD m0.9"  # the table's optimizer column
    assert layers_name([]) == "no hidden layers"


def test_a_long_stack_is_named_by_its_weight_layers():
    cnn = PRESETS["cnn"].spec.layers
    assert layers_name(cnn) == "Conv2D 32-32-64-64 → Dense 128"
    assert layers_name(parse_layers("conv2d:2,conv2d:2,maxpool:2,conv2d:64,maxpool:2,dense:128,dropout:0.5")) == \
        "Conv2D 2-2-64 → Dense 128"
    assert layers_name(PRESETS["seed-deep-sigmoid"].spec.layers) == "Dense 200-100-60-30 sigmoid"
    assert run_name(PRESETS["cnn"].spec).startswith("cnn · Adam 0.002 cosine · ")
    assert all(len(run_name(preset.spec.replace(layers=preset.spec.layers[:-1]))) < 100
               for preset in PRESETS.values())


# --- the page ---------------------------------------------------------------------------------------

def save_run(store, label: str, spec: ModelSpec | None = None, history: dict | None = None, curve=()) -> str:
    """A run as the queue records it (an untrained model: this needs no training)."""
    from digitstudio.modeling.build import build_model
    from digitstudio.training.fit import TrainResult

    spec = spec or ModelSpec(layers=parse_layers("dense:8:relu"), epochs=2, batch_size=32, train_size=100)
    result = TrainResult(
        model=build_model(spec), spec=spec, status="completed",
        history=history or {"loss": [1.5, 0.9], "accuracy": [0.5, 0.7], "val_loss": [1.6, 1.0],
                            "val_accuracy": [0.45, 0.65]},
        test_loss=0.8, test_accuracy=0.75, params=6370, train_seconds=1.25, data_source="test",
        curve=list(curve))
    return store.save(result.run_record(), result.model, label)["id"]


def runs_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return at.switch_page(PAGE).run()


def shown_runs(at: AppTest) -> set[str]:
    """The run ids whose action boxes the page shows (one per selected run)."""
    return {button.key.removeprefix("use_") for button in at.button if (button.key or "").startswith("use_")}


def legend_labels(at: AppTest) -> list[str]:
    """The labels of the compare charts' shared legend (the page's last chart)."""
    import pyarrow as pa

    chart = [element for element in at.main if "vega" in getattr(element, "type", "")][-1]
    return pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().column("label").to_pylist()


def test_the_selection_follows_the_run_ids_not_the_row_positions(isolated_app):
    from digitstudio.storage.runs import RunStore

    store = RunStore(isolated_app)
    for label in ("a", "b", "c"):
        save_run(store, label)
    at = runs_page()
    table = list(at.dataframe[0].value["run"])
    at.session_state["runs_table"] = {"selection": {"rows": [0, 2], "columns": [], "cells": []}}  # tick two rows
    at.run()
    assert not at.exception
    chosen = {table[0], table[2]}
    assert shown_runs(at) == chosen
    names = legend_labels(at)[:2]  # the same setup twice: told apart in the legend, by time or id
    assert names[0] != names[1] and all(name.startswith("Dense 8 · Adam 0.001 · 2 ep") for name in names)
    time.sleep(1.1)  # a later second: the new run is listed first and every row moves down
    added = save_run(store, "d")
    at.run()  # e.g. a training finished or a model was uploaded meanwhile
    assert not at.exception
    table = list(at.dataframe[0].value["run"])
    assert table[0] == added
    assert shown_runs(at) == chosen  # the same runs, not the runs now at rows 0 and 2
    rows = at.session_state["runs_table"]["selection"]["rows"]
    assert {table[row] for row in rows} == chosen  # and the table's checkmarks moved with them
    # Unticking one in the table (positions as now drawn) leaves the other
    at.session_state["runs_table"] = {"selection": {"rows": [table.index(min(chosen))], "columns": [],
                                                    "cells": []}}
    at.run()
    assert shown_runs(at) == {min(chosen)}


def test_the_table_names_each_run_and_shows_its_settings(isolated_app):
    from digitstudio.storage.runs import RunStore

    spec = ModelSpec(layers=parse_layers("dense:64:relu,dropout:0.2"), learning_rate=0.003, epochs=3,
                     batch_size=64, train_size=2000, lr_changes="148:0.0005")
    run_id = save_run(RunStore(isolated_app), "custom", spec)
    at = runs_page()
    table = at.dataframe[0].value
    for column in ("name", "layers", "optimizer", "learning rate", "schedule", "epochs", "batch", "training images",
                   "test accuracy", "parameters", "seconds", "status", "run"):
        assert column in table.columns, column
    row = table.iloc[0]
    assert row["name"] == run_name(spec) == "Dense 64 → Dropout 0.2 · Adam 0.003→0.0005 · 3 ep · 2k images"
    assert row["run"] == run_id and row["layers"] == "dense:64:relu,dropout:0.2"
    assert (row["optimizer"], row["learning rate"], row["batch"], row["training images"]) == ("Adam", 0.003, 64, 2000)
    assert row["schedule"] == "0.0005 from batch 148"
    assert any(run_name(spec) in m.value for m in at.markdown)  # the run's box is headed by its name too


def test_opening_runs_reads_no_model_file(isolated_app, monkeypatch):
    from digitstudio.storage import model_files
    from digitstudio.storage.runs import RunStore

    store = RunStore(isolated_app)
    ids = [save_run(store, f"r{i}") for i in range(4)]
    models = {str(store.model_path(run_id)) for run_id in ids}
    read = []
    real_read_bytes, real_load = pathlib.Path.read_bytes, model_files.load_model
    monkeypatch.setattr(pathlib.Path, "read_bytes",
                        lambda self: read.append(str(self)) or real_read_bytes(self))
    monkeypatch.setattr(model_files, "load_model", lambda path, *a, **k: read.append(str(path)) or real_load(path))
    at = runs_page()
    at.session_state["runs_table"] = {"selection": {"rows": [0, 1, 2, 3], "columns": [], "cells": []}}
    at.run()
    assert not at.exception and shown_runs(at) == set(ids)
    assert not models & set(read), "the page read model files for download buttons nobody clicked"


# --- the compare chart -------------------------------------------------------------------------------

def record(spec: ModelSpec, history: dict, curve=()) -> dict:
    return {"id": "20260101-000000-x", "spec": spec.to_dict(), "history": history, "curve": list(curve)}


def test_a_one_epoch_run_is_a_line_and_a_run_without_validation_draws_none():
    from ui.charts import runs_frame

    spec = ModelSpec(layers=parse_layers("dense:8"), epochs=1, validation_split=0.0)
    curve = [{"epoch": 0.25, "loss": 2.0, "accuracy": 0.3}, {"epoch": 0.5, "loss": 1.2, "accuracy": 0.6},
             {"epoch": 0.75, "loss": 0.9, "accuracy": 0.7}]
    frame = runs_frame([record(spec, {"loss": [0.8], "accuracy": [0.75]}, curve)], ["one epoch"])
    accuracy = frame[frame["metric"] == "accuracy"]
    assert list(accuracy["epoch"]) == [0.25, 0.5, 0.75, 1.0] and list(accuracy["end"]) == [False] * 3 + [True]
    assert set(frame["series"]) == {"train"} and set(frame["run"]) == {"one epoch"}


def test_the_held_out_series_is_named_for_what_it_measured():
    from ui.charts import runs_frame

    history = {"loss": [1.0, 0.5], "accuracy": [0.6, 0.8], "val_loss": [0.9, 0.6], "val_accuracy": [0.7, 0.8]}
    on_test = ModelSpec(layers=parse_layers("dense:8"), epochs=2, validation_split=0.0, validate_on_test=True)
    assert set(runs_frame([record(on_test, history)])["series"]) == {"train", "test set"}
    split = on_test.replace(validate_on_test=False, validation_split=0.1)
    assert set(runs_frame([record(split, history)])["series"]) == {"train", "validation"}
    none = on_test.replace(validate_on_test=False)  # Validation split 0: nothing was held out
    assert set(runs_frame([record(none, history)])["series"]) == {"train"}


def test_the_compare_chart_has_a_full_legend_and_percent_axes():
    from ui.charts import compare_chart, compare_legend, runs_frame

    long_name = "Conv2D 32-32-64-64 → Dense 128 · Adam 0.002 cosine · 20 ep · +aug +styles +non-digits +real digits"
    spec = ModelSpec(layers=parse_layers("dense:8"), epochs=2, validation_split=0.1)
    history = {"loss": [1.0, 0.5], "accuracy": [0.6, 0.8], "val_loss": [0.9, 0.6], "val_accuracy": [0.7, 0.8]}
    frame = runs_frame([record(spec, history), record(spec.replace(epochs=3), history)], [long_name, "short"])
    chart = compare_chart(frame, "accuracy").to_dict()
    assert chart["layer"][0]["encoding"]["y"]["axis"]["format"] == ".1%"
    legend = compare_legend(frame).to_dict()
    labels = [row["label"] for row in next(iter(legend["datasets"].values()))]
    assert labels == [long_name, "short", "train", "validation"]  # every name whole, then the dashes
    text = legend["layer"][1]["mark"]
    assert "limit" not in text  # Vega cuts text only when told to


# --- a raw-pixel run's replay ------------------------------------------------------------------------

def test_a_raw_pixel_runs_snapshots_keep_its_digits_as_0_1_pixels(small_mnist, tmp_path):
    from digitstudio.pixels import to_uint8
    from digitstudio.training.fit import train
    from digitstudio.training.snapshots import load_insides, save_insides

    spec = ModelSpec(layers=parse_layers("dense:16:sigmoid"), epochs=1, train_size=300,
                     validation_split=0.0, input_scale="raw")
    drawing = small_mnist.x_test[0].astype(np.float32) / np.float32(255.0)
    result = train(spec, small_mnist, snapshots=True, drawing=drawing)
    assert result.status == "completed"
    probe = result.probe
    assert 0.0 <= probe.digits.min() and probe.digits.max() <= 1.0  # what the live view shows
    save_insides(tmp_path / "insides.npz", result.insides, probe)
    replay = load_insides(tmp_path / "insides.npz")
    firsts = [int(np.flatnonzero(small_mnist.y_test == d)[0]) for d in range(10)]
    shown = to_uint8(replay.digits[:10])
    assert np.abs(shown.astype(int) - small_mnist.x_test[firsts]).max() <= 1  # not saturated to 0/255 outlines
    # and the model was still fed raw 0–255 pixels: the snapshot's probabilities are the model's own
    x = small_mnist.x_test[firsts].reshape(-1, 28, 28, 1).astype(np.float32)
    expected = np.asarray(result.model(x, training=False))
    np.testing.assert_allclose(result.insides[-1].probabilities[:10].astype(np.float32), expected, atol=2e-3)


@pytest.mark.browser
def test_ticked_runs_stay_ticked_in_the_browser_when_a_run_is_added(chrome, tmp_path, mnist_path):
    """The real table: tick two runs, a run arrives, the same two stay ticked (by id)."""
    from digitstudio.storage.runs import RunStore
    from testkit.browser_support import app_server, wait_idle

    store = RunStore(tmp_path / "runs")
    for label in ("a", "b", "c"):
        save_run(store, label)
    ids = [run["id"] for run in store.list()]
    with app_server(env={"DIGIT_STUDIO_RUNS": str(store.root), "MNIST_NPZ": str(mnist_path)}) as url:
        page = chrome.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url + "/runs")
        wait_idle(page)
        table = page.locator(".st-key-runs_table")
        table.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)

        def shown() -> set[str]:
            """The runs whose action boxes are on the page ("Run <id>" under each heading)."""
            return {run_id for run_id in ids + [added] if page.get_by_text(f"Run {run_id}", exact=True).count()}

        added = ""
        box = table.bounding_box()
        for row in (0, 2):  # the checkbox column, rows of 35 px under a 35 px header
            page.mouse.move(box["x"] + 200, box["y"] + 35 * (row + 1) + 17)
            page.mouse.click(box["x"] + 16, box["y"] + 35 * (row + 1) + 17)
            page.wait_for_timeout(600)
            wait_idle(page)
        assert shown() == {ids[0], ids[2]}
        time.sleep(1.1)  # a later second: listed first
        added = save_run(store, "d")
        page.get_by_text("Model reading your drawings").click()  # focus the page, not the table
        page.keyboard.press("r")  # rerun, as a finished training or an upload does
        deadline = time.time() + 30
        while table.bounding_box()["height"] < box["height"] + 30 and time.time() < deadline:
            page.wait_for_timeout(200)  # until the table has the new run's row
        assert table.bounding_box()["height"] >= box["height"] + 30
        page.wait_for_timeout(1000)
        wait_idle(page)
        assert shown() == {ids[0], ids[2]}
        page.screenshot(path=str(tmp_path / "runs.png"))
