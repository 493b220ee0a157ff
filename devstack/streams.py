"""Reads a DynamoDB table's stream from the emulator and hands the records to the
application's stream function in Lambda's own event format.

``chalice local`` does not run stream functions; this is the part of the Lambda
event source mapping that the local stack and the tests need: records in order,
batches of at most ``batch_size``, and, when the function reports a batch item
failure, the next delivery starting again from that record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def as_lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it to the function (``ops redrive`` replays
    the failure queue's ranges in this format too)."""
    record = _jsonable(record)
    record.setdefault("eventSourceARN", stream_arn)
    return record


class StreamReader:
    """Follows every shard of one stream from where it last stopped."""

    def __init__(self, streams_client, stream_arn: str) -> None:
        self._client = streams_client
        self._arn = stream_arn
        self._pending: list[dict[str, Any]] = []
        self._last_sequence: dict[str, str] = {}
        # Lambda's records do not name their shard; the failure destination does.
        self.shard_of: dict[str, str] = {}

    def _shards(self) -> list[str]:
        description = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description["Shards"]]

    def read(self) -> list[dict[str, Any]]:
        """New records since the last read, plus those handed back with :meth:`unread`."""
        records = self._pending
        self._pending = []
        for shard in self._shards():
            # A fresh iterator on every read, positioned after the last record seen:
            # the emulator replaces a table's shard when it rolls back a cancelled
            # transaction, and an iterator kept across reads would follow the old one.
            last = self._last_sequence.get(shard)
            position = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
                if last
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            iterator = self._client.get_shard_iterator(StreamArn=self._arn, ShardId=shard, **position)[
                "ShardIterator"
            ]
            while iterator:
                response = self._client.get_records(ShardIterator=iterator, Limit=1000)
                if not response["Records"]:
                    break
                records.extend(response["Records"])
                self.shard_of.update(
                    {record["dynamodb"]["SequenceNumber"]: shard for record in response["Records"]}
                )
                self._last_sequence[shard] = response["Records"][-1]["dynamodb"]["SequenceNumber"]
                iterator = response.get("NextShardIterator")
        return [as_lambda_record(record, self._arn) for record in records]

    def unread(self, records: list[dict[str, Any]]) -> None:
        """Hand records back so that the next read starts with them (a retry)."""
        self._pending = records + self._pending

    def position(self) -> dict[str, str]:
        """Where each shard was last read, for :meth:`seek`."""
        return dict(self._last_sequence)

    def seek(self, position: dict[str, str]) -> None:
        """Read again from a :meth:`position`, as a stream redelivers."""
        self._last_sequence = dict(position)

    @property
    def has_unread(self) -> bool:
        """Whether records handed back wait for the next read."""
        return bool(self._pending)


def deliver(
    reader: StreamReader, invoke: Callable[[dict[str, Any]], Any], batch_size: int = 100
) -> list[Any]:
    """Hand every new record to ``invoke`` in order, in batches. When the function
    answers with a batch item failure, stop: the records from the failed one on are
    handed back to the reader, for the next delivery to retry them first."""
    records = reader.read()
    responses = []
    while records:
        batch, records = records[:batch_size], records[batch_size:]
        response = invoke({"Records": batch})
        responses.append(response)
        failures = (response or {}).get("batchItemFailures") or []
        if failures:
            failed = failures[0]["itemIdentifier"]
            position = next(
                i for i, record in enumerate(batch) if record["dynamodb"]["SequenceNumber"] == failed
            )
            reader.unread(batch[position:] + records)
            break
    return responses


class StreamPump:
    """The event source mapping, locally: polls the stream, invokes the function with
    batches in order, retries from a reported failure, and after the configured
    attempts hands the failed range to ``on_failure`` (the on-failure destination) and
    moves on, as Lambda does."""

    def __init__(
        self,
        reader: StreamReader,
        invoke: Callable[[dict[str, Any]], Any],
        on_failure: Callable[[list[dict[str, Any]], int], None],
        *,
        batch_size: int,
        maximum_retry_attempts: int,
    ) -> None:
        self._reader = reader
        self._invoke = invoke
        self._on_failure = on_failure
        self._batch_size = batch_size
        self._max_retries = maximum_retry_attempts
        self._attempts: dict[str, int] = {}

    def _invoke_checked(self, event: dict[str, Any]) -> Any:
        try:
            return self._invoke(event)
        except Exception:
            # A crashed invocation fails the whole batch, as in Lambda.
            first = event["Records"][0]["dynamodb"]["SequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": first}]}

    def pump_once(self) -> int:
        """Deliver what the stream holds now; return how many records were acknowledged."""
        acknowledged = 0
        records = self._reader.read()
        while records:
            batch, records = records[: self._batch_size], records[self._batch_size :]
            response = self._invoke_checked({"Records": batch})
            failures = (response or {}).get("batchItemFailures") or []
            if not failures:
                acknowledged += len(batch)
                continue
            failed = failures[0]["itemIdentifier"]
            position = next(
                (i for i, record in enumerate(batch) if record["dynamodb"]["SequenceNumber"] == failed), 0
            )
            acknowledged += position
            attempts = self._attempts.get(failed, 0) + 1
            if attempts > self._max_retries:
                self._attempts.pop(failed, None)
                self._on_failure(batch[position:], attempts)
                continue
            self._attempts[failed] = attempts
            self._reader.unread(batch[position:] + records)
            break
        return acknowledged


def failure_message(
    records: list[dict[str, Any]], attempts: int, stream_arn: str, shard_id: str
) -> dict[str, Any]:
    """What Lambda sends to a stream function's on-failure destination: where the
    records are, not the records themselves."""
    first, last = records[0], records[-1]
    return {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
        "version": "1.0",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": first["dynamodb"].get("ApproximateCreationDateTime"),
            "approximateArrivalOfLastRecord": last["dynamodb"].get("ApproximateCreationDateTime"),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
