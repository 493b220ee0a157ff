"""Emailing a notice (an admin's reminders, a day's digest) once, when it becomes ready.

A notice is a round of one recipient in the email ledger: read the round, send if it is
not handled, write it sent and handled. The same guarantees as a request's round
(``chalicelib.services.rounds``): a redelivered record sends nothing twice, a failed send
is retried within the time budget and then deferred, an email SES will never accept is
given up and the round still ends handled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from chalicelib.domain import Notice, NoticeStatus, RequestStatus, UserProfile
from chalicelib.mail import rendering
from chalicelib.mail.ledger import SENT, EmailLedger
from chalicelib.mail.port import Disposition, EmailMessage, Mailer, MailError
from chalicelib.mail.unsubscribe import UnsubscribeLinks
from chalicelib.observability import log_context
from chalicelib.services.delivery import Deadline, DeliveryUnavailable, Metrics, OutOfTime
from chalicelib.services.messages import Links
from chalicelib.services.ports import Directory
from chalicelib.services.retrying import Retrying
from chalicelib.services.round_ledger import RoundLedger
from chalicelib.services.rounds import Outcome

logger = logging.getLogger(__name__)

#: The ledger's transition of a notice's round: it became ready.
READY = NoticeStatus.READY.value
#: The entries a notice lists even when they are no longer pending.
_ALWAYS_LISTED = frozenset({"auto_accepted"})


def became_ready(old: Notice | None, new: Notice | None) -> bool:
    """Whether a change of a notice calls for its email: it was closed."""
    return (
        new is not None and new.status is NoticeStatus.READY and (old is None or old.status is not new.status)
    )


class NoticeDelivery:
    """Sends a ready notice to its admin once. ``round_id`` names the notice in the ledger
    (the storage's key, given by the composition root)."""

    def __init__(
        self,
        directory: Directory,
        ledger: EmailLedger,
        mailer: Mailer,
        links: Links,
        round_id: Callable[[Notice], str],
        retrying: Retrying,
        metrics: Metrics,
        unsubscribe: UnsubscribeLinks | None = None,
    ) -> None:
        self._directory = directory
        self._unsubscribe = unsubscribe
        self._ledger = RoundLedger(ledger, retrying, metrics)
        self._mailer = mailer
        self._links = links
        self._round_id = round_id
        self._retrying = retrying
        self._metrics = metrics

    def deliver(self, notice: Notice, deadline: Deadline) -> Outcome:
        round_id = self._round_id(notice)
        with log_context(notice=round_id):
            stored = self._ledger.read(round_id, READY, deadline)
            if stored.handled:
                return Outcome(redelivered=True)
            message = self.compose(notice)
            if message is None:
                self._ledger.store(stored.as_handled(), deadline)
                return Outcome()
            if stored.state(notice.user_id) == SENT:
                self._ledger.store(stored.as_handled(), deadline)
                return Outcome(already_sent=1)
            if deadline.expired():
                raise OutOfTime(round_id)
            try:
                message_id = self._retrying(lambda: self._mailer.send(message), deadline, what="send")
            except MailError as error:
                if error.disposition is not Disposition.ACKNOWLEDGE:
                    raise DeliveryUnavailable(f"send: {error.code}") from error
                logger.warning("email failed permanently", extra={"reason": error.code})
                self._metrics.count("EmailsFailedPermanently")
                self._ledger.store(stored.with_failed(notice.user_id, error.code).as_handled(), deadline)
                return Outcome(failed=1)
            self._metrics.count("EmailsSent")
            logger.info("email sent", extra={"message_id": message_id})
            self._ledger.store(
                stored.with_sent([notice.user_id]).as_handled(), deadline, just_sent=notice.user_id
            )
            return Outcome(sent=1)

    def compose(self, notice: Notice) -> EmailMessage | None:
        """The notice's email as things are now: entries no longer pending are dropped
        (unless they say someone joined automatically); nothing when none is left or the
        admin has no address."""
        recipient = self._directory.profiles([notice.user_id]).get(notice.user_id)
        if recipient is None or not recipient.email:
            logger.warning("notice not sent: no address", extra={"reason": "no_email_address"})
            return None
        entries = self._still_relevant(notice)
        if not entries:
            logger.info("notice not sent: nothing left to list", extra={"reason": "notice_empty"})
            self._metrics.count("NoticesEmpty")
            return None
        return self._message(notice, recipient, entries)

    def _still_relevant(self, notice: Notice) -> list[dict]:
        entries = [entry for _, entry in sorted(notice.entries.items())]
        asked = [
            (entry["organization_id"], entry["request_id"])
            for entry in entries
            if entry.get("kind") not in _ALWAYS_LISTED
        ]
        statuses = self._directory.request_statuses(asked) if asked else {}
        return [
            entry
            for entry in entries
            if entry.get("kind") in _ALWAYS_LISTED
            or statuses.get((entry["organization_id"], entry["request_id"])) is RequestStatus.PENDING
        ]

    def _message(self, notice: Notice, recipient: UserProfile, entries: list[dict]) -> EmailMessage:
        groups: dict[str, dict] = {}
        for entry in sorted(entries, key=lambda e: (e["organization_name"], e["created_at"])):
            group = groups.setdefault(
                entry["organization_id"], {"organization_name": entry["organization_name"], "entries": []}
            )
            group["entries"].append(
                {**entry, "review_url": self._links.request(entry["organization_id"], entry["request_id"])}
            )
        template = rendering.NOTICE_TEMPLATES[notice.kind]
        context = {"recipient_name": recipient.name, "groups": list(groups.values())}
        subject, text, html = rendering.render_notice(template, recipient.language, context)
        headers: tuple[tuple[str, str], ...] = ()
        if self._unsubscribe is not None:
            # One organization: the link mutes it; several: it turns admin emails off.
            only = next(iter(groups)) if len(groups) == 1 else None
            headers = self._unsubscribe.headers(recipient.user_id, only)
        return EmailMessage(to=recipient.email, subject=subject, text=text, html=html, headers=headers)
