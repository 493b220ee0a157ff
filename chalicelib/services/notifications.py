"""Who is told what when a membership request changes status, and how each email goes
out exactly once although the stream redelivers, SES throttles and processes die.

Driven by the table's stream. The emails of one transition of one request form a
round, recorded in the ledger: each email is written there once SES accepted it, so a
redelivered record sends only what is missing. The guarantees, the error table and the
ordering rule are in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.domain import (
    Membership,
    MembershipRequest,
    Organization,
    RequestStatus,
    Role,
    Transition,
    UserProfile,
)
from chalicelib.errors import EmailsInProgress, OrganizationNotFound
from chalicelib.mail import rendering
from chalicelib.mail.ledger import (
    FAILED,
    SENT,
    EmailLedger,
    LedgerUnavailable,
    RoundChanged,
    RoundRecord,
)
from chalicelib.mail.port import Disposition, EmailMessage, Mailer, MailError
from chalicelib.observability import log_context
from chalicelib.services.delivery import (
    Deadline,
    DeliveryUnavailable,
    Metrics,
    NullMetrics,
    OutOfOrder,
    OutOfTime,
    RetryPolicy,
)

logger = logging.getLogger(__name__)

# DynamoDB streams keep records for 24 hours: past that, a request's first record can
# no longer arrive, so its outcome waits for nothing.
STREAM_RETENTION = timedelta(hours=24)
# The event source mapping's MaximumRecordAgeInSeconds (infra/app-merge.yaml): until a
# record is that old, Lambda may still be retrying it.
STREAM_RECORD_MAX_AGE = timedelta(hours=6)

_TEMPLATES = {
    Transition.REQUESTED: "request_created",
    Transition.ACCEPTED: "request_accepted",
    Transition.REFUSED: "request_refused",
}
_ROLE_LABELS = {
    "fr": {Role.ADMIN: "administrateur", Role.EDITOR: "éditeur"},
    "en": {Role.ADMIN: "admin", Role.EDITOR: "editor"},
}


def transition_of(old: MembershipRequest | None, new: MembershipRequest | None) -> Transition | None:
    """The transition worth an email, if any, between two images of a request."""
    if new is None:
        return None
    if old is None:
        return Transition.REQUESTED if new.status is RequestStatus.PENDING else None
    if old.status is RequestStatus.PENDING and new.status in (RequestStatus.ACCEPTED, RequestStatus.REFUSED):
        return Transition(new.status.value)
    return None


@dataclass(frozen=True)
class Links:
    frontend_base_url: str

    def organization(self, org_id: str) -> str:
        return f"{self.frontend_base_url}/organizations/{org_id}"

    def request(self, org_id: str, request_id: str) -> str:
        return f"{self.organization(org_id)}/membership-requests/{request_id}"


@dataclass
class Outcome:
    """What handling one transition did."""

    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    #: the whole round was handled before (a redelivery): nothing was looked at
    redelivered: bool = False
    #: the record names something that does not exist: acknowledged, nothing sent
    rejected: str | None = None


class _BatchDirectory:
    """The directory's answers, remembered for the records of one batch: a batch of new
    requests to the same organization reads its admins (and their profiles) once, not
    once per record. It lives as long as the batch (seconds), so the next batch sees
    admins added or removed meanwhile, as the uncached directory would."""

    def __init__(self, directory) -> None:
        self._directory = directory
        self._organizations: dict[str, Organization] = {}
        self._admins: dict[tuple[str, int], list[Membership]] = {}
        self._profiles: dict[str, UserProfile | None] = {}

    def get_organization(self, org_id: str) -> Organization:
        if org_id not in self._organizations:
            self._organizations[org_id] = self._directory.get_organization(org_id)
        return self._organizations[org_id]

    def admins(self, org_id: str, limit: int) -> list[Membership]:
        if (org_id, limit) not in self._admins:
            self._admins[(org_id, limit)] = self._directory.admins(org_id, limit)
        return self._admins[(org_id, limit)]

    def profiles(self, user_ids: Iterable[str]) -> dict[str, UserProfile]:
        user_ids = list(dict.fromkeys(user_ids))
        missing = [user_id for user_id in user_ids if user_id not in self._profiles]
        if missing:
            self._remember(missing, self._directory.profiles(missing))
        return self._known(user_ids)

    def request_status_and_profiles(
        self, org_id: str, request_id: str, user_ids: Iterable[str]
    ) -> tuple[RequestStatus | None, dict[str, UserProfile]]:
        # The status is never remembered: it is what changes between two records.
        user_ids = list(dict.fromkeys(user_ids))
        missing = [user_id for user_id in user_ids if user_id not in self._profiles]
        status, found = self._directory.request_status_and_profiles(org_id, request_id, missing)
        self._remember(missing, found)
        return status, self._known(user_ids)

    def _remember(self, user_ids: list[str], found: dict[str, UserProfile]) -> None:
        self._profiles.update({user_id: found.get(user_id) for user_id in user_ids})

    def _known(self, user_ids: list[str]) -> dict[str, UserProfile]:
        return {user_id: profile for user_id in user_ids if (profile := self._profiles[user_id]) is not None}


class MembershipNotifier:
    """Sends the emails a request transition calls for, each at most once.

    Ports: ``directory`` answers ``get_organization``, ``admins``, ``profiles`` and
    ``request_status_and_profiles`` (the repository); ``ledger`` is an
    :class:`~chalicelib.mail.ledger.EmailLedger`; ``mailer`` a
    :class:`~chalicelib.mail.port.Mailer`; ``sleep``, ``now`` and ``rand`` are the clock
    and the dice, so that tests never really wait; ``metrics`` counts.
    """

    def __init__(
        self,
        directory,
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
    ) -> None:
        self._directory = directory
        self._ledger = ledger
        self._mailer = mailer
        self._links = links
        self._max_admin_emails = max_admin_emails
        self._retry = retry or RetryPolicy()
        self.reserve_seconds = reserve_seconds
        self._sleep = sleep
        self._now = now
        self._rand = rand
        self.metrics = metrics or NullMetrics()
        # Emails SES accepted but the ledger could not record (it was unavailable):
        # recorded first thing when this container sees the record again.
        self._unrecorded: dict[tuple[str, str], set[str]] = {}

    # -- the stream's entry points ------------------------------------------------------

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Share the directory's answers between the records handled inside the block (one
        stream batch): at most one organization read, one admin lookup and one read of
        the admins' profiles per organization and batch."""
        directory = self._directory
        self._directory = _BatchDirectory(directory)
        try:
            yield
        finally:
            self._directory = directory

    def notify(
        self, old: MembershipRequest | None, new: MembershipRequest | None, deadline: Deadline | None = None
    ) -> Outcome:
        """Send what the change calls for, at most once per recipient."""
        transition = transition_of(old, new)
        if transition is None:
            return Outcome()
        return self._round(new, transition, deadline or Deadline.unlimited())

    def resend(
        self, request: MembershipRequest, transition: Transition, *, again: bool = False, force: bool = False
    ) -> Outcome:
        """An operator's re-send: the emails of ``transition`` that the ledger does not
        show as sent (those given up included), or, with ``again``, every one of them.

        Refused (:class:`EmailsInProgress`) while the stream may still be sending them,
        unless ``force``: the round is not handled and its record is young enough for
        Lambda to be retrying it. Two passes at once could send an email twice."""
        return self._round(request, transition, Deadline.unlimited(), resend=True, again=again, force=force)

    def record_rejected(self, request_id: str, transition: Transition) -> None:
        """A record of this request could not be read and was acknowledged: its round
        counts as handled, so that the request's later emails do not wait for it."""
        self._store(RoundRecord(request_id, transition.value).as_handled(), Deadline.unlimited())

    # -- one round: the emails of one transition of one request ---------------------------

    def _round(
        self,
        request: MembershipRequest,
        transition: Transition,
        deadline: Deadline,
        *,
        resend: bool = False,
        again: bool = False,
        force: bool = False,
    ) -> Outcome:
        with log_context(
            request_id=request.id, organization_id=request.organization_id, transition=transition.value
        ):
            record = self._recorded_late(self._read(request.id, transition, deadline), deadline)
            if record.handled and not resend:
                return Outcome(redelivered=True)
            if resend and not force and not record.handled:
                recorded_at = (
                    request.created_at
                    if transition is Transition.REQUESTED
                    else (request.decided_at or request.created_at)
                )
                if self._now() - recorded_at < STREAM_RECORD_MAX_AGE:
                    raise EmailsInProgress()
            if transition is not Transition.REQUESTED and not resend:
                self._wait_for_request_round(request, deadline)
            try:
                organization = self._directory.get_organization(request.organization_id)
            except OrganizationNotFound:
                # Permanent: no retry can make the organization exist again.
                logger.warning(
                    "record acknowledged: unknown organization", extra={"reason": "unknown_organization"}
                )
                self.metrics.count("RecordsRejected")
                self._store(record.as_handled(), deadline)
                return Outcome(rejected="unknown_organization")
            messages = list(self._messages(request, transition, organization))
            # A resend retries the given-up emails too; ``again`` sends every one.
            wanted = {None, FAILED} if resend else {None}
            to_send = [
                (recipient_id, message)
                for recipient_id, message in messages
                if again or record.state(recipient_id) in wanted
            ]
            outcome = Outcome(already_sent=len(messages) - len(to_send))
            unwritten = False
            for position, (recipient_id, message) in enumerate(to_send, start=1):
                with log_context(recipient_id=recipient_id):
                    if deadline.expired():
                        raise OutOfTime(request.id)
                    if not again and record.state(recipient_id) == SENT:
                        # Recorded by another pass since this one read the round.
                        outcome.already_sent += 1
                        continue
                    # Permanent: retrying cannot make an address appear (an operator's
                    # resend tries again, once the user signed in with one).
                    result = (
                        MailError("no_email_address", Disposition.ACKNOWLEDGE)
                        if message is None
                        else self._send(message, deadline)
                    )
                    if isinstance(result, MailError):
                        record, unwritten = self._give_up(record, recipient_id, result), True
                        outcome.failed += 1
                        continue
                    outcome.sent += 1
                    # The one write per email; the round's last one also says it is handled.
                    record = record.with_sent([recipient_id])
                    if position == len(to_send):
                        record = record.as_handled()
                    record, unwritten = self._store(record, deadline, just_sent=recipient_id), False
            if unwritten or not record.handled:
                # Nothing was left to send, the last email was given up, or another pass
                # sent it: say the round is done.
                self._store(record.as_handled(), deadline)
            return outcome

    def _read(self, request_id: str, transition: Transition, deadline: Deadline) -> RoundRecord:
        return self._retrying(
            lambda: self._ledger.read(request_id, transition.value), deadline, what="ledger"
        )

    def _recorded_late(self, record: RoundRecord, deadline: Deadline) -> RoundRecord:
        """Record first what SES accepted last time and the ledger could not write then."""
        key = (record.request_id, record.transition)
        pending = self._unrecorded.get(key)
        if not pending:
            return record
        record = self._store(record.with_sent(pending), deadline)
        del self._unrecorded[key]
        logger.info("emails recorded late", extra={"recipients": len(pending)})
        return record

    def _wait_for_request_round(self, request: MembershipRequest, deadline: Deadline) -> None:
        """Ordering: the requester's outcome never leaves before the admins' new-request
        round has been handled (sent, or given up as undeliverable)."""
        if self._now() - request.created_at >= STREAM_RETENTION:
            return
        if not self._read(request.id, Transition.REQUESTED, deadline).handled:
            logger.info("outcome waits for the new-request round", extra={"reason": "out_of_order"})
            raise OutOfOrder(request.id)

    def _messages(self, request: MembershipRequest, transition: Transition, organization):
        """(recipient id, message or None when the recipient has no address), in order."""
        if transition is Transition.REQUESTED:
            # The earliest admins are emailed; beyond the cap the others rely on their inbox.
            # Never the requester: made an admin (their request accepted with that role)
            # before this record was handled, they would be told of their own request.
            recipient_ids = [
                admin.user_id
                for admin in self._directory.admins(request.organization_id, self._max_admin_emails)
                if admin.user_id != request.user.id
            ]
            # The request as it is now, read with the profiles (one consistent read): a
            # request decided or withdrawn since its record was written calls for no
            # "new request" email. The round still ends handled, so the outcome can follow.
            status, profiles = self._directory.request_status_and_profiles(
                request.organization_id, request.id, [*recipient_ids, request.user.id]
            )
            if status is not RequestStatus.PENDING:
                logger.info(
                    "no new-request email: the request is no longer pending",
                    extra={"reason": "request_not_pending", "status": status and status.value},
                )
                self.metrics.count("RoundsSuperseded")
                return
        else:
            recipient_ids = [request.user.id]
            profiles = self._directory.profiles([*recipient_ids, request.user.id])
        requester = profiles.get(request.user.id)
        for recipient_id in recipient_ids:
            recipient = profiles.get(recipient_id)
            if recipient is None or not recipient.email:
                yield recipient_id, None
                continue
            context = {
                "recipient_name": recipient.name,
                "requester_name": request.user.name,
                "requester_email": requester.email if requester else "",
                "organization_name": organization.name,
                "comment": request.comment,
                "reason": request.reason or "",
                "role_label": _ROLE_LABELS[rendering.language_of(recipient.locale)].get(request.role, ""),
                "review_url": self._links.request(request.organization_id, request.id),
                "organization_url": self._links.organization(request.organization_id),
            }
            subject, text, html = rendering.render(_TEMPLATES[transition], recipient.locale, context)
            yield recipient_id, EmailMessage(to=recipient.email, subject=subject, text=text, html=html)

    # -- one email ----------------------------------------------------------------------

    def _send(self, message: EmailMessage, deadline: Deadline) -> str | MailError:
        """SES's message id, or the error when this message can never be sent as it is."""
        try:
            message_id = self._retrying(lambda: self._mailer.send(message), deadline, what="send")
        except MailError as error:
            if error.disposition is Disposition.ACKNOWLEDGE:
                return error
            raise DeliveryUnavailable(f"send: {error.code}") from error
        self.metrics.count("EmailsSent")
        logger.info("email sent", extra={"message_id": message_id})
        return message_id

    def _give_up(self, record: RoundRecord, recipient_id: str, error: MailError) -> RoundRecord:
        logger.warning("email failed permanently", extra={"reason": error.code, "detail": error.detail})
        self.metrics.count("EmailsFailedPermanently")
        return record.with_failed(recipient_id, error.code)

    def _store(self, record: RoundRecord, deadline: Deadline, *, just_sent: str | None = None) -> RoundRecord:
        """Write the round; when another pass wrote it meanwhile, merge and write again.

        ``just_sent``: the recipient SES accepted a message for just before this write.
        Were the write to fail after the retries, that email is remembered and recorded
        when the record comes back, instead of being sent again."""
        doubled = False
        try:
            for _ in range(self._retry.attempts):
                try:
                    return self._retrying(
                        functools.partial(self._ledger.write, record), deadline, what="ledger", critical=True
                    )
                except RoundChanged:
                    stored = self._retrying(
                        functools.partial(self._ledger.read, record.request_id, record.transition),
                        deadline,
                        what="ledger",
                        critical=True,
                    )
                    if just_sent is not None and not doubled and stored.state(just_sent) == SENT:
                        doubled = True
                        # Another pass over this round sent it too (a forced resend during
                        # a live pass), or our own write landed and its answer got lost.
                        self.metrics.count("EmailsDuplicated")
                        logger.error("email recorded by another pass too")
                    record = record.merged_into(stored)
            raise DeliveryUnavailable("ledger: the round kept changing")
        except DeliveryUnavailable:
            if just_sent is not None:
                key = (record.request_id, record.transition)
                self._unrecorded.setdefault(key, set()).add(just_sent)
                self.metrics.count("EmailsUnrecorded")
                logger.error("email sent but not recorded")
            raise

    # -- retries ------------------------------------------------------------------------

    def _retrying(self, call: Callable, deadline: Deadline, *, what: str, critical: bool = False):
        """``call()``, retried on transient failures with capped, jittered backoff while
        the deadline allows (``critical`` calls may use the reserve). Gives up with
        :class:`DeliveryUnavailable`."""
        for attempt in itertools.count(1):
            try:
                return call()
            except (MailError, LedgerUnavailable) as error:
                if isinstance(error, MailError) and error.disposition is not Disposition.RETRY:
                    raise
                pause = self._retry.pause(attempt, self._rand)
                if attempt >= self._retry.attempts or not deadline.allows(pause, critical=critical):
                    raise DeliveryUnavailable(f"{what}: {error}") from error
                self.metrics.count("EmailsRetried" if what == "send" else "LedgerRetried")
                logger.warning(
                    "retrying",
                    extra={
                        "operation": what,
                        "attempt": attempt,
                        "pause_seconds": round(pause, 3),
                        "error": getattr(error, "code", type(error).__name__),
                    },
                )
                self._sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover
