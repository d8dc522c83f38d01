"""ModelSpec ⇄ train.py's command line, derived from the field table (spec.FIELDS).

    add_spec_arguments(parser)   one option per field (--lr, --epochs, --augment/--no-augment…)
    spec_from_args(args)         the preset, overridden by every option given, validated
    command_line(spec)           the train.py command that reproduces a spec exactly
"""

from __future__ import annotations

import argparse
import shlex

from digitstudio.modeling.presets import DEFAULT_PRESET, PRESETS, matching_preset
from digitstudio.modeling.spec import FIELDS, ModelSpec, format_number, layers_help, parse_layers, validate


def add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    """--preset, --layers and one option per spec field."""
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=sorted(PRESETS),
                        help=f"starting point; every option below overrides it (default: {DEFAULT_PRESET})")
    parser.add_argument("--layers", help=f"comma-separated layers, e.g. the shipped CNN's "
                        f"'{PRESETS['cnn'].spec.layers_compact()}'. Forms: {layers_help()}. The 10-way softmax "
                        "output is added for you.")
    for field in FIELDS:
        if field.type == "bool":
            parser.add_argument(field.flag, dest=field.name, action=argparse.BooleanOptionalAction, default=None,
                                help=field.help)
        elif field.type == "choice":
            parser.add_argument(field.flag, dest=field.name, choices=field.choices, help=field.help)
        elif field.type == "schedule":
            parser.add_argument(field.flag, dest=field.name, metavar="STEP:LR,…", help=field.help)
        else:
            parser.add_argument(field.flag, dest=field.name, type=int if field.type == "int" else float,
                                help=f"{field.help} ({field.range_text()})")


def spec_from_args(args: argparse.Namespace) -> ModelSpec:
    """The chosen preset with every given option applied; SpecError if invalid."""
    changes = {field.name: getattr(args, field.name) for field in FIELDS if getattr(args, field.name) is not None}
    if args.layers is not None:
        changes["layers"] = parse_layers(args.layers)
    return validate(PRESETS[args.preset].spec.replace(**changes))


def command_line(spec: ModelSpec, out: str | None = None, data: str | None = None) -> str:
    """The train.py command that reproduces a spec: `--preset NAME` when it is a preset
    unchanged, else the layers plus every field that differs from the default preset."""
    spec = validate(spec)
    parts = ["python", "train.py"]
    preset = matching_preset(spec)
    if preset is not None:
        parts += ["--preset", preset]
    else:
        base = validate(PRESETS[DEFAULT_PRESET].spec)
        parts += ["--layers", f"'{spec.layers_compact()}'"]  # always quoted: the form has no quotes
        for field in FIELDS:
            value = getattr(spec, field.name)
            if value == getattr(base, field.name):
                continue
            if field.type == "bool":
                parts.append(field.flag if value else "--no-" + field.flag[2:])
            elif value is None:  # only train_size: None = all images
                parts += [field.flag, str(field.high)]
            else:
                parts += [field.flag, format_number(value) if field.type == "float" else shlex.quote(str(value))]
    if data:
        parts += ["--data", shlex.quote(data)]
    if out:
        parts += ["--out", shlex.quote(out)]
    return " ".join(parts)
