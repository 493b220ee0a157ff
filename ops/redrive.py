"""Re-drives the stream function's failure queue: the emails of records Lambda gave up on
go out, once.

Lambda's on-failure destination for a stream receives *where* the records are
(``DDBStreamBatchInfo``: stream, shard, first and last sequence numbers), not the
records. The records are read back from the stream, which keeps them 24 hours; with
``MaximumRecordAgeInSeconds`` at 6 hours a record reaches the queue at most about 6
hours after it was written, which leaves the operator at least 18 hours, and the
queue-depth alarm fires within 5 minutes. Nothing else is kept: no second copy of
users' data, no extra write permission for the stream function. Past the stream's
window a range can no longer be read; the requests it concerned are in the function's
logs (``record deferred`` lines carry ``request_id``) and ``ops resend`` sends their
emails from the table, which keeps every request.

The records are handled by the stream function's own code (``process_records`` with
the same notifier and ledger), oldest first, so the ledger skips whatever already went
out and the ordering rule holds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.persistence import keys
from devstack.streams import as_lambda_record

logger = logging.getLogger(__name__)

STREAM_RETENTION = dt.timedelta(hours=24)
_EMPTY_PAGES = 5


class RangeUnreadable(Exception):
    """The stream no longer holds this range (older than 24 hours, or the stream is gone)."""


@dataclass(frozen=True)
class FailedRange:
    """One failure-queue message: a range of one shard of one stream."""

    message_id: str
    receipt_handle: str
    stream_arn: str
    shard_id: str
    first: str
    last: str
    size: int
    first_arrival: str
    condition: str

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> FailedRange:
        body = json.loads(message["Body"])
        info = body["DDBStreamBatchInfo"]
        return cls(
            message_id=message["MessageId"],
            receipt_handle=message["ReceiptHandle"],
            stream_arn=info["streamArn"],
            shard_id=info["shardId"],
            first=str(info["startSequenceNumber"]),
            last=str(info["endSequenceNumber"]),
            size=int(info.get("batchSize") or 0),
            first_arrival=str(info.get("approximateArrivalOfFirstRecord") or ""),
            condition=str(body.get("requestContext", {}).get("condition", "")),
        )

    @property
    def order(self) -> tuple[str, int]:
        return (self.shard_id, int(self.first))


@dataclass
class RangeReport:
    range: FailedRange
    records: int = 0
    outcome: str = "pending"  # replayed, failed, unreadable, dropped, listed
    detail: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)


@dataclass
class RedriveReport:
    ranges: list[RangeReport] = field(default_factory=list)
    unreadable_messages: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        """Messages left in the queue (their emails are not all handled)."""
        return sum(1 for r in self.ranges if r.outcome not in ("replayed", "dropped")) + len(
            self.unreadable_messages
        )

    @property
    def records(self) -> int:
        return sum(r.records for r in self.ranges if r.outcome == "replayed")


class FailureQueueRedriver:
    """``process`` is the stream function's record handler: it takes a Lambda event
    (``{"Records": [...]}``) and answers with a partial batch response."""

    def __init__(
        self,
        sqs,
        streams,
        queue_url: str,
        process: Callable[[dict[str, Any]], dict[str, Any]],
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        visibility_timeout: int = 900,
    ) -> None:
        self._sqs = sqs
        self._streams = streams
        self._queue_url = queue_url
        self._process = process
        self._now = now
        self._visibility_timeout = visibility_timeout

    def run(
        self, *, max_messages: int | None = None, dry_run: bool = False, drop_unreadable: bool = False
    ) -> RedriveReport:
        """Replay every range in the queue, oldest first; delete each message whose
        records were all handled. Stop at the first range that fails again (the rest
        stay in the queue, visible at once for the next run)."""
        report = RedriveReport()
        messages = self._receive(max_messages)
        ranges: list[FailedRange] = []
        for message in messages:
            try:
                ranges.append(FailedRange.from_message(message))
            except (ValueError, KeyError, TypeError):
                logger.error(
                    "failure-queue message is not a stream batch",
                    extra={"message_id": message.get("MessageId")},
                )
                report.unreadable_messages.append(message["MessageId"])
                self._release(message["ReceiptHandle"])
        ranges.sort(key=lambda r: r.order)
        stopped = False
        for failed in ranges:
            entry = RangeReport(failed)
            report.ranges.append(entry)
            if stopped:
                self._release(failed.receipt_handle)
                continue
            try:
                records = self.read_range(failed)
            except RangeUnreadable as e:
                entry.outcome, entry.detail = "unreadable", str(e)
                if drop_unreadable and not dry_run:
                    entry.outcome = "dropped"
                    self._delete(failed.receipt_handle)
                else:
                    self._release(failed.receipt_handle)
                continue
            # The event source mapping's filter (infra/app-merge.yaml): a range spans every
            # record of the shard between its ends, the function only ever saw requests.
            records = [record for record in records if _summary(record)]
            entry.records = len(records)
            entry.requests = [summary for summary in map(_summary, records) if summary]
            if dry_run:
                entry.outcome = "listed"
                self._release(failed.receipt_handle)
                continue
            response = self._process({"Records": records})
            failures = (response or {}).get("batchItemFailures") or []
            if failures:
                entry.outcome = "failed"
                entry.detail = f"record {failures[0]['itemIdentifier']} failed again"
                self._release(failed.receipt_handle)
                stopped = True
                continue
            entry.outcome = "replayed"
            self._delete(failed.receipt_handle)
        return report

    def read_range(self, failed: FailedRange) -> list[dict[str, Any]]:
        """The records of ``failed``, in Lambda's event format."""
        from botocore.exceptions import ClientError

        arrival = _moment(failed.first_arrival)
        if arrival and self._now() - arrival > STREAM_RETENTION:
            raise RangeUnreadable(f"written {failed.first_arrival}, beyond the stream's 24 hours")
        last = int(failed.last)
        records: list[dict[str, Any]] = []
        try:
            iterator = self._streams.get_shard_iterator(
                StreamArn=failed.stream_arn,
                ShardId=failed.shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=failed.first,
            )["ShardIterator"]
            empty = 0
            while iterator and empty < _EMPTY_PAGES:
                page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                empty = 0 if page["Records"] else empty + 1
                for record in page["Records"]:
                    if int(record["dynamodb"]["SequenceNumber"]) > last:
                        return records
                    records.append(as_lambda_record(record, failed.stream_arn))
                if records and int(records[-1]["dynamodb"]["SequenceNumber"]) >= last:
                    return records
                iterator = page.get("NextShardIterator")
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code in (
                "TrimmedDataAccessException",
                "ResourceNotFoundException",
                "ExpiredIteratorException",
            ):
                raise RangeUnreadable(f"{code}: the stream no longer holds this range") from e
            raise
        if not records:
            raise RangeUnreadable("the stream returned none of this range's records")
        return records

    # -- the queue ----------------------------------------------------------------------

    def _receive(self, max_messages: int | None) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while max_messages is None or len(messages) < max_messages:
            wanted = 10 if max_messages is None else min(10, max_messages - len(messages))
            batch = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=1,
                VisibilityTimeout=self._visibility_timeout,
            ).get("Messages", [])
            if not batch:
                break
            messages.extend(batch)
        return messages

    def _delete(self, receipt_handle: str) -> None:
        self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=receipt_handle)

    def _release(self, receipt_handle: str) -> None:
        """Make the message visible again at once, for the next run."""
        self._sqs.change_message_visibility(
            QueueUrl=self._queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=0
        )


def _moment(value: str) -> dt.datetime | None:
    """Lambda writes ISO 8601 (``2025-06-05T18:21:49Z``); tolerate epoch seconds too."""
    if not value:
        return None
    try:
        return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _summary(record: dict[str, Any]) -> dict[str, str] | None:
    """Which request a record concerns, from its keys (no user data)."""
    request = keys.request_key_of(record.get("dynamodb", {}).get("Keys"))
    if request is None:
        return None
    return {
        "organization_id": request[0],
        "request_id": request[1],
        "event": record.get("eventName", ""),
        "sequence_number": record["dynamodb"]["SequenceNumber"],
    }
