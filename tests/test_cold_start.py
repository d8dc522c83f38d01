"""Cold start (#28): nothing the first canvas does not need is imported before it.

TensorFlow and Keras take most of a cold start (~4.7 s of ~5.6 s of imports on a 2-core
machine, bench/cold_start.py): the page's frame and the Draw page import without them, and the
Draw page loads the model after it has drawn the canvas. A fresh interpreter per check, since
this test process has imported Keras long ago."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Everything app.py imports before the page runs, and what the Draw page imports.
FRAME = ["ui.presenter", "ui.streamlit_patch", "ui.board", "ui.drawing", "ui.frame", "ui.labels", "ui.nickname",
         "ui.resources", "ui.sidebar", "ui.teach", "ui.training_status", "ui.viewport", "digitstudio.runtime"]
HEAVY = ["tensorflow", "keras", "onnx", "tf2onnx", "ray", "sqlalchemy.dialects.postgresql"]


def test_the_frame_and_the_draw_page_import_without_tensorflow():
    code = ("import sys, ast, pathlib\n"
            f"for name in {FRAME!r}: __import__(name)\n"
            "draw = ast.parse(pathlib.Path('views/draw.py').read_text())\n"
            "for node in draw.body:\n"
            "    if isinstance(node, ast.ImportFrom): __import__(node.module)\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "", f"imported before the first canvas: {done.stdout.strip()}"

