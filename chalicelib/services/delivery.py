"""How email delivery copes with failure: the retry policy, the time budget, and the
outcomes the stream function turns into batch item failures.

Plain Python with no dependency, so that ``chalicelib.stream`` (imported by every
function through ``app.py``) can import it at no cost.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class NotificationDeferred(Exception):
    """The record could not be handled now; the stream must retry it.

    ``holds_batch`` says whether the records behind it must wait too: True when the
    cause is shared (SES or the ledger unavailable, time running out), False when it
    belongs to this record's request alone (its other records still wait, in order).
    """

    holds_batch = True


class DeliveryUnavailable(NotificationDeferred):
    """SES or the ledger kept failing after the retries the budget allowed."""


class OutOfTime(NotificationDeferred):
    """Too little of the invocation is left to start or retry a send safely."""


class OutOfOrder(NotificationDeferred):
    """The requester's outcome waits until the admins' new-request round is handled."""

    holds_batch = False


class Metrics(Protocol):
    """Counts what happened; flushed once per invocation."""

    def count(self, name: str, value: int = 1) -> None: ...

    def flush(self) -> None: ...


class NullMetrics:
    def count(self, name: str, value: int = 1) -> None:
        pass

    def flush(self) -> None:
        pass


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter: attempt ``n`` (1-based) is followed
    by a pause drawn uniformly from ``[0, min(cap, base * 2**(n-1))]``."""

    attempts: int = 5
    base_seconds: float = 0.2
    cap_seconds: float = 5.0

    def pause(self, attempt: int, rand: Callable[[float, float], float] = random.uniform) -> float:
        return rand(0.0, min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1)))


class Deadline:
    """The part of the invocation's time that may still be spent.

    ``time_left`` returns the seconds left (Lambda's ``get_remaining_time_in_millis``);
    a reserve is kept back to record what was sent and answer Lambda before the
    timeout, since a timeout fails the whole batch. The reserve is the configured one,
    or a tenth of the time left at the start when the function is given less.
    """

    def __init__(self, time_left: Callable[[], float] | None, reserve_seconds: float) -> None:
        self._time_left = time_left
        self._reserve = 0.0 if time_left is None else min(reserve_seconds, time_left() / 10)

    @classmethod
    def unlimited(cls) -> Deadline:
        return cls(None, 0.0)

    def left(self, *, critical: bool = False) -> float:
        """Seconds that may still be spent; ``critical`` work (recording a send that
        SES accepted) may use half of the reserve."""
        if self._time_left is None:
            return float("inf")
        return self._time_left() - (self._reserve / 2 if critical else self._reserve)

    def expired(self) -> bool:
        return self.left() <= 0

    def allows(self, pause: float, *, critical: bool = False) -> bool:
        return pause < self.left(critical=critical)
