"""One home for each concept: each test fails when the concept is spelled out somewhere
other than its home (docs/architecture.md lists the homes), the way test_catalogue.py
guards the layer catalogue."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from digitstudio.data.augment import augmenter
from digitstudio.settings import SETTINGS
from digitstudio.storage.runs import INSIDES_FILE, LOGS_FOLDER, MODEL_FILE, RECORD_FILE, RunStatus
from ui import session

ROOT = Path(__file__).resolve().parents[1]
APP_CODE = [ROOT / "app.py", ROOT / "train.py", *sorted((ROOT / "digitstudio").rglob("*.py")),
            *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "views").glob("*.py"))]


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{node.lineno}"


def strings(path: Path):
    """(node, value) of every string constant that is not a docstring."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {id(body[0].value) for body in
                  [node.body for node in ast.walk(tree) if isinstance(node, (ast.Module, ast.FunctionDef,
                                                                              ast.AsyncFunctionDef, ast.ClassDef))]
                  if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node, node.value


def spelled(values: set[str], home: set[str], files=APP_CODE) -> list[str]:
    return [f"{where(path, node)} {value!r}" for path in files if str(path.relative_to(ROOT)) not in home
            for node, value in strings(path) if value in values]


def test_settings_are_read_only_in_settings_py():
    names = {s.env for s in SETTINGS}
    assert not spelled(names, {"digitstudio/settings.py"}), "spell a setting's name only in settings.py"
    readers = []
    for path in APP_CODE:
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                text = ast.get_source_segment(path.read_text(), node) or ""
                line = path.read_text().splitlines()[node.lineno - 1]
                if text.startswith("os.") and not any(k in line for k in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_HOME")):
                    readers.append(f"{where(path, node)}: {line.strip()}")
    assert not readers, "read settings through digitstudio.settings.settings():\n" + "\n".join(readers)


def test_pixel_scales_convert_only_in_pixels_py():
    found = []
    for path in APP_CODE:
        if path.name == "pixels.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div))
                    and isinstance(node.right, ast.Constant) and node.right.value in (255, 255.0)
                    and not isinstance(node.left, ast.Constant)):  # 32 / 255: a threshold written in 0–255 units
                found.append(where(path, node))
    assert not found, f"use digitstudio.pixels.to_unit / to_uint8: {found}"


def test_run_statuses_are_spelled_only_in_the_run_store():
    assert not spelled({status.value for status in RunStatus}, {"digitstudio/storage/runs.py"})


def test_the_run_folders_layout_is_known_only_to_the_run_store():
    assert not spelled({MODEL_FILE, RECORD_FILE, INSIDES_FILE, LOGS_FOLDER}, {"digitstudio/storage/runs.py"})


def test_session_keys_are_named_only_in_ui_session():
    keys = {value for name, value in vars(session).items() if name.endswith("_KEY")}
    pages = [p for p in APP_CODE if p.parts[-2] in ("ui", "views") or p.name == "app.py"]
    assert not spelled(keys, {"ui/session.py"}, pages)


def test_augmentation_defaults_live_in_the_spec_only():
    assert all(p.default is inspect.Parameter.empty for p in inspect.signature(augmenter).parameters.values())


def test_the_readme_lists_the_settings_as_settings_py_declares_them():
    from digitstudio.settings import markdown_table

    assert markdown_table() in (ROOT / "README.md").read_text(), "run: python -m digitstudio.settings"
