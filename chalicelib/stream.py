"""Turns the table's stream records into notifications, one record at a time."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from chalicelib.domain import MembershipRequest
from chalicelib.models import MembershipRequestModel
from chalicelib.repository import membership_request_from_item

logger = logging.getLogger(__name__)


def request_from_image(image: dict[str, Any] | None) -> MembershipRequest | None:
    """Rebuild a request from a stream image with the table's own model; None for
    images of other kinds of items."""
    if not image or not image.get("SK", {}).get("S", "").startswith("REQ#"):
        return None
    return membership_request_from_item(MembershipRequestModel.from_raw_data(image))


def process_records(records: Iterable[Any], notifier) -> dict[str, list[dict[str, str]]]:
    """Handle records in order; on the first failure, report it as the batch item
    failure so that Lambda retries from that record and nothing behind it is
    handled out of order."""
    for record in records:
        try:
            notifier.notify(request_from_image(record.old_image),
                            request_from_image(record.new_image))
        except Exception:
            logger.exception("stream record failed", extra={
                "sequence_number": record.sequence_number, "event_id": record.event_id})
            return {"batchItemFailures": [{"itemIdentifier": record.sequence_number}]}
    return {"batchItemFailures": []}
