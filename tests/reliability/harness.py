"""Fault injection for the email path: Lambda's event source mapping with its retries
and failure queue, faults injected into botocore clients, crashes, and the figures
each scenario reports (emails expected vs sent vs duplicated)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# -- figures -------------------------------------------------------------------------------

FIGURES: list[Figures] = []


@dataclass
class Figures:
    scenario: str
    expected: int
    sent: int
    duplicated: int
    lost: int
    notes: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        notes = ", ".join(f"{key}={value}" for key, value in self.notes.items())
        return (
            f"{self.scenario:<62} expected {self.expected:>4}  sent {self.sent:>4}  "
            f"duplicated {self.duplicated:>3}  lost {self.lost:>3}" + (f"  ({notes})" if notes else "")
        )


def count_emails(expected: Iterable[tuple], sent: Iterable[tuple]) -> tuple[int, int, int, int]:
    """(expected, sent, duplicated, lost) for emails identified by comparable tuples."""
    expected_counts, sent_counts = Counter(expected), Counter(sent)
    duplicated = sum(max(0, sent_counts[identity] - 1) for identity in sent_counts)
    lost = sum(1 for identity in expected_counts if identity not in sent_counts)
    return sum(expected_counts.values()), sum(sent_counts.values()), duplicated, lost


class ScaledTime:
    """Real time, accelerated: for threads that really run at once, where a fake clock
    would let one thread's sleep stand for another's time. ``sleep(s)`` really waits
    ``s / factor``; ``clock()`` advances ``factor`` times faster than the wall clock."""

    def __init__(self, factor: float = 100.0, start: float = 1_700_000_000.0) -> None:
        import time

        self._time = time
        self._factor = factor
        self._start = start
        self._origin = time.monotonic()
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self._time.sleep(seconds / self._factor)

    def clock(self) -> float:
        return self._start + (self._time.monotonic() - self._origin) * self._factor


# -- faults --------------------------------------------------------------------------------


class ProcessKilled(BaseException):
    """The process died at this point (timeout, out of memory, kill): nothing after it
    runs, no ``except Exception`` sees it, and its memory is gone."""


class _FakeHttp:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


def client_error(code: str, status: int = 400, message: str = "injected"):
    """An error answer as botocore would parse it from the service."""

    def answer():
        return _FakeHttp(status), {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    return answer


class Faults:
    """Answers chosen calls of one botocore operation with an error (a ``client_error``
    answer, or an exception raised as botocore would), by call number, on ``client``
    and on every client later given to :meth:`attach`.

    ``plan(n, params)`` gets the 1-based call number and the request's parameters and
    returns None to let the call through; only the calls ``where(params)`` accepts
    are counted (all of them by default)."""

    def __init__(
        self,
        client,
        operation: str,
        plan: Callable[[int], Any],
        where: Callable[[dict], bool] | None = None,
    ) -> None:
        self._operation = operation
        self._plan = plan
        self._where = where
        self.calls = 0
        self.injected = 0
        self._lock = threading.Lock()
        self._attached: list[tuple[Any, str]] = []
        if client is not None:
            self.attach(client)

    def attach(self, client) -> None:
        event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{self._operation}"
        client.meta.events.register(event, self._handle, unique_id=f"fault-{id(self)}")
        self._attached.append((client.meta.events, event))

    def _handle(self, params=None, **_):
        params = params or {}
        if self._where is not None and not self._where(params):
            return None
        with self._lock:
            self.calls += 1
            fault = self._plan(self.calls, params)
            if fault is None:
                return None
            self.injected += 1
        if isinstance(fault, BaseException):
            raise fault
        return fault()

    def close(self) -> None:
        for events, event in self._attached:
            events.unregister(event, unique_id=f"fault-{id(self)}")
        self._attached.clear()


class NewClients:
    """Hands every botocore client of ``service`` created while installed to each
    listener, and keeps them. PynamoDB's models create their clients on first use, out of
    a test's reach; botocore's public ``Session.create_client`` is wrapped instead, as
    bench/meter.py does."""

    def __init__(self, service: str) -> None:
        self._service = service
        self.clients: list[Any] = []
        self._listeners: list[Callable[[Any], None]] = []
        self._original = None

    def install(self) -> NewClients:
        from botocore.session import Session

        original, watch = Session.create_client, self

        def create_client(session, service_name, *args, **kwargs):
            client = original(session, service_name, *args, **kwargs)
            if service_name == watch._service:
                watch.clients.append(client)
                for listener in watch._listeners:
                    listener(client)
            return client

        Session.create_client, self._original = create_client, original
        return self

    def uninstall(self) -> None:
        from botocore.session import Session

        if self._original is not None:
            Session.create_client, self._original = self._original, None

    def each(self, listener: Callable[[Any], None]) -> None:
        """Call ``listener`` with every client created so far and every one to come."""
        for client in self.clients:
            listener(client)
        self._listeners.append(listener)


def on_ledger_items(params: dict) -> bool:
    """Whether a DynamoDB request reads or writes an email ledger round."""
    try:
        request = json.loads(_body(params) or b"{}")
    except ValueError:
        return False
    key = request.get("Key") or request.get("Item") or {}
    return key.get("PK", {}).get("S", "").startswith("EMAIL#")


def first(k: int, fault) -> Callable[[int, dict], Any]:
    """The first ``k`` calls fail."""
    return lambda n, params: fault if n <= k else None


def always(fault) -> Callable[[int, dict], Any]:
    return lambda n, params: fault


def addressed_to(address: str, fault) -> Callable[[int, dict], Any]:
    """Every SendEmail to ``address`` fails."""
    return lambda n, params: fault if address.encode() in _body(params) else None


def _body(params: dict) -> bytes:
    body = params.get("body", b"")
    return body.encode() if isinstance(body, str) else body


# -- Lambda's event source mapping -----------------------------------------------------------


def is_request_record(record: dict[str, Any]) -> bool:
    """The mapping's filter (infra/app-merge.yaml): only membership requests."""
    return record["dynamodb"]["Keys"]["SK"]["S"].startswith("REQ#")


