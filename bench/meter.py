"""Counts AWS calls at the botocore level, on every client the process creates (PynamoDB's
included), and prices DynamoDB's in capacity units (:mod:`bench.capacity`).

Installing the meter wraps ``botocore.session.Session.create_client``, so that each
client created afterwards reports its calls through botocore's own events
(``before-parameter-build``, ``before-call``, ``after-call``): install it before the
application's container is built (its PynamoDB models create their clients on first
use, after binding). Writes are priced
from the items before and after the call, which ``items`` (a ``(table, key) -> item``
reader of the emulator's state) provides; without it, writes count one unit per item.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench import capacity

METERED = ("dynamodb", "sesv2")
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
_TABLE_KEYS = ("PK", "SK")

ItemReader = Callable[[str, dict[str, Any]], dict[str, Any] | None]


@dataclass
class Call:
    """One AWS call and what it cost."""

    service: str
    operation: str
    params: dict[str, Any]
    seconds: float = 0.0
    read_units: float = 0.0
    write_units: float = 0.0
    index_write_units: float = 0.0
    items_read: int = 0
    error: str | None = None
    thread: int = 0
    #: not sent: held by ``Meter.holding_writes()`` (recorded for replaying it elsewhere)
    held: bool = False

    @property
    def keys(self) -> list[str]:
        """The partition keys the call touched, for telling ledger writes from others."""
        found = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if "PK" in node and isinstance(node["PK"], dict) and "S" in node["PK"]:
                    found.append(node["PK"]["S"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.params)
        return found


@dataclass
class Measure:
    """The calls made inside one ``with meter.measure()`` block."""

    calls: list[Call] = field(default_factory=list)
    #: only the calls of this thread (None: of every thread)
    thread: int | None = None

    def dynamodb(self) -> list[Call]:
        return [call for call in self.calls if call.service == "dynamodb"]

    @property
    def dynamodb_calls(self) -> int:
        return len(self.dynamodb())

    def operations(self) -> Counter[str]:
        """DynamoDB calls by operation name, e.g. ``{"TransactWriteItems": 1}``."""
        return Counter(call.operation for call in self.dynamodb())

    @property
    def read_units(self) -> float:
        return sum(call.read_units for call in self.dynamodb())

    @property
    def write_units(self) -> float:
        return sum(call.write_units + call.index_write_units for call in self.dynamodb())

    @property
    def index_write_units(self) -> float:
        return sum(call.index_write_units for call in self.dynamodb())

    @property
    def items_read(self) -> int:
        return sum(call.items_read for call in self.dynamodb())

    @property
    def ses_calls(self) -> int:
        return sum(1 for call in self.calls if call.service == "sesv2")

    @property
    def errors(self) -> list[str]:
        return [f"{call.operation}: {call.error}" for call in self.calls if call.error]


class Meter:
    """See the module's docstring. One meter per process; not re-entrant."""

    def __init__(
        self, items: ItemReader | None = None, indexes: tuple[capacity.Index, ...] | None = None
    ) -> None:
        self.items = items
        self.indexes = capacity.table_indexes() if indexes is None else indexes
        self._original_create_client = None
        self._clients: list[Any] = []
        self._measures: list[Measure] = []
        self._lock = threading.Lock()
        self._holding = threading.local()

    # -- installing ---------------------------------------------------------------------

    def install(self) -> Meter:
        from botocore.session import Session

        if self._original_create_client is not None:
            return self
        original = Session.create_client
        meter = self

        def create_client(session, service_name, *args, **kwargs):
            client = original(session, service_name, *args, **kwargs)
            if service_name in METERED:
                meter._watch(client)
            return client

        Session.create_client = create_client
        self._original_create_client = original
        return self

    def uninstall(self) -> None:
        from botocore.session import Session

        if self._original_create_client is None:
            return
        Session.create_client = self._original_create_client
        self._original_create_client = None
        for client in self._clients:
            for event in ("before-parameter-build", "before-call", "after-call"):
                client.meta.events.unregister(event, unique_id=f"bench-meter-{event}")
        self._clients.clear()

    def __enter__(self) -> Meter:
        return self.install()

    def __exit__(self, *exc) -> None:
        self.uninstall()

    @contextlib.contextmanager
    def holding_writes(self) -> Iterator[None]:
        """Inside the block, this thread's DynamoDB writes are recorded but not sent: they
        answer as if they had succeeded (the latency benchmark replays them directly)."""
        self._holding.active = True
        try:
            yield
        finally:
            self._holding.active = False

    @contextlib.contextmanager
    def measure(self, this_thread_only: bool = False) -> Iterator[Measure]:
        """Collect the calls made inside the block, by any thread or only this one."""
        measure = Measure(thread=threading.get_ident() if this_thread_only else None)
        with self._lock:
            self._measures.append(measure)
        try:
            yield measure
        finally:
            with self._lock:
                self._measures.remove(measure)

    # -- the events -----------------------------------------------------------------------

    def _watch(self, client) -> None:
        for event, handler in (
            ("before-parameter-build", self._parameters),
            ("before-call", self._before),
            ("after-call", self._after),
        ):
            client.meta.events.register(event, handler, unique_id=f"bench-meter-{event}")
        self._clients.append(client)

    @staticmethod
    def _parameters(params, model, context=None, **_):
        if context is not None:
            context["bench_params"] = copy.deepcopy(params)

    def _before(self, model, context=None, **_):
        if context is None:
            return
        context["bench_started"] = time.perf_counter()
        if model.service_model.service_name == "dynamodb" and model.name in WRITES:
            if getattr(self._holding, "active", False):
                context["bench_held"] = True
                return _HeldResponse(), {}
            context["bench_before"] = self._snapshot(model.name, context.get("bench_params", {}))
        return None

    def _after(self, http_response, parsed, model, context=None, **_):
        if context is None or not self._measures:
            return
        call = Call(
            model.service_model.service_name,
            model.name,
            context.get("bench_params", {}),
            seconds=time.perf_counter() - context.get("bench_started", time.perf_counter()),
            thread=threading.get_ident(),
            held=context.get("bench_held", False),
        )
        if isinstance(parsed, dict) and "Error" in parsed:
            call.error = parsed["Error"].get("Code", "error")
        if call.service == "dynamodb" and not call.held:
            if call.operation in WRITES:
                before = context.get("bench_before", [])
                after = self._snapshot(call.operation, call.params)
                self._price_writes(call, before, after)
            elif not call.error:
                self._price_reads(call, parsed)
        with self._lock:
            for measure in self._measures:
                if measure.thread is None or measure.thread == call.thread:
                    measure.calls.append(call)

    # -- pricing --------------------------------------------------------------------------

    def _targets(self, operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """(kind, table, key) of each item a write touches."""
        if operation == "PutItem":
            return [("Put", params["TableName"], _key(params["Item"]))]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(operation[:-4], params["TableName"], params["Key"])]
        if operation == "TransactWriteItems":
            targets = []
            for entry in params["TransactItems"]:
                ((kind, action),) = entry.items()
                key = _key(action["Item"]) if kind == "Put" else action["Key"]
                targets.append((kind, action["TableName"], key))
            return targets
        targets = []
        for table, requests in params.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    targets.append(("Put", table, _key(request["PutRequest"]["Item"])))
                else:
                    targets.append(("Delete", table, request["DeleteRequest"]["Key"]))
        return targets

    def _snapshot(self, operation: str, params: dict[str, Any]) -> list[dict[str, Any] | None]:
        if self.items is None:
            return []
        return [copy.deepcopy(self.items(table, key)) for _, table, key in self._targets(operation, params)]

    def _price_writes(self, call: Call, before: list, after: list) -> None:
        transactional = call.operation == "TransactWriteItems"
        targets = self._targets(call.operation, call.params)
        if not before:
            before = after = [None] * len(targets)
        if call.error and call.error != "ConditionalCheckFailedException":
            return  # a cancelled transaction or a refused call: nothing written
        for (kind, _, _), old, new in zip(targets, before, after, strict=True):
            if kind == "ConditionCheck":
                call.write_units += capacity.write_units(old, old, transactional=True)
                continue
            call.write_units += capacity.write_units(old, new, transactional=transactional)
            call.index_write_units += capacity.index_write_units(old, new, self.indexes)

    def _price_reads(self, call: Call, parsed: dict[str, Any]) -> None:
        params = call.params
        if call.operation == "GetItem":
            item = parsed.get("Item")
            consistency = capacity.STRONG if params.get("ConsistentRead") else capacity.EVENTUAL
            call.read_units = capacity.read_units(capacity.item_size(item), consistency)
            call.items_read = int(item is not None)
        elif call.operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                consistency = capacity.STRONG if request.get("ConsistentRead") else capacity.EVENTUAL
                found = {_key_id(_key(item)): item for item in parsed.get("Responses", {}).get(table, [])}
                for key in request["Keys"]:
                    call.read_units += capacity.read_units(
                        capacity.item_size(found.get(_key_id(key))), consistency
                    )
                call.items_read += len(found)
        elif call.operation in ("Query", "Scan"):
            items = parsed.get("Items", [])
            consistency = capacity.STRONG if params.get("ConsistentRead") else capacity.EVENTUAL
            call.read_units = capacity.read_units(sum(map(capacity.item_size, items)), consistency)
            call.items_read = len(items)
        elif call.operation == "TransactGetItems":
            for response in parsed.get("Responses", []):
                item = response.get("Item")
                call.read_units += capacity.read_units(capacity.item_size(item), capacity.TRANSACTIONAL)
                call.items_read += int(item is not None)


class _HeldResponse:
    """What botocore needs of an HTTP response for a write that was not sent."""

    status_code = 200
    headers: dict[str, str] = {}  # noqa: RUF012 (never mutated)
    content = b"{}"


def _key(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in _TABLE_KEYS if name in item}


def _key_id(key: dict[str, Any]) -> tuple:
    return tuple(repr(key.get(name)) for name in _TABLE_KEYS)
