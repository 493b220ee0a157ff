"""DynamoDB's published capacity rules, applied to item sizes.

The emulator does not charge like DynamoDB (moto answers ``ReturnConsumedCapacity`` with
a constant per call, whatever the items), so the units are computed here from the items
each call reads or writes, with the rules of the DynamoDB Developer Guide ("DynamoDB item
sizes and formats", "DynamoDB read and write operations", "Global secondary indexes:
provisioned throughput considerations"):

- item size: the UTF-8 length of each attribute name plus its value (strings: UTF-8
  bytes; numbers: one byte per two significant digits, plus one; booleans and nulls: one
  byte; lists and maps: three bytes plus one per element);
- reads: 4 KB per unit, rounded up per item for GetItem, BatchGetItem and transactional
  reads, and on the total of the items read for a Query; 0.5 unit for an eventually
  consistent read, 1 for a strongly consistent one, 2 for a transactional one;
- writes: 1 KB per unit of the larger of the item before and after, at least one unit;
  2 units per KB in a transaction (a ConditionCheck is counted as a transactional write of
  the item it checks: an assumption, the guide does not price it separately);
- each global secondary index whose entry the write creates, changes or removes costs one
  more standard write of the entry (ALL projection: the whole item), two when its key
  changes (delete the old entry, put the new). Index writes are not doubled inside
  transactions (an assumption: the guide only doubles the table's writes).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024

EVENTUAL, STRONG, TRANSACTIONAL = 0.5, 1.0, 2.0

Item = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None


def table_indexes() -> tuple[Index, ...]:
    """The global secondary indexes of the table, read from infra/template.yaml."""
    from infra.template import table_properties

    indexes = []
    for index in table_properties().get("GlobalSecondaryIndexes", []):
        keys = {key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]}
        indexes.append(Index(index["IndexName"], keys["HASH"], keys.get("RANGE")))
    return tuple(indexes)


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").lower().split("e")[0].replace(".", "").strip("0")
    return math.ceil(max(len(digits), 1) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Size in bytes of one attribute value, in DynamoDB's JSON form (``{"S": "x"}``)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(data if isinstance(data, bytes | bytearray) else base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(element.encode("utf-8")) for element in data)
    if kind == "NS":
        return sum(_number_size(element) for element in data)
    if kind == "BS":
        return sum(value_size({"B": element}) for element in data)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(element) for name, element in data.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Item | None) -> int:
    """Size in bytes of an item, as DynamoDB counts it for capacity and for its 400 KB limit."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def read_units(size: int, consistency: float) -> float:
    """Units to read ``size`` bytes (one item, or a Query's total), at least one 4 KB step."""
    return max(1, math.ceil(size / READ_UNIT_BYTES)) * consistency


def write_units(before: Item | None, after: Item | None, *, transactional: bool = False) -> float:
    """Units to write one item to the table (not its indexes)."""
    return size_write_units(max(item_size(before), item_size(after)), transactional=transactional)


def size_write_units(size: int, *, transactional: bool = False) -> float:
    """Units to write an item of ``size`` bytes (the larger of before and after)."""
    return max(1, math.ceil(size / WRITE_UNIT_BYTES)) * (2.0 if transactional else 1.0)


def _index_key(item: Item | None, index: Index) -> tuple | None:
    if not item or index.hash_key not in item or (index.range_key and index.range_key not in item):
        return None
    return (repr(item[index.hash_key]), repr(item.get(index.range_key)) if index.range_key else None)


def _entry_units(item: Item | None) -> float:
    return max(1, math.ceil(item_size(item) / WRITE_UNIT_BYTES))


def index_write_units(before: Item | None, after: Item | None, indexes: tuple[Index, ...]) -> float:
    """Units the indexes consume when an item goes from ``before`` to ``after`` (None: absent)."""
    units = 0.0
    for index in indexes:
        old, new = _index_key(before, index), _index_key(after, index)
        if old is None and new is None:
            continue
        if old is None:
            units += _entry_units(after)
        elif new is None:
            units += _entry_units(before)
        elif old != new:
            units += _entry_units(before) + _entry_units(after)
        elif dict(before or {}) != dict(after or {}):
            units += max(_entry_units(before), _entry_units(after))
    return units
