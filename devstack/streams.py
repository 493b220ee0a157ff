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


class StreamReader:
    """Follows every shard of one stream from where it last stopped."""

    def __init__(self, streams_client, stream_arn: str) -> None:
        self._client = streams_client
        self._arn = stream_arn
        self._pending: list[dict[str, Any]] = []
        self._last_sequence: dict[str, str] = {}

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
            position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
                        if last else {"ShardIteratorType": "TRIM_HORIZON"})
            iterator = self._client.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard, **position)["ShardIterator"]
            while iterator:
                response = self._client.get_records(ShardIterator=iterator, Limit=1000)
                if not response["Records"]:
                    break
                records.extend(response["Records"])
                self._last_sequence[shard] = response["Records"][-1]["dynamodb"]["SequenceNumber"]
                iterator = response.get("NextShardIterator")
        return [self._as_lambda_record(record) for record in records]

    def unread(self, records: list[dict[str, Any]]) -> None:
        """Hand records back so that the next read starts with them (a retry)."""
        self._pending = records + self._pending

    def _as_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        record = _jsonable(record)
        record.setdefault("eventSourceARN", self._arn)
        return record


def deliver(reader: StreamReader, invoke: Callable[[dict[str, Any]], Any],
            batch_size: int = 100) -> list[Any]:
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
            position = next(i for i, record in enumerate(batch)
                            if record["dynamodb"]["SequenceNumber"] == failed)
            reader.unread(batch[position:] + records)
            break
    return responses
