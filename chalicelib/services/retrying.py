"""Calls a round makes to SES and to the ledger, retried on transient failures with
capped, jittered backoff, within what the invocation's deadline allows."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from chalicelib.mail.ledger import LedgerUnavailable
from chalicelib.mail.port import Disposition, MailError
from chalicelib.services.delivery import Deadline, DeliveryUnavailable, Metrics, RetryPolicy

logger = logging.getLogger(__name__)


class Retrying:
    """``sleep`` and ``rand`` are the clock and the dice, so that tests never really wait;
    each retry is counted (``EmailsRetried`` or ``LedgerRetried``)."""

    def __init__(
        self,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        rand: Callable[[float, float], float],
        metrics: Metrics,
    ) -> None:
        self.policy = policy
        self._sleep = sleep
        self._rand = rand
        self._metrics = metrics

    def __call__[T](
        self, call: Callable[[], T], deadline: Deadline, *, what: str, critical: bool = False
    ) -> T:
        """``call()``, retried on transient failures (a :class:`MailError` that says
        ``retry``, :class:`LedgerUnavailable`) while the deadline allows (``critical``
        calls may use the reserve). Gives up with :class:`DeliveryUnavailable`; other
        mail errors are raised at once."""
        for attempt in itertools.count(1):
            try:
                return call()
            except (MailError, LedgerUnavailable) as error:
                if isinstance(error, MailError) and error.disposition is not Disposition.RETRY:
                    raise
                pause = self.policy.pause(attempt, self._rand)
                if attempt >= self.policy.attempts or not deadline.allows(pause, critical=critical):
                    raise DeliveryUnavailable(f"{what}: {error}") from error
                self._metrics.count("EmailsRetried" if what == "send" else "LedgerRetried")
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
