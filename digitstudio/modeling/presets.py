"""Named starting points: the tutorials Digit Studio grew from, and the shipped CNN.

The presets are data, in presets.toml beside this file: each records its source and
what that source reported, so the README and the app can show our measured numbers
beside the original ones.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from digitstudio.modeling.spec import ModelSpec, validate

PRESETS_FILE = Path(__file__).with_name("presets.toml")
DEFAULT_PRESET = "seed-mlp"  # train.py's and the sidebar's starting point


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    source: str
    reported: str  # what the source reported, in its own words/numbers
    spec: ModelSpec
    reach: float | None = None  # MNIST test accuracy this recipe reaches here (docs/benchmarks.md, presets)


def _load(path: Path) -> dict[str, Preset]:
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return {name: Preset(name=name, title=entry["title"], source=entry["source"], reported=entry["reported"],
                         spec=ModelSpec.from_dict(entry["spec"]), reach=entry.get("reach"))
            for name, entry in table.items()}


PRESETS: dict[str, Preset] = _load(PRESETS_FILE)


def matching_preset(spec: ModelSpec) -> str | None:
    """The name of the preset this spec is exactly (after validation), else None: a
    setup that no longer matches its preset is "custom"."""
    wanted = validate(spec)
    return next((name for name, preset in PRESETS.items() if validate(preset.spec) == wanted), None)
