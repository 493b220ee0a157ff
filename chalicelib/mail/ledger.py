"""The email ledger port: which emails of a round went out, so that none goes out twice.

A *round* is the emails of one transition of one request (the new-request emails to
the admins, or the outcome email to the requester). Its record says which recipients
SES accepted a message for, which were given up (and why), and whether the round is
*handled*: every email sent or given up, which is what the ordering rule and cheap
redeliveries rely on.

The record is written once per email SES accepted, after the send, and carries
everything known so far (the last write of a round also says it is handled): one
idempotency write per email, and none before a send: on the stream, Lambda runs one
batch per shard at a time, so passes over a round follow one another. Should two meet
anyway (an operator's forced resend during a live pass), the version check makes the
second writer merge, and each double send is counted (docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol

SENT = "sent"
FAILED = "failed"


class LedgerUnavailable(Exception):
    """The ledger could not be read or written (throttled, unreachable): transient."""


class RoundChanged(Exception):
    """Someone else wrote the round since it was read: read it again and merge."""


@dataclass(frozen=True)
class RoundRecord:
    """What the ledger knows about one round. ``version`` belongs to the adapter: it
    lets a write fail with :class:`RoundChanged` instead of overwriting another's."""

    request_id: str
    transition: str
    sent: frozenset[str] = frozenset()
    failed: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    handled: bool = False
    version: int | None = None

    def state(self, recipient_id: str) -> str | None:
        """``sent``, ``failed`` or None (never tried, or tried and not finished)."""
        if recipient_id in self.sent:
            return SENT
        return FAILED if recipient_id in self.failed else None

    def with_sent(self, recipient_ids: Iterable[str]) -> RoundRecord:
        sent = self.sent | frozenset(recipient_ids)
        failed = {key: reason for key, reason in self.failed.items() if key not in sent}
        return replace(self, sent=sent, failed=MappingProxyType(failed))

    def with_failed(self, recipient_id: str, reason: str) -> RoundRecord:
        if recipient_id in self.sent:
            return self
        return replace(self, failed=MappingProxyType({**self.failed, recipient_id: reason}))

    def as_handled(self) -> RoundRecord:
        return replace(self, handled=True)

    def merged_into(self, stored: RoundRecord) -> RoundRecord:
        """This record's knowledge added to a newer stored one (which keeps its version):
        a recipient sent by either is sent; handled by either is handled."""
        merged = stored.with_sent(self.sent)
        for recipient_id, reason in self.failed.items():
            merged = merged.with_failed(recipient_id, reason)
        return merged.as_handled() if self.handled else merged


class EmailLedger(Protocol):
    def read(self, request_id: str, transition: str) -> RoundRecord:
        """The round as stored (strongly consistent); an empty, unhandled record when
        nothing was written yet."""

    def write(self, record: RoundRecord) -> RoundRecord:
        """Store the whole record in one write; return it with its new version. Raises
        :class:`RoundChanged` when the stored version is not the record's."""
