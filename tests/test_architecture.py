"""The code's floors: imports only point down, and nothing imports in a circle.

Read from the source (every `import` and `from … import`, those inside functions too),
so a lazy import cannot hide an arrow that runs back up. The floors, top to bottom, are
the data's path read backwards (docs/architecture.md explains each):

    app.py, train.py          the entry points
    views/                    one page each; no page imports another
    ui/                       Streamlit pieces shared by the pages
    digitstudio/export        what leaves the app: Keras script, ONNX, TFLite, links, QR
    digitstudio/training      the trainer, its queue and its controls
    digitstudio/storage       runs, model files, the drawings database
    digitstudio/explain       evaluation, insides, saliency, the input convention
    digitstudio/data          MNIST, real handwriting, augmentation, synthetic data
    digitstudio/drawing       canvas → 28×28 → prediction
    digitstudio/modeling      the layer catalogue, the spec, presets
    digitstudio (core)        settings, pixels, runtime
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOORS = ["entry", "views", "ui", "digitstudio.export", "digitstudio.training", "digitstudio.storage",
          "digitstudio.explain", "digitstudio.data", "digitstudio.drawing", "digitstudio.modeling", "digitstudio"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor_of(module: str) -> str:
    if module in ("app", "train"):
        return "entry"
    for floor in FLOORS[1:]:
        if module == floor or module.startswith(floor + "."):
            return floor
    raise AssertionError(f"{module} is on no floor: add it to FLOORS (and to docs/architecture.md)")


def project_modules() -> dict[str, Path]:
    files = [ROOT / "app.py", ROOT / "train.py", *sorted((ROOT / "views").glob("*.py")),
             *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "digitstudio").rglob("*.py"))]
    return {module_name(path): path for path in files}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports (a `from package import name` counts the
    submodule when `name` is one)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    found.discard(module_name(path))
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) for name, path in modules.items()}


def test_every_import_points_down_or_stays_on_its_floor():
    upward = []
    for module, imported in graph().items():
        for other in imported:
            if FLOORS.index(floor_of(other)) < FLOORS.index(floor_of(module)):
                upward.append(f"{module} imports {other} ({floor_of(module)} is below {floor_of(other)})")
    assert not upward, "Imports that run back up:\n" + "\n".join(sorted(upward))


def test_no_page_imports_another():
    pages = {module: imported for module, imported in graph().items() if module.startswith("views.")}
    crossing = [f"{m} imports {o}" for m, imported in pages.items() for o in imported if o.startswith("views.")]
    assert not crossing, crossing


def test_no_import_circles():
    edges = graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for other in sorted(edges[node]):
            if state.get(other) == 1:
                cycles.append(" → ".join(path[path.index(other):] + [other]))
            elif other not in state:
                visit(other, path + [other])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "Import circles:\n" + "\n".join(cycles)


def test_the_architecture_page_names_every_folder():
    page = (ROOT / "docs" / "architecture.md").read_text()
    folders = {"views/", "ui/", "bench/", "tests/", "model/", "scripts/"} | {
        f"digitstudio/{p.name}/" for p in (ROOT / "digitstudio").iterdir() if p.is_dir() and p.name != "__pycache__"}
    missing = sorted(folder for folder in folders if folder not in page)
    assert not missing, f"docs/architecture.md does not describe {missing}"
    for module, path in project_modules().items():
        if module.startswith("digitstudio.") and path.name != "__init__.py":
            assert path.name in page, f"docs/architecture.md does not name {module} ({path.name})"
