"""A training setup as a link: ModelSpec ⇄ URL query parameters.

    ?preset=seed-mlp        a named preset, unchanged
    ?spec=eyJsYXllcnMi…     anything else: compact JSON (only the fields that differ
                            from ModelSpec's defaults, layers in the compact form),
                            URL-safe base64 without padding

A link is typed or pasted by anyone, so decoding trusts nothing: size caps first,
then base64, UTF-8, JSON, and finally spec.validate(). Every refusal is a SpecError
whose message says what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from digitstudio.modeling.presets import PRESETS, matching_preset
from digitstudio.modeling.spec import ModelSpec, SpecError, format_layers, validate

PRESET_PARAM = "preset"
SPEC_PARAM = "spec"
MAX_SPEC_CHARS = 4000  # a 30-layer spec is well under 2,000
MAX_PRESET_CHARS = 40

_DEFAULTS = ModelSpec(layers=[]).to_dict()


def spec_to_query(spec: ModelSpec) -> dict[str, str]:
    """The query parameters that reproduce a spec: {"preset": name} when it is a
    preset unchanged, else {"spec": …}."""
    spec = validate(spec)
    preset = matching_preset(spec)
    if preset:
        return {PRESET_PARAM: preset}
    data = spec.to_dict()
    compact: dict[str, Any] = {"layers": format_layers(spec.layers)}
    compact.update({key: value for key, value in data.items() if key != "layers" and value != _DEFAULTS[key]})
    text = json.dumps(compact, separators=(",", ":"))
    return {SPEC_PARAM: base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")}


def spec_from_query(params: Mapping[str, Any]) -> ModelSpec | None:
    """The validated spec a link carries, None when it carries none; SpecError when
    it carries one that cannot be used. Repeated parameters: the last one counts."""
    preset, encoded = _last(params.get(PRESET_PARAM)), _last(params.get(SPEC_PARAM))
    if encoded is not None:
        spec = _decode_spec(encoded)
    elif preset is not None:
        if len(preset) > MAX_PRESET_CHARS or preset not in PRESETS:
            raise SpecError(f"Unknown preset {preset[:MAX_PRESET_CHARS]!r}; use one of {', '.join(PRESETS)}.")
        spec = PRESETS[preset].spec
    else:
        return None
    try:
        return validate(spec)
    except SpecError:
        raise
    except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:  # JSON types validate() missed
        raise SpecError(f"The link's setup is not valid ({type(exc).__name__}).") from None


def _last(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return None if value is None else str(value)


def _decode_spec(encoded: str) -> ModelSpec:
    encoded = encoded.strip()
    if len(encoded) > MAX_SPEC_CHARS:
        raise SpecError(f"The link's setup is too long ({len(encoded):,} characters; at most {MAX_SPEC_CHARS:,}).")
    try:
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise SpecError("The link's setup is garbled (not a setup this app wrote); copy the whole link again.") \
            from None
    if not isinstance(data, dict):
        raise SpecError("The link's setup must be a JSON object.")
    try:
        return ModelSpec.from_dict(data)
    except SpecError:
        raise
    except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise SpecError(f"The link's setup is not valid ({type(exc).__name__}).") from None
