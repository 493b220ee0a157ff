"""The embedded AWS emulator (moto), made faithful and fast enough for the local stack.

The local stack (``make run``, the e2e tests) and the benchmarks stand on this one
emulator. What it changes in moto, none of which changes what the application sends or
what the emulator answers:

- **DynamoDB is atomic.** DynamoDB applies each request atomically; moto does not lock.
  Two threads running transactions at once can interleave, and moto writes a cancelled
  transaction (items and stream records) before it rolls it back, so a stream read in
  between sees records of a write that never happened, and its sequence numbers are
  handed out again to the next real writes. DynamoDB requests and stream reads are
  therefore served one at a time (:func:`serialize_dynamodb_requests`), which hides no
  race of our own code: every read and every write is still a separate request that
  other clients can come between.
- **A transaction costs what it touches** (:func:`cheap_transaction_rollback`): moto
  copies the whole table, its stream included, before every ``TransactWriteItems`` in
  case it must roll back (an ask took 35 ms with 44 items in the table and 823 ms with
  1,075); this keeps a copy of the touched items instead.
- **A query reads its partition** (:func:`indexed_queries`): moto sorts the whole table
  for every ``Query``; this hands it the queried partition, with the partitions of each
  index kept current as items are written.

Plus direct access to the emulator's storage for the benchmarks: :func:`stored_item`
(what an item holds now), :func:`item_count` and :func:`put_items` (seeding without
stream records).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

REGION = "eu-west-3"

_lock = threading.RLock()
_serialized = False


def serialize_dynamodb_requests() -> None:
    """DynamoDB's and DynamoDB Streams' requests, one at a time, in every moto handler of
    this process (the server's and ``mock_aws``'s alike)."""
    global _serialized
    if _serialized:
        return
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        original = handler.call_action

        def call_action(self, _original=original):
            with _lock:
                return _original(self)

        handler.call_action = functools.wraps(original)(call_action)
    _serialized = True


def _backend(region: str = REGION):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region]


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


def item_count(table_name: str, region: str = REGION) -> int:
    """How many items the emulator's table holds now."""
    with _lock:
        return len(_backend(region).get_table(table_name))


def put_items(table_name: str, items: Iterable[dict[str, Any]], region: str = REGION) -> int:
    """Write items (DynamoDB JSON) straight into the emulator's table, with no stream
    record: seeding is setup, not traffic the stream function should see."""
    with _lock:
        table = _backend(region).get_table(table_name)
        shard, table.stream_shard = table.stream_shard, None
        count = 0
        try:
            for item in items:
                table.put_item(item)
                count += 1
        finally:
            table.stream_shard = shard
    return count


class _Patches:
    """Class attributes of moto replaced while at least one user wants them: the
    benchmarks enter these context managers around an emulator that may already have
    them (the local stack's), and the second entry must neither wrap twice nor undo
    the first one's patches."""

    def __init__(self) -> None:
        self._users = 0
        self._originals: list[tuple[Any, str, Any]] = []

    @contextlib.contextmanager
    def active(self, install) -> Iterator[None]:
        with _lock:
            if self._users == 0:
                self._originals = install()
            self._users += 1
        try:
            yield
        finally:
            with _lock:
                self._users -= 1
                if self._users == 0:
                    for owner, name, original in reversed(self._originals):
                        setattr(owner, name, original)
                    self._originals = []


def _replace(owner, name: str, make) -> tuple[Any, str, Any]:
    original = getattr(owner, name)
    setattr(owner, name, functools.wraps(original)(make(original)))
    return owner, name, original


# -- a transaction costs what it touches ---------------------------------------------------

_rollback = _Patches()


def _install_cheap_rollback() -> list:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    def make(original):
        def transact_write_items(backend, transact_items):
            try:
                undo, stream_lengths = _before_images(backend, transact_items)
            except Exception:
                # Not a transaction this copy understands (a missing table or key): moto's
                # own path answers it, with the error DynamoDB would give.
                return original(backend, transact_items)
            # The original's whole-table backup becomes the table itself: restoring it is a
            # no-op, and the touched items are restored below instead.
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
                    _partitions_changed(table, (hash_value, range_value))
                for table, length in stream_lengths.values():
                    del table.stream_shard.items[length:]
                raise
            finally:
                del Table.__deepcopy__

        return transact_write_items

    return [_replace(DynamoDBBackend, "transact_write_items", make)]


def _before_images(backend, transact_items):
    undo = []
    stream_lengths = {}
    for entry in transact_items:
        ((kind, action),) = entry.items()
        table = backend.get_table(action["TableName"])
        if not table.range_key_attr:
            raise ValueError("only tables with a sort key are copied item by item")
        hash_value, range_value = _key_values(table, action["Item"] if kind == "Put" else action["Key"])
        undo.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
        if table.stream_shard is not None:
            stream_lengths.setdefault(id(table), (table, len(table.stream_shard.items)))
    return undo, stream_lengths


@contextlib.contextmanager
def cheap_transaction_rollback() -> Iterator[None]:
    """While active, a ``TransactWriteItems`` keeps a copy of the items it touches, not of
    the whole table and its stream, and a cancelled one restores those items and drops
    the stream records it added; what the emulator accepts, refuses and answers is
    unchanged."""
    with _rollback.active(_install_cheap_rollback):
        yield


# -- a query reads its partition -----------------------------------------------------------

_indexing = _Patches()


