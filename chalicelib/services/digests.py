"""Filing requests into the admins' daily digest notices (``daily_digest`` admins, and
every admin not ``off`` for requests accepted automatically), from the stream.

The scheduled function closes each notice when it falls due, and the stream emails it
then (``chalicelib.services.schedule``). Filing is idempotent: an entry is keyed by its
organization and request, and a notice keeps one entry per key, so a redelivered record
adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from chalicelib.domain import MembershipRequest, NoticeKind, Organization, isoformat
from chalicelib.services.delivery import Metrics
from chalicelib.services.ports import Clock, NoticeBoard

logger = logging.getLogger(__name__)

#: What a digest entry quotes of the motivation; the review link shows the rest.
COMMENT_EXCERPT = 200


def next_digest(after: datetime, hour_utc: int) -> datetime:
    """The first digest moment (``hour_utc``:00 UTC) strictly after ``after``."""
    candidate = after.astimezone(UTC).replace(hour=hour_utc, minute=0, second=0, microsecond=0)
    return candidate if candidate > after else candidate + timedelta(days=1)


def digest_entry(request: MembershipRequest, organization: Organization, kind: str) -> dict[str, str]:
    """What the digest says of one request; ``kind``: ``new`` or ``auto_accepted``."""
    return {
        "organization_id": organization.id,
        "organization_name": organization.name,
        "request_id": request.id,
        "requester_name": request.user.name,
        "comment": request.comment[:COMMENT_EXCERPT],
        "created_at": isoformat(request.created_at),
        "kind": kind,
    }


class DigestFiler:
    """Files requests into the digest notice of each admin, due at the next
    ``digest_hour_utc`` after the request was made (so a redelivery picks the same one)."""

    def __init__(self, notices: NoticeBoard, digest_hour_utc: int, clock: Clock, metrics: Metrics) -> None:
        self._notices = notices
        self._hour = digest_hour_utc
        self._clock = clock
        self._metrics = metrics

    def file(
        self, request: MembershipRequest, organization: Organization, admin_ids: Iterable[str], kind: str
    ) -> None:
        entry_key = f"{organization.id}#{request.id}"
        entry = digest_entry(request, organization, kind)
        for admin_id in admin_ids:
            due = next_digest(request.created_at, self._hour)
            now = self._clock()
            if not self._notices.file_in_notice(
                admin_id, NoticeKind.DIGEST, due.date().isoformat(), due, entry_key, entry, now
            ):
                # That day's digest went out before this record was handled (a long
                # outage): the next one carries the request.
                due = next_digest(now, self._hour)
                self._notices.file_in_notice(
                    admin_id, NoticeKind.DIGEST, due.date().isoformat(), due, entry_key, entry, now
                )
            self._metrics.count("DigestEntriesFiled")
