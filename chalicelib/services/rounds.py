"""Delivering a round, the emails of one transition of one request, so that each goes out
exactly once although the stream redelivers, SES throttles and processes die.

Each email is written to the ledger once SES accepted it, so a redelivered record sends
only what is missing, and the requester's outcome waits for the admins' round (the
ordering gate). The stream's pass and an operator's resend take the same steps; they
differ in whom they send to and in what they wait for. What to send is composed by
``chalicelib.services.messages``; the ledger's retries, merges and late records are
``chalicelib.services.round_ledger``; retries ``chalicelib.services.retrying``. The
guarantees, the error table and the ordering rule are in docs/reliability.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain import MembershipRequest, Transition
from chalicelib.errors import EmailsInProgress, OrganizationNotFound
from chalicelib.mail.ledger import FAILED, SENT, EmailLedger, RoundRecord
from chalicelib.mail.port import Disposition, EmailMessage, Mailer, MailError
from chalicelib.observability import log_context
from chalicelib.services.delivery import (
    Deadline,
    DeliveryUnavailable,
    Metrics,
    OutOfOrder,
    OutOfTime,
    RetryPolicy,
)
from chalicelib.services.retrying import Retrying
from chalicelib.services.round_ledger import RoundLedger

if TYPE_CHECKING:
    from chalicelib.services.messages import Messages

logger = logging.getLogger(__name__)

# DynamoDB streams keep records for 24 hours: past that, a request's first record can
# no longer arrive, so its outcome waits for nothing.
STREAM_RETENTION = timedelta(hours=24)
# The event source mapping's MaximumRecordAgeInSeconds (infra/app-merge.yaml): until a
# record is that old, Lambda may still be retrying it.
STREAM_RECORD_MAX_AGE = timedelta(hours=6)

# Whom a pass over a round sends to, by what the ledger shows of them: the stream, those
# not tried yet; an operator's resend, those given up too; a resend "again", everyone.
_NOT_TRIED = frozenset({None})
_NOT_SENT = frozenset({None, FAILED})
_EVERYONE = frozenset({None, FAILED, SENT})


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


class RoundDelivery:
    """Sends the messages ``compose`` gives for a round, each at most once.

    ``sleep``, ``now`` and ``rand`` are the clock and the dice, so that tests never
    really wait; ``metrics`` counts.
    """

    def __init__(
        self,
        ledger: EmailLedger,
        mailer: Mailer,
        compose: Callable[[MembershipRequest, Transition], Messages],
        *,
        retry: RetryPolicy,
        sleep: Callable[[float], None],
        now: Callable[[], datetime],
        rand: Callable[[float, float], float],
        metrics: Metrics,
    ) -> None:
        self._retrying = Retrying(retry, sleep, rand, metrics)
        self._ledger = RoundLedger(ledger, self._retrying, metrics)
        self._mailer = mailer
        self._compose = compose
        self._now = now
        self._metrics = metrics

    # -- the passes -----------------------------------------------------------------------

    def deliver(self, request: MembershipRequest, transition: Transition, deadline: Deadline) -> Outcome:
        """The stream's pass: nothing for a round already handled; an outcome only once
        the admins' round is handled; then every email not tried yet."""
        with _round_context(request, transition):
            record = self._ledger.read(request.id, transition, deadline)
            if record.handled:
                return Outcome(redelivered=True)
            if transition is not Transition.REQUESTED:
                self._wait_for_request_round(request, deadline)
            return self._send_round(request, transition, record, _NOT_TRIED, deadline)

    def resend(
        self, request: MembershipRequest, transition: Transition, *, again: bool = False, force: bool = False
    ) -> Outcome:
        """An operator's pass: the emails the ledger does not show as sent (those given up
        included), or, with ``again``, every one of them. Refused
        (:class:`EmailsInProgress`) while the stream may still be sending them, unless
        ``force``: two passes at once could send an email twice."""
        deadline = Deadline.unlimited()
        with _round_context(request, transition):
            record = self._ledger.read(request.id, transition, deadline)
            if not force and not record.handled and self._stream_may_retry(request, transition):
                raise EmailsInProgress()
            return self._send_round(request, transition, record, _EVERYONE if again else _NOT_SENT, deadline)

    def close_rejected(self, request_id: str, transition: Transition) -> None:
        """Mark a round handled without sending anything (its record could not be read)."""
        self._ledger.store(RoundRecord(request_id, transition.value).as_handled(), Deadline.unlimited())

    # -- the steps ------------------------------------------------------------------------

    def _stream_may_retry(self, request: MembershipRequest, transition: Transition) -> bool:
        """The round's record is young enough for Lambda to be retrying it."""
        recorded_at = (
            request.created_at
            if transition is Transition.REQUESTED
            else (request.decided_at or request.created_at)
        )
        return self._now() - recorded_at < STREAM_RECORD_MAX_AGE

    def _wait_for_request_round(self, request: MembershipRequest, deadline: Deadline) -> None:
        """Ordering: the requester's outcome never leaves before the admins' new-request
        round has been handled (sent, or given up as undeliverable)."""
        if self._now() - request.created_at >= STREAM_RETENTION:
            return
        if not self._ledger.read_stored(request.id, Transition.REQUESTED, deadline).handled:
            logger.info("outcome waits for the new-request round", extra={"reason": "out_of_order"})
            raise OutOfOrder(request.id)

    def _send_round(
        self,
        request: MembershipRequest,
        transition: Transition,
        record: RoundRecord,
        states: frozenset[str | None],
        deadline: Deadline,
    ) -> Outcome:
        """Send the round's messages to the recipients whose state is in ``states``, one
        ledger write after each; the last write also says the round is handled."""
        try:
            messages = self._compose(request, transition)
        except OrganizationNotFound:
            # Permanent: no retry can make the organization exist again.
            logger.warning(
                "record acknowledged: unknown organization", extra={"reason": "unknown_organization"}
            )
            self._metrics.count("RecordsRejected")
            self._ledger.store(record.as_handled(), deadline)
            return Outcome(rejected="unknown_organization")
        to_send = [
            (recipient_id, message)
            for recipient_id, message in messages
            if record.state(recipient_id) in states
        ]
        outcome = Outcome(already_sent=len(messages) - len(to_send))
        unwritten = False
        for position, (recipient_id, message) in enumerate(to_send, start=1):
            with log_context(recipient_id=recipient_id):
                if deadline.expired():
                    raise OutOfTime(request.id)
                if record.state(recipient_id) == SENT and SENT not in states:
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
                record, unwritten = self._ledger.store(record, deadline, just_sent=recipient_id), False
        if unwritten or not record.handled:
            # Nothing was left to send, the last email was given up, or another pass
            # sent it: say the round is done.
            self._ledger.store(record.as_handled(), deadline)
        return outcome

    def _send(self, message: EmailMessage, deadline: Deadline) -> str | MailError:
        """SES's message id, or the error when this message can never be sent as it is."""
        try:
            message_id = self._retrying(lambda: self._mailer.send(message), deadline, what="send")
        except MailError as error:
            if error.disposition is Disposition.ACKNOWLEDGE:
                return error
            raise DeliveryUnavailable(f"send: {error.code}") from error
        self._metrics.count("EmailsSent")
        logger.info("email sent", extra={"message_id": message_id})
        return message_id

    def _give_up(self, record: RoundRecord, recipient_id: str, error: MailError) -> RoundRecord:
        logger.warning("email failed permanently", extra={"reason": error.code, "detail": error.detail})
        self._metrics.count("EmailsFailedPermanently")
        return record.with_failed(recipient_id, error.code)


def _round_context(request: MembershipRequest, transition: Transition):
    return log_context(
        request_id=request.id, organization_id=request.organization_id, transition=transition.value
    )
