"""The layer catalogue is the one home of the layer kinds: no other code spells their
names, and everything that offers layers reads the catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from digitstudio.modeling.layers import CATALOGUE, LAYER_TYPES, lookup

REPO = Path(__file__).resolve().parents[1]


def _literal_uses(name: str) -> set[str]:
    """Non-test Python files with a string literal (docstrings aside) that is the name,
    or holds it in the compact form ('dense:512:relu,dropout:0.2')."""
    pattern = re.compile(rf"(^|,)\s*{re.escape(name)}(:|,|$)")
    files = set()
    for path in REPO.rglob("*.py"):
        relative = path.relative_to(REPO)
        if relative.parts[0] in ("tests", ".git") or "site-packages" in relative.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node)}
        literals = (node.value for node in ast.walk(tree) if id(node) not in docstrings
                    and isinstance(node, ast.Constant) and isinstance(node.value, str))
        if any(pattern.search(text) for text in literals):
            files.add(str(relative))
    return files


@pytest.mark.parametrize("name", LAYER_TYPES)
def test_a_layer_kind_is_named_in_at_most_two_files(name):
    files = _literal_uses(name)
    assert "digitstudio/modeling/layers.py" in files
    assert len(files) <= 2, f"{name!r} is spelled out in {sorted(files)}"


def test_every_kind_is_complete_and_findable_by_its_aliases():
    for kind in CATALOGUE.values():
        assert kind.keras_class and kind.title and kind.help, kind.name
        for alias in (kind.name, *kind.aliases, kind.name.upper()):
            assert lookup(alias) is kind
        for param in kind.params:
            assert param.column and param.help, (kind.name, param.name)
    assert lookup("lstm") is None
