"""Turns the table's stream records into notifications, one record at a time.

Imported by every function through ``app.py``: it imports nothing heavy at module
level (no PynamoDB, Jinja2, boto3 or Powertools); the notifier, built lazily by the
container, brings those into the stream function only.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.domain import MembershipRequest, Notice, Transition
from chalicelib.observability import log_context
from chalicelib.persistence import keys
from chalicelib.services.delivery import Deadline, NotificationDeferred

logger = logging.getLogger(__name__)


def request_from_image(image: Mapping[str, Any] | None) -> MembershipRequest | None:
    """Rebuild a request from a stream image with the table's own model; None for
    images of other kinds of items. Raises when the image is not a readable request."""
    if not keys.is_request_image(image):
        return None
    from chalicelib.persistence.items import request_from_image as rebuilt

    return rebuilt(image)


def notice_from_image(image: Mapping[str, Any] | None) -> Notice | None:
    """Rebuild an admin notice from a stream image; None for images of other kinds, and
    for an image with its keys only (the emulator's record of an update that created the
    item): only a notice's status decides anything, and its next record will carry it."""
    if not keys.is_notice_image(image) or "status" not in (image or {}):
        return None
    from chalicelib.persistence.items import notice_from_image as rebuilt

    return rebuilt(image)


def _raw_records(event: Any) -> list[Any]:
    """The records of a Chalice event, of a Lambda event dict, or a list of records."""
    if hasattr(event, "to_dict"):
        event = event.to_dict()
    if isinstance(event, Mapping):
        event = event.get("Records") or []
    return list(event)


def _remaining_time(context: Any) -> Callable[[], float] | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return None if remaining is None else (lambda: remaining() / 1000)


def _subject(record: Mapping[str, Any]) -> tuple[str, ...] | None:
    """What a record is about: a request (org_id, request_id), an admin notice (user_id,
    kind, key), or None for other kinds of items."""
    record_keys = record.get("dynamodb", {}).get("Keys")
    return keys.request_key_of(record_keys) or keys.notice_key_of(record_keys)


def process_records(
    event: Any,
    notifier,
    time_left: Callable[[], float] | None = None,
) -> dict[str, list[dict[str, str]]]:
    """Handle a batch in order and answer with Lambda's partial batch response.

    - A permanent failure (an unreadable record, an unknown organization, an email SES
      will never accept, a recipient without address) is logged, counted and
      acknowledged: it never blocks the shard.
    - A failure that concerns one request only (its outcome waiting for its new-request
      round) holds that request's later records back and lets the others through.
    - A shared failure (SES or the ledger unavailable after the retries the time budget
      allowed, time running out, an unexpected error) stops the batch there.

    The first record not handled is reported as the batch item failure: Lambda retries
    from it (records after it that were handled cost a ledger read each), and after the
    configured attempts sends the range to the failure queue for ``python -m ops redrive``.
    """
    context = getattr(event, "context", None)
    deadline = Deadline(time_left or _remaining_time(context), notifier.reserve_seconds)
    first_failed: str | None = None
    held: set[tuple[str, str]] = set()
    # A notifier may share its lookups (admins, profiles) between the records of a batch.
    batch = getattr(notifier, "batch", contextlib.nullcontext)
    with log_context(lambda_request_id=getattr(context, "aws_request_id", None)), batch():
        try:
            for record in _raw_records(event):
                dynamodb = record.get("dynamodb") if isinstance(record, Mapping) else None
                sequence = (dynamodb or {}).get("SequenceNumber")
                if not sequence:
                    # Lambda would not know which record to retry anyway.
                    logger.error("record acknowledged: not a stream record", extra={"reason": "malformed"})
                    notifier.metrics.count("RecordsRejected")
                    continue
                subject = _subject(record)
                if subject is None or subject in held:
                    continue
                if deadline.expired():
                    first_failed = first_failed or sequence
                    break
                with log_context(sequence_number=sequence, event_id=record.get("eventID")):
                    deferred = _handle(record, subject, notifier, deadline)
                if deferred is None:
                    continue
                first_failed = first_failed or sequence
                if deferred.holds_batch:
                    break
                held.add(subject)
        finally:
            if first_failed:
                notifier.metrics.count("RecordsRetried")
            notifier.metrics.flush()
    return {"batchItemFailures": [{"itemIdentifier": first_failed}] if first_failed else []}


class _Unexpected(NotificationDeferred):
    """An error nobody classified: stop there, the stream retries (and bisects)."""


def _handle(
    record: Mapping[str, Any], subject: tuple[str, ...], notifier, deadline: Deadline
) -> NotificationDeferred | None:
    """Handle one record; return the deferral when it must be retried."""
    dynamodb = record["dynamodb"]
    if keys.notice_key_of(dynamodb.get("Keys")) is not None:
        return _handle_notice(dynamodb, notifier, deadline)
    try:
        old = request_from_image(dynamodb.get("OldImage"))
        new = request_from_image(dynamodb.get("NewImage"))
    except Exception:
        # Permanent: the same bytes will never read better.
        logger.exception("record acknowledged: unreadable request image", extra={"reason": "malformed"})
        notifier.metrics.count("RecordsRejected")
        if record.get("eventName") == "INSERT":
            # Its new-request round will never be handled; its outcome must not wait.
            try:
                notifier.record_rejected(subject[1], Transition.REQUESTED)
            except NotificationDeferred as deferred:
                return deferred
        return None
    try:
        notifier.notify(old, new, deadline)
    except NotificationDeferred as deferred:
        logger.warning("record deferred", extra={"reason": type(deferred).__name__, "detail": str(deferred)})
        return deferred
    except Exception as error:
        logger.exception("record failed")
        return _Unexpected(type(error).__name__)
    return None


def _handle_notice(dynamodb: Mapping[str, Any], notifier, deadline: Deadline) -> NotificationDeferred | None:
    """Email a notice that became ready, once."""
    try:
        old = notice_from_image(dynamodb.get("OldImage"))
        new = notice_from_image(dynamodb.get("NewImage"))
    except Exception:
        logger.exception("record acknowledged: unreadable notice image", extra={"reason": "malformed"})
        notifier.metrics.count("RecordsRejected")
        return None
    try:
        notifier.notify_notice(old, new, deadline)
    except NotificationDeferred as deferred:
        logger.warning("record deferred", extra={"reason": type(deferred).__name__, "detail": str(deferred)})
        return deferred
    except Exception as error:
        logger.exception("record failed")
        return _Unexpected(type(error).__name__)
    return None
