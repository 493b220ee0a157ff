"""schemathesis hooks for ``python -m devstack fuzz`` (named in schemathesis.toml).

Text fields follow the contract's plain-text rule (``x-plain-text``); their ``pattern``
can state it for the Basic Multilingual Plane only, which is all an ECMA-262 pattern
without the ``u`` flag can name. A body holding a character beyond that plane which the
rule refuses (a tag character, an unassigned or private-use code point...) is left out
of the run: the contract refuses it, but schemathesis, reading only the pattern, would
take it for valid input and report the service's 400 as a fault.

The rule is not registered as a string ``format``: schemathesis treats a value that
misses a custom format as invalid input whatever the value, and would expect ordinary
text drawn without the format to be refused.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from chalicelib.api.validation import refuses

_LAST_BMP = 0xFFFF


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def beyond_the_pattern(body: Any) -> bool:
    """Whether the body holds a character the pattern cannot refuse but the rule does."""
    return any(
        ord(char) > _LAST_BMP and refuses(char, multiline=True) for text in _strings(body) for char in text
    )


@schemathesis.hook
def filter_body(context, body) -> bool:
    return not beyond_the_pattern(body)
