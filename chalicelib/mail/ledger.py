"""The email ledger port: which emails went out, so that none goes out twice.

An email is keyed by ``<request id>#<transition>#<recipient id>``. Its entry is
``sending`` while one worker holds the claim, ``sent`` once the provider accepted it,
``failed`` once it was given up as permanently undeliverable. A *round* marker says
that every email of one (request, transition) has been handled, which is what the
ordering rule and cheap redeliveries rely on.
"""
from __future__ import annotations

from typing import Protocol

SENDING = "sending"
SENT = "sent"
FAILED = "failed"


class LedgerUnavailable(Exception):
    """The ledger could not be read or written (throttled, unreachable): transient."""


class EmailLedger(Protocol):
    def claim(self, email_key: str, token: str, *, retry_failed: bool = False) -> bool:
        """Take the right to send. False when the email was sent, was given up (unless
        ``retry_failed``), or another worker holds a live claim."""

    def state(self, email_key: str) -> str | None:
        """``sending``, ``sent``, ``failed`` or None."""

    def seconds_until_stale(self, email_key: str) -> float | None:
        """How long until a ``sending`` claim may be taken over (0 when it already may);
        None when nobody holds a claim."""

    def mark_sent(self, email_key: str, token: str, message_id: str) -> bool:
        """Record the provider's acceptance; False when the claim was lost meanwhile."""

    def mark_failed(self, email_key: str, token: str, reason: str) -> None:
        """Record that this email can never be sent as it is."""

    def release(self, email_key: str, token: str) -> None:
        """Give the claim back after a failed send, so a retry may take it at once."""

    def round_handled(self, request_id: str, transition: str) -> bool:
        """Whether every email of this (request, transition) has been handled."""

    def mark_round_handled(self, request_id: str, transition: str) -> None:
        """Say so, once every email of the round is sent or given up."""
