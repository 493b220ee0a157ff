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
import functools
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
            ((kind, action),) = entry.items()
            table = backend.get_table(action["TableName"])
            hash_value, range_value = _key_values(table, action["Item"] if kind == "Put" else action["Key"])
            undo.append(
                (table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value)))
            )
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


@contextlib.contextmanager
def indexed_queries() -> Iterator[None]:
    """While active, a ``Query`` looks only at the items of its partition instead of every
    item of the table: moto sorts the whole table for each query (seconds per hundred
    queries once the local-stack benchmark's table holds a few thousand items, for the
    service and the direct calls alike). Partitions of an index are worked out once and
    kept until the next write to any table; what the emulator answers is unchanged."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    writes = [0]
    partitions: dict[tuple[int, str], tuple[int, dict]] = {}

    def counting(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            finally:
                writes[0] += 1

        return wrapper

    def index_partition(table, attribute: str, value) -> list:
        cached = partitions.get((id(table), attribute))
        if cached is None or cached[0] != writes[0]:
            by_value: dict = {}
            for item in table.all_items():
                key = item.attrs.get(attribute)
                if key is not None:
                    by_value.setdefault(key, []).append(item)
            cached = partitions[(id(table), attribute)] = (writes[0], by_value)
        return cached[1].get(value, [])

    original_query = Table.query

    def query(table, hash_key, *args, hash_key_conditions=None, **kwargs):
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name and hash_key_conditions and len(hash_key_conditions) == 1:
            [(attribute, value)] = hash_key_conditions
            candidates = index_partition(table, attribute, value)
        elif not index_name and table.range_key_attr:
            candidates = list(table.items.get(hash_key, {}).values())
        else:
            return original_query(table, hash_key, *args, hash_key_conditions=hash_key_conditions, **kwargs)
        table.all_items = lambda: candidates
        try:
            return original_query(table, hash_key, *args, hash_key_conditions=hash_key_conditions, **kwargs)
        finally:
            del table.all_items

    writers = {
        (Table, "put_item"),
        (Table, "delete_item"),
        (DynamoDBBackend, "update_item"),
        (DynamoDBBackend, "transact_write_items"),
        (DynamoDBBackend, "batch_write_item"),
        (DynamoDBBackend, "execute_statement"),
    }
    originals = {(owner, name): getattr(owner, name) for owner, name in writers}
    for (owner, name), method in originals.items():
        setattr(owner, name, counting(method))
    Table.query = query
    try:
        yield
    finally:
        Table.query = original_query
        for (owner, name), method in originals.items():
            setattr(owner, name, method)
