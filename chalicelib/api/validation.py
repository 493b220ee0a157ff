"""Validates request bodies against the schemas published in ``openapi.json``, so the
contract clients read is the one the service enforces.

Only the subset of JSON Schema the contract uses is understood: objects with
``properties``, ``required`` and ``additionalProperties: false``; strings with
``pattern`` (which refuses control and bidirectional characters, and line breaks in
single-line fields), ``enum``, ``minLength`` and ``maxLength``. The pattern applies
to the string as sent; the service then normalizes line breaks and trims it, and
checks the lengths of what it will store.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from chalicelib.errors import InvalidRequest

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.json"

_LINE_BREAKS = re.compile(r"\r\n?")


@functools.cache
def openapi() -> dict[str, Any]:
    return json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def schema(name: str) -> dict[str, Any]:
    return openapi()["components"]["schemas"][name]


def validate_body(name: str, data: Any) -> dict[str, Any]:
    """Return the cleaned body, or raise :class:`InvalidRequest` naming the first problem."""
    spec = schema(name)
    if not isinstance(data, dict):
        raise InvalidRequest("The body must be a JSON object.")
    unknown = sorted(set(data) - set(spec["properties"]))
    if unknown:
        raise InvalidRequest(f"Unknown field: {unknown[0]}.")
    cleaned: dict[str, Any] = {}
    for field, field_spec in spec["properties"].items():
        if field not in data or (data[field] is None and field_spec.get("nullable")):
            continue
        cleaned[field] = _string(field, data[field], field_spec)
    missing = [field for field in spec.get("required", []) if field not in cleaned]
    if missing:
        raise InvalidRequest(f"Missing field: {missing[0]}.")
    return cleaned


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _string(field: str, value: Any, spec: dict[str, Any]) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a string.")
    if "pattern" in spec and not _pattern(spec["pattern"]).search(value):
        if spec.get("minLength") and not value.strip():
            raise InvalidRequest(f"{field} must not be empty.")
        raise InvalidRequest(f"{field} contains characters that are not allowed.")
    value = _LINE_BREAKS.sub("\n", value).strip()
    if "enum" in spec and value not in spec["enum"]:
        raise InvalidRequest(f"{field} must be one of: {', '.join(spec['enum'])}.")
    if len(value) < spec.get("minLength", 0):
        raise InvalidRequest(
            f"{field} must not be empty." if spec.get("minLength") == 1 else f"{field} is too short."
        )
    if len(value) > spec.get("maxLength", 10_000):
        raise InvalidRequest(f"{field} must be at most {spec['maxLength']} characters.")
    return value
