"""Who is told what when a membership request changes status, each email exactly once
although the stream redelivers, SES throttles and processes die.

Driven by the table's stream (``chalicelib.stream``) and the operators' resend (``ops``).
The emails of one transition of one request form a round: composing its messages is
``chalicelib.services.messages``, delivering them ``chalicelib.services.rounds``. The
guarantees, the error table and the ordering rule are in docs/reliability.md.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from chalicelib.domain import MembershipRequest, Notice, RequestStatus, Transition
from chalicelib.errors import OrganizationNotFound
from chalicelib.mail.ledger import EmailLedger
from chalicelib.mail.port import Mailer
from chalicelib.mail.unsubscribe import UnsubscribeLinks
from chalicelib.services.delivery import Deadline, Metrics, NullMetrics, RetryPolicy
from chalicelib.services.digests import DigestFiler
from chalicelib.services.messages import Links, MessageComposer, Messages
from chalicelib.services.notices import NoticeDelivery, became_ready
from chalicelib.services.ports import Directory
from chalicelib.services.retrying import Retrying
from chalicelib.services.rounds import Outcome, RoundDelivery

__all__ = ["Links", "MembershipNotifier", "Outcome", "transition_of"]


#: What a pending request may become that its requester is told of (a withdrawal is theirs).
_OUTCOMES = (RequestStatus.ACCEPTED, RequestStatus.REFUSED, RequestStatus.EXPIRED)


def transition_of(old: MembershipRequest | None, new: MembershipRequest | None) -> Transition | None:
    """The transition worth an email, if any, between two images of a request."""
    if new is None:
        return None
    if old is None:
        return Transition.REQUESTED if new.status is RequestStatus.PENDING else None
    if old.status is RequestStatus.PENDING and new.status in _OUTCOMES:
        return Transition(new.status.value)
    return None


class MembershipNotifier:
    """Sends the emails a request transition calls for, each at most once.

    Ports: ``directory`` (the membership repository) tells who to email; ``ledger``
    records what went out; ``mailer`` sends; ``sleep``, ``now`` and ``rand`` are the
    clock and the dice, so that tests never really wait; ``metrics`` counts.
    """

    def __init__(
        self,
        directory: Directory,
        ledger: EmailLedger,
        mailer: Mailer,
        links: Links,
        max_admin_emails: int,
        *,
        retry: RetryPolicy | None = None,
        reserve_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rand: Callable[[float, float], float] = random.uniform,
        metrics: Metrics | None = None,
        notice_round_id: Callable[[Notice], str] | None = None,
        unsubscribe: UnsubscribeLinks | None = None,
        digests: DigestFiler | None = None,
    ) -> None:
        self._metrics = metrics or NullMetrics()
        #: the part of each invocation kept back to record what was sent (``Deadline``)
        self.reserve_seconds = reserve_seconds
        self._composer = MessageComposer(directory, links, max_admin_emails, self._metrics, unsubscribe)
        self._digests = digests
        self._rounds = RoundDelivery(
            ledger,
            mailer,
            self._compose,
            retry=retry or RetryPolicy(),
            sleep=sleep,
            now=now,
            rand=rand,
            metrics=self._metrics,
        )

        #: ``notice_round_id`` names a notice in the ledger (the storage's key for it)
        self._notices = NoticeDelivery(
            directory,
            ledger,
            mailer,
            links,
            notice_round_id or (lambda notice: f"{notice.user_id}#{notice.kind.value}#{notice.key}"),
            Retrying(retry or RetryPolicy(), sleep, rand, self._metrics),
            self._metrics,
            unsubscribe,
        )

    @property
    def metrics(self) -> Metrics:
        return self._metrics

    def batch(self) -> AbstractContextManager[None]:
        """Share the directory's answers between the records handled inside the block (one
        stream batch): at most one organization read, one admin lookup and one read of
        the admins' profiles per organization and batch."""
        return self._composer.batch()

    def _compose(self, request: MembershipRequest, transition: Transition) -> Messages:
        """The round's messages; the admins on ``daily_digest`` get the request filed in
        their digest instead, before any email of the round goes (a redelivery files it
        again, which keeps one entry)."""
        composed = self._composer.compose_round(request, transition)
        if composed.digest_ids and self._digests is not None:
            self._digests.file(request, composed.organization, composed.digest_ids, "new")
        return composed.messages

    def notify(
        self, old: MembershipRequest | None, new: MembershipRequest | None, deadline: Deadline | None = None
    ) -> Outcome:
        """Send what the change calls for, at most once per recipient."""
        if old is None and new is not None and new.auto_accepted and new.status is RequestStatus.ACCEPTED:
            return self._auto_accepted(new)
        transition = transition_of(old, new)
        if transition is None or new is None:
            return Outcome()
        return self._rounds.deliver(new, transition, deadline or Deadline.unlimited())

    def notify_notice(
        self, old: Notice | None, new: Notice | None, deadline: Deadline | None = None
    ) -> Outcome:
        """Email a notice once, when it becomes ready (the scheduled pass closed it)."""
        if not became_ready(old, new) or new is None:
            return Outcome()
        return self._notices.deliver(new, deadline or Deadline.unlimited())

    def _auto_accepted(self, request: MembershipRequest) -> Outcome:
        """A request accepted at once: its admins (not ``off``) read of it in their
        digest; nobody is emailed (the requester had the answer at once)."""
        if self._digests is None:
            return Outcome()
        try:
            organization, admin_ids = self._composer.auto_accepted_round(request)
        except OrganizationNotFound:
            self._metrics.count("RecordsRejected")
            return Outcome(rejected="unknown_organization")
        self._digests.file(request, organization, admin_ids, "auto_accepted")
        return Outcome()

    def resend(
        self, request: MembershipRequest, transition: Transition, *, again: bool = False, force: bool = False
    ) -> Outcome:
        """An operator's re-send: the emails of ``transition`` that the ledger does not
        show as sent (those given up included), or, with ``again``, every one of them.

        Refused (:class:`~chalicelib.errors.EmailsInProgress`) while the stream may still
        be sending them, unless ``force``: the round is not handled and its record is young
        enough for Lambda to be retrying it. Two passes at once could send an email twice."""
        return self._rounds.resend(request, transition, again=again, force=force)

    def record_rejected(self, request_id: str, transition: Transition) -> None:
        """A record of this request could not be read and was acknowledged: its round
        counts as handled, so that the request's later emails do not wait for it."""
        self._rounds.close_rejected(request_id, transition)