class _Partitions:
    """One table's items grouped by the partition key of each index queried so far, kept
    current from the keys written since the last query."""

    def __init__(self, table) -> None:
        self.table = table
        self._groups: dict[str, dict[Any, dict[tuple, Any]]] = {}
        self._value_of: dict[str, dict[tuple, Any]] = {}
        self.changed: set[tuple] = set()

    def items_with(self, attribute: str, value) -> list:
        self._catch_up()
        if attribute not in self._groups:
            groups: dict[Any, dict[tuple, Any]] = {}
            values: dict[tuple, Any] = {}
            for item in self.table.all_items():
                found = item.attrs.get(attribute)
                if found is not None:
                    key = (item.hash_key, item.range_key)
                    groups.setdefault(found, {})[key] = item
                    values[key] = found
            self._groups[attribute], self._value_of[attribute] = groups, values
        return list(self._groups[attribute].get(value, {}).values())

    def _catch_up(self) -> None:
        for key in self.changed:
            hash_value, range_value = key
            partition = self.table.items.get(hash_value)
            item = None if partition is None else partition.get(range_value)
            for attribute, groups in self._groups.items():
                old = self._value_of[attribute].pop(key, None)
                if old is not None:
                    group = groups[old]
                    group.pop(key, None)
                    if not group:
                        del groups[old]
                new = None if item is None else item.attrs.get(attribute)
                if new is not None:
                    groups.setdefault(new, {})[key] = item
                    self._value_of[attribute][key] = new
        self.changed.clear()


_partitions: dict[str, _Partitions] = {}


def _partitions_of(table) -> _Partitions:
    known = _partitions.get(table.table_arn)
    if known is None or known.table is not table:
        # A new table, or one moto replaced (its own whole-table rollback): start afresh.
        known = _partitions[table.table_arn] = _Partitions(table)
    return known


def _partitions_changed(table, key: tuple) -> None:
    known = _partitions.get(table.table_arn)
    if known is not None and known.table is table:
        known.changed.add(key)


def _install_indexed_queries() -> list:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    def make_query(original):
        def query(table, hash_key, *args, hash_key_conditions=None, **kwargs):
            index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
            if index_name and hash_key_conditions and len(hash_key_conditions) == 1 and table.range_key_attr:
                [(attribute, value)] = hash_key_conditions
                candidates = _partitions_of(table).items_with(attribute, value)
            elif not index_name and table.range_key_attr:
                candidates = list(table.items.get(hash_key, {}).values())
            else:
                return original(table, hash_key, *args, hash_key_conditions=hash_key_conditions, **kwargs)
            table.all_items = lambda: candidates
            try:
                return original(table, hash_key, *args, hash_key_conditions=hash_key_conditions, **kwargs)
            finally:
                del table.all_items

        return query

    # Every way moto changes a stored item goes through one of these three.
    def make_put(original):
        def put_item(table, item_attrs, *args, **kwargs):
            try:
                return original(table, item_attrs, *args, **kwargs)
            finally:
                with contextlib.suppress(KeyError, TypeError):
                    _partitions_changed(table, _key_values(table, item_attrs))

        return put_item

    def make_delete(original):
        def delete_item(table, hash_key, range_key, *args, **kwargs):
            try:
                return original(table, hash_key, range_key, *args, **kwargs)
            finally:
                _partitions_changed(table, (hash_key, range_key))

        return delete_item

    def make_update(original):
        def update_item(backend, table_name, key, *args, **kwargs):
            try:
                return original(backend, table_name, key, *args, **kwargs)
            finally:
                with contextlib.suppress(Exception):
                    table = backend.get_table(table_name)
                    _partitions_changed(table, _key_values(table, key))

        return update_item

    return [
        _replace(Table, "query", make_query),
        _replace(Table, "put_item", make_put),
        _replace(Table, "delete_item", make_delete),
        _replace(DynamoDBBackend, "update_item", make_update),
    ]


@contextlib.contextmanager
def indexed_queries() -> Iterator[None]:
    """While active, a ``Query`` looks only at the items of its partition instead of every
    item of the table (moto sorts the whole table for each query: seconds per hundred
    queries once a table holds a few thousand items). The partitions of an index are
    worked out at its first query and then follow each write; what the emulator answers
    is unchanged."""

    def install() -> list:
        _partitions.clear()
        return _install_indexed_queries()

    with _indexing.active(install):
        yield


# -- the server ------------------------------------------------------------------------------


def port_is_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Emulator:
    """A moto server on 127.0.0.1, in this process, with DynamoDB made atomic and its
    transactions and queries independent of the table's size; with ``outbox``, every
    email its SES accepts, whoever sends it, is also filed there (``devstack.outbox``)."""

    def __init__(self, host: str, port: int, outbox: Path | None = None) -> None:
        self.host = host
        self.port = port
        self.outbox = outbox
        self._server = None
        self._thread: threading.Thread | None = None
        self._patches = contextlib.ExitStack()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        import logging

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        serialize_dynamodb_requests()
        self._patches.enter_context(cheap_transaction_rollback())
        self._patches.enter_context(indexed_queries())
        # One line per emulated AWS call drowns what a developer wants to read.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # moto's ThreadedMotoServer, composed the same way (its _server_entry), with the
        # outbox in front: it takes no WSGI middleware of its own.
        app = DomainDispatcherApplication(create_backend_app)
        if self.outbox is not None:
            from devstack.outbox import Outbox, SesCapture

            app = SesCapture(app, Outbox(self.outbox))
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._patches.close()
