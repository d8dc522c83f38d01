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



FIRST_KERAS = '''
import sys, traceback
class First:
    stack = None
    def find_spec(self, name, path=None, target=None):
        if First.stack is None and name in ("tensorflow", "keras"):
            First.stack = [f.name for f in traceback.extract_stack()]
        return None
sys.meta_path.insert(0, First())
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=180).run()
assert not at.exception, [e.value for e in at.exception]
print("|".join(First.stack or []))
'''


def test_a_first_visit_loads_tensorflow_only_for_the_draw_pages_answer(tmp_path, app_mnist_npz):
    """The first page's full run: Keras is first imported by the Draw page's answer (after its
    canvas is drawn), not by the frame or the sidebar (the augmentation grid once did)."""
    env = {**__import__("os").environ, "MNIST_NPZ": str(app_mnist_npz), "DIGIT_STUDIO_RUNS": str(tmp_path / "runs"),
           "DIGIT_STUDIO_DATA": str(tmp_path / "data"), "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", FIRST_KERAS, str(ROOT / "app.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    stack = done.stdout.strip().splitlines()[-1].split("|")
    assert "draw_view" in stack and "active_predictor" in stack, f"Keras first imported by: {stack[-12:]}"