class EventSourceMapping:
    """What Lambda does between the stream and the function, as configured in
    infra/app-merge.yaml: filtered batches in order, partial batch responses (retry
    from the reported record), a function error retries the batch, and after
    ``MaximumRetryAttempts`` the range goes to the on-failure queue as
    ``DDBStreamBatchInfo`` (where the records are, not the records), then it moves on."""

    def __init__(
        self,
        reader,
        invoke: Callable[[dict[str, Any]], Any],
        sqs,
        queue_url: str,
        stream_arn: str,
        shard_id: str,
        *,
        batch_size: int = 100,
        maximum_retry_attempts: int = 5,
    ) -> None:
        self._reader = reader
        self.invoke = invoke
        self._sqs = sqs
        self._queue_url = queue_url
        self._stream_arn = stream_arn
        self._shard_id = shard_id
        self._batch_size = batch_size
        self._max_retries = maximum_retry_attempts
        self.invocations = 0
        self.crashes = 0
        self.records_to_failure_queue = 0

    def pump(self) -> None:
        """Deliver everything the stream holds now, to the end."""
        records = [record for record in self._reader.read() if is_request_record(record)]
        while records:
            batch, records = records[: self._batch_size], records[self._batch_size :]
            self._deliver(batch)

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        attempts = 0
        while batch:
            self.invocations += 1
            try:
                response = self.invoke({"Records": batch})
                failures = (response or {}).get("batchItemFailures") or []
            except ProcessKilled:
                self.crashes += 1
                failures = [{"itemIdentifier": batch[0]["dynamodb"]["SequenceNumber"]}]
            if not failures:
                return
            failed = min(int(f["itemIdentifier"]) for f in failures)
            batch = [r for r in batch if int(r["dynamodb"]["SequenceNumber"]) >= failed]
            attempts += 1
            if attempts > self._max_retries:
                self._give_up(batch, attempts + 1)
                return

    def _give_up(self, batch: list[dict[str, Any]], invocations: int) -> None:
        def arrival(record):
            return dt.datetime.fromtimestamp(
                record["dynamodb"]["ApproximateCreationDateTime"], tz=dt.UTC
            ).strftime("%Y-%m-%dT%H:%M:%SZ")

        self.records_to_failure_queue += len(batch)
        body = {
            "requestContext": {
                "requestId": "test",
                "functionArn": "arn:aws:lambda:eu-west-3:123456789012:function:adhesion-test-notify",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": self._shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival(batch[0]),
                "approximateArrivalOfLastRecord": arrival(batch[-1]),
                "batchSize": len(batch),
                "streamArn": self._stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(body))


# -- crashes ---------------------------------------------------------------------------------


class KillSwitch:
    """Kills the process at the ``at_call``-th call of a port's ``method``: before the
    call reaches the real adapter, or (``after=True``) once it has returned. Fires once:
    the next process runs normally."""

    def __init__(self, method: str, at_call: int, *, after: bool = False) -> None:
        self.method = method
        self.at_call = at_call
        self.after = after
        self.calls = 0
        self.fired = False

    def wrap(self, inner):
        switch = self

        class Killing:
            def __getattr__(self, name):
                attribute = getattr(inner, name)
                if name != switch.method:
                    return attribute

                def call(*args, **kwargs):
                    switch.calls += 1
                    due = not switch.fired and switch.calls == switch.at_call
                    if due and not switch.after:
                        switch.fired = True
                        raise ProcessKilled(f"before {name} #{switch.calls}")
                    result = attribute(*args, **kwargs)
                    if due:
                        switch.fired = True
                        raise ProcessKilled(f"after {name} #{switch.calls}")
                    return result

                return call

        return Killing()
