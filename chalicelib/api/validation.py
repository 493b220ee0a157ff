"""Validates request bodies against the schemas published in ``openapi.json``, so the
contract clients read is the one the service enforces.

Only the subset of JSON Schema the contract uses is understood: objects with
``properties``, ``required`` and ``additionalProperties: false``; strings with
``pattern``, ``enum``, ``minLength`` and ``maxLength`` (``nullable`` ones may be null);
booleans; integers with ``minimum`` and ``maximum``; arrays of those with ``maxItems``
and ``uniqueItems``; and the contract's own ``x-plain-text`` extension, which names the
text rules below.

Plain text (``x-plain-text: single-line`` or ``multi-line``) refuses any character
of general category Cc, Cf, Co, Cs or Cn, the line and paragraph separators (Zl, Zp),
and every Default_Ignorable_Code_Point, as of Unicode 15.1; a multi-line field also
takes tab, LF and CR. The rules and the lengths apply to the text as sent (what a
JSON Schema validator measures); the service then stores it NFC-normalized, with
CR LF and CR turned into LF and surrounding whitespace trimmed. The contract's
``pattern`` says the same for the Basic Multilingual Plane, all an ECMA-262 pattern
without the ``u`` flag can name; this module applies the rule to every plane.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from chalicelib.errors import InvalidRequest

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.json"

_LINE_BREAKS = re.compile(r"\r\n?")
# For strings the contract gives no maxLength (enums): far above any value, below the body cap.
MAX_STRING_LENGTH = 10_000
# For lists the contract gives no maxItems: the body cap bounds them anyway.
MAX_ITEMS = 100

# Default_Ignorable_Code_Point, from Unicode 15.1's DerivedCoreProperties.txt
# (https://www.unicode.org/Public/15.1.0/ucd/DerivedCoreProperties.txt), ranges
# inclusive. unicodedata gives general categories but not this derived property; most
# of these are Cf or Cn anyway, the rest are letters and marks that render as nothing
# (U+034F COMBINING GRAPHEME JOINER, variation selectors, Hangul fillers).
DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # Cf SOFT HYPHEN
    (0x034F, 0x034F),  # Mn COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),  # Cf ARABIC LETTER MARK
    (0x115F, 0x1160),  # Lo HANGUL CHOSEONG FILLER..HANGUL JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # Mn KHMER VOWEL INHERENT AQ..KHMER VOWEL INHERENT AA
    (0x180B, 0x180D),  # Mn MONGOLIAN FREE VARIATION SELECTOR ONE..THREE
    (0x180E, 0x180E),  # Cf MONGOLIAN VOWEL SEPARATOR
    (0x180F, 0x180F),  # Mn MONGOLIAN FREE VARIATION SELECTOR FOUR
    (0x200B, 0x200F),  # Cf ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),  # Cf LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    (0x2060, 0x2064),  # Cf WORD JOINER..INVISIBLE PLUS
    (0x2065, 0x2065),  # Cn <reserved-2065>
    (0x2066, 0x206F),  # Cf LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
    (0x3164, 0x3164),  # Lo HANGUL FILLER
    (0xFE00, 0xFE0F),  # Mn VARIATION SELECTOR-1..VARIATION SELECTOR-16
    (0xFEFF, 0xFEFF),  # Cf ZERO WIDTH NO-BREAK SPACE
    (0xFFA0, 0xFFA0),  # Lo HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),  # Cn <reserved-FFF0>..<reserved-FFF8>
    (0x1BCA0, 0x1BCA3),  # Cf SHORTHAND FORMAT LETTER OVERLAP..SHORTHAND FORMAT UP STEP
    (0x1D173, 0x1D17A),  # Cf MUSICAL SYMBOL BEGIN BEAM..MUSICAL SYMBOL END PHRASE
    (0xE0000, 0xE0000),  # Cn <reserved-E0000>
    (0xE0001, 0xE0001),  # Cf LANGUAGE TAG
    (0xE0002, 0xE001F),  # Cn <reserved-E0002>..<reserved-E001F>
    (0xE0020, 0xE007F),  # Cf TAG SPACE..CANCEL TAG
    (0xE0080, 0xE00FF),  # Cn <reserved-E0080>..<reserved-E00FF>
    (0xE0100, 0xE01EF),  # Mn VARIATION SELECTOR-17..VARIATION SELECTOR-256
    (0xE01F0, 0xE0FFF),  # Cn <reserved-E01F0>..<reserved-E0FFF>
)
_IGNORABLE_STARTS = [start for start, _ in DEFAULT_IGNORABLE]
# Control, format, private use, surrogate, unassigned; line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# What a multi-line field takes of category Cc; CR is turned into LF.
MULTI_LINE_CONTROLS = frozenset("\t\n\r")
# The Unicode version the rule is stated in: unicodedata's decides Cn.
UNICODE_VERSION = "15.1.0"


def is_default_ignorable(char: str) -> bool:
    code = ord(char)
    index = bisect.bisect_right(_IGNORABLE_STARTS, code) - 1
    return index >= 0 and code <= DEFAULT_IGNORABLE[index][1]


def refuses(char: str, *, multiline: bool) -> bool:
    """Whether plain text may not contain ``char``."""
    if char in MULTI_LINE_CONTROLS:
        return not multiline
    return unicodedata.category(char) in REFUSED_CATEGORIES or is_default_ignorable(char)


def first_refused(text: str, *, multiline: bool) -> str | None:
    """The first character of ``text`` plain text may not contain, if any."""
    if text.isascii() and text.isprintable():
        return None
    return next((char for char in text if refuses(char, multiline=multiline)), None)


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
        if field not in data:
            continue
        if data[field] is None and field_spec.get("nullable"):
            # Given as null: a merge (PUT /me/preferences) resets the field.
            cleaned[field] = None
            continue
        cleaned[field] = _value(field, data[field], field_spec)
    missing = [field for field in spec.get("required", []) if field not in cleaned]
    if missing:
        raise InvalidRequest(f"Missing field: {missing[0]}.")
    return cleaned


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    # ECMA-262's "$" (the contract's dialect) ends the text; Python's also matches before
    # a final line feed, which would let "example.org\n" through. "\Z" is ECMA's "$".
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _value(field: str, value: Any, spec: dict[str, Any]) -> Any:
    kind = spec.get("type", "string")
    if kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidRequest(f"{field} must be true or false.")
        return value
    if kind == "integer":
        return _integer(field, value, spec)
    if kind == "array":
        return _array(field, value, spec)
    return _string(field, value, spec)


def _integer(field: str, value: Any, spec: dict[str, Any]) -> int:
    # JSON's true and false are ints to Python, and 3.0 is no integer to the contract.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{field} must be an integer.")
    low, high = spec.get("minimum"), spec.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidRequest(f"{field} must be from {low} to {high}.")
    return value


def _array(field: str, value: Any, spec: dict[str, Any]) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidRequest(f"{field} must be a list.")
    if len(value) > spec.get("maxItems", MAX_ITEMS):
        raise InvalidRequest(f"{field} must have at most {spec.get('maxItems', MAX_ITEMS)} items.")
    items = [_value(f"{field}[{i}]", item, spec["items"]) for i, item in enumerate(value)]
    if spec.get("uniqueItems") and len(set(items)) != len(items):
        raise InvalidRequest(f"{field} must not repeat an item.")
    return items


def _string(field: str, value: Any, spec: dict[str, Any]) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a string.")
    max_length = spec.get("maxLength", MAX_STRING_LENGTH)
    if len(value) > max_length:
        raise InvalidRequest(f"{field} must be at most {max_length} characters.")
    text = spec.get("x-plain-text")
    if text is not None:
        refused = first_refused(value, multiline=text == "multi-line")
        if refused is not None:
            raise InvalidRequest(f"{field} contains a character that is not allowed (U+{ord(refused):04X}).")
    if "pattern" in spec and not _pattern(spec["pattern"]).search(value):
        if spec.get("minLength") and not value.strip():
            raise InvalidRequest(f"{field} must not be empty.")
        raise InvalidRequest(f"{field} contains characters that are not allowed.")
    if text is not None:
        value = unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", value)).strip()
    if "enum" in spec and value not in spec["enum"]:
        raise InvalidRequest(
            f"{field} must be one of: {', '.join(value for value in spec['enum'] if value is not None)}."
        )
    if len(value) < spec.get("minLength", 0):
        raise InvalidRequest(
            f"{field} must not be empty." if spec.get("minLength") == 1 else f"{field} is too short."
        )
    return value
