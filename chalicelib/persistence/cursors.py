"""Opaque page cursors: a listing's ``LastEvaluatedKey``, encoded for a URL, and checked
when it comes back."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Set
from typing import Any

from chalicelib.errors import InvalidCursor


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """The cursor of the next page; None when the listing is over."""
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None,
    key_names: Set[str],
    partition: tuple[str, str],
    sort_prefix: tuple[str, str] | None = None,
):
    """The key a page starts after, checked to be one this listing could have issued
    (``key_names``, and ``partition``: the listing's partition key name and value;
    ``sort_prefix``: its sort key's name and the prefix the listing reads, where two
    listings share a partition), so that a forged cursor, or another listing's, cannot
    make DynamoDB fail or read another partition."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as e:
        raise InvalidCursor() from e
    if not isinstance(key, dict) or set(key) != key_names:
        raise InvalidCursor()
    for value in key.values():
        if not (
            isinstance(value, dict)
            and set(value) == {"S"}
            and isinstance(value["S"], str)
            and 0 < len(value["S"]) <= 1024
        ):
            raise InvalidCursor()
    name, expected = partition
    if key[name]["S"] != expected:
        raise InvalidCursor()
    if sort_prefix is not None and not key[sort_prefix[0]]["S"].startswith(sort_prefix[1]):
        raise InvalidCursor()
    return key
