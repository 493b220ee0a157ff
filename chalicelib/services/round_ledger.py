"""The email ledger as a round uses it: every call retried within the deadline, a round
another pass wrote meanwhile merged rather than overwritten, and an email SES accepted
never forgotten although the ledger could not record it (docs/reliability.md)."""

from __future__ import annotations

import functools
import logging

from chalicelib.domain import Transition
from chalicelib.mail.ledger import SENT, EmailLedger, RoundChanged, RoundRecord
from chalicelib.services.delivery import Deadline, DeliveryUnavailable, Metrics
from chalicelib.services.retrying import Retrying

logger = logging.getLogger(__name__)


class RoundLedger:
    def __init__(self, ledger: EmailLedger, retrying: Retrying, metrics: Metrics) -> None:
        self._ledger = ledger
        self._retrying = retrying
        self._metrics = metrics
        # Emails SES accepted but the ledger could not record (it was unavailable):
        # recorded first thing when this container sees the record again.
        self._unrecorded: dict[tuple[str, str], set[str]] = {}

    def read(self, request_id: str, transition: Transition | str, deadline: Deadline) -> RoundRecord:
        """The round as stored, after recording first what SES accepted last time and the
        ledger could not write then."""
        record = self.read_stored(request_id, transition, deadline)
        key = (record.request_id, record.transition)
        pending = self._unrecorded.get(key)
        if not pending:
            return record
        record = self.store(record.with_sent(pending), deadline)
        del self._unrecorded[key]
        logger.info("emails recorded late", extra={"recipients": len(pending)})
        return record

    def read_stored(self, request_id: str, transition: Transition | str, deadline: Deadline) -> RoundRecord:
        # A notice's round has a transition of its own ("ready"), not a request's.
        return self._retrying(lambda: self._ledger.read(request_id, str(transition)), deadline, what="ledger")

    def store(self, record: RoundRecord, deadline: Deadline, *, just_sent: str | None = None) -> RoundRecord:
        """Write the round; when another pass wrote it meanwhile, merge and write again.

        ``just_sent``: the recipient SES accepted a message for just before this write.
        Were the write to fail after the retries, that email is remembered and recorded
        when the record comes back, instead of being sent again."""
        doubled = False
        try:
            for _ in range(self._retrying.policy.attempts):
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
                        self._metrics.count("EmailsDuplicated")
                        logger.error("email recorded by another pass too")
                    record = record.merged_into(stored)
            raise DeliveryUnavailable("ledger: the round kept changing")
        except DeliveryUnavailable:
            if just_sent is not None:
                key = (record.request_id, record.transition)
                self._unrecorded.setdefault(key, set()).add(just_sent)
                self._metrics.count("EmailsUnrecorded")
                logger.error("email sent but not recorded")
            raise
