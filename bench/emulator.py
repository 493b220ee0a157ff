"""The in-process emulator (moto's ``mock_aws``) as the benchmark uses it: its items read
back for pricing writes, seeding straight into its storage, and a cheaper rollback for
its transactions.

None of this changes what the application sends or what the emulator answers; it only
keeps a 300,000-item table workable: moto copies the whole table before every
``TransactWriteItems`` (seconds at that size) in case it must roll back.
"""
from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterable, Iterator
from typing import Any

REGION = "eu-west-3"


def _backend():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def _key_values(table, key: dict[str, Any]):
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


def stored_item(table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The item as the emulator holds it now (DynamoDB JSON), or None: the meter's reader."""
    table = _backend().get_table(table_name)
    item = table.get_item(*_key_values(table, key))
    return None if item is None else item.to_json()["Attributes"]


def put_items(table_name: str, items: Iterable[dict[str, Any]]) -> int:
    """Write items (DynamoDB JSON) straight into the emulator's table, with no stream
    record: seeding is setup, not traffic the stream function should see."""
    table = _backend().get_table(table_name)
    shard, table.stream_shard = table.stream_shard, None
    count = 0
    try:
        for item in items:
            table.put_item(item)
            count += 1
    finally:
        table.stream_shard = shard
    return count


@contextlib.contextmanager
def cheap_transaction_rollback() -> Iterator[None]:
    """While active, a ``TransactWriteItems`` keeps a copy of the items it touches, not of
    the whole table, and a cancelled one restores those items and drops the stream records
    it added; what the emulator accepts, refuses and answers is unchanged."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(backend, transact_items):
        undo = []
        stream_lengths = {}
        for entry in transact_items:
            (kind, action), = entry.items()
            table = backend.get_table(action["TableName"])
            hash_value, range_value = _key_values(table, action["Item"] if kind == "Put" else action["Key"])
            undo.append((table, hash_value, range_value,
                         copy.deepcopy(table.get_item(hash_value, range_value))))
            if table.stream_shard is not None:
                stream_lengths.setdefault(id(table), (table, len(table.stream_shard.items)))
        # The original's whole-table backup becomes the table itself: restoring it is a no-op.
        Table.__deepcopy__ = lambda table, memo: table
        try:
            return original(backend, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(undo):
                partition = table.items[hash_value]
                if item is None:
                    partition.pop(range_value, None)
                else:
                    partition[range_value] = item
            for table, length in stream_lengths.values():
                del table.stream_shard.items[length:]
            raise
        finally:
            del Table.__deepcopy__

    DynamoDBBackend.transact_write_items = transact_write_items
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original
