"""Fakes that record, for unit tests. Each is held to its real adapter's behaviour by a
contract test in tests/integration/."""
from __future__ import annotations

from collections import Counter

from chalicelib.domain import Membership, Organization, UserProfile


class InMemoryEmailLedger:
    """Behaves like PynamoEmailLedger: claims, leases, sent and failed marks, rounds."""

    def __init__(self, lease_seconds: int = 120, clock=lambda: 1_000_000.0) -> None:
        self.entries: dict[str, dict] = {}
        self.rounds: set[tuple[str, str]] = set()
        self._lease = lease_seconds
        self.clock = clock

    def claim(self, email_key: str, token: str, *, retry_failed: bool = False) -> bool:
        now = self.clock()
        entry = self.entries.get(email_key)
        stale = entry and entry["state"] == "sending" and entry["claimed_at"] < int(now) - self._lease
        if entry and not stale and not (retry_failed and entry["state"] == "failed"):
            return False
        self.entries[email_key] = {"state": "sending", "token": token, "claimed_at": int(now)}
        return True

    def state(self, email_key: str) -> str | None:
        entry = self.entries.get(email_key)
        return entry["state"] if entry else None

    def seconds_until_stale(self, email_key: str) -> float | None:
        entry = self.entries.get(email_key)
        if not entry or entry["state"] != "sending":
            return None
        return max(0.0, entry["claimed_at"] + self._lease + 1 - self.clock())

    def mark_sent(self, email_key: str, token: str, message_id: str) -> bool:
        entry = self.entries.get(email_key)
        if not entry or entry["token"] != token:
            return False
        entry.update(state="sent", message_id=message_id)
        return True

    def mark_failed(self, email_key: str, token: str, reason: str) -> None:
        entry = self.entries.get(email_key)
        if entry and entry["token"] == token:
            entry.update(state="failed", reason=reason)

    def release(self, email_key: str, token: str) -> None:
        entry = self.entries.get(email_key)
        if entry and entry["token"] == token and entry["state"] == "sending":
            del self.entries[email_key]

    def round_handled(self, request_id: str, transition: str) -> bool:
        return (request_id, transition) in self.rounds

    def mark_round_handled(self, request_id: str, transition: str) -> None:
        self.rounds.add((request_id, transition))


class RecordingMetrics:
    """Counts in memory what EmfMetrics publishes; ``flushed`` keeps each flush."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.flushed: list[dict[str, int]] = []

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] += value

    def flush(self) -> None:
        self.flushed.append(dict(self.counts))


class FakeSleep:
    """The sleep and clock ports: sleeping only advances time, and is recorded."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class FakeDirectory:
    """Organizations, admins and profiles, as the notifier reads them."""

    def __init__(self, organization: Organization, admins: list[Membership],
                 profiles: list[UserProfile]) -> None:
        self.organization = organization
        self._admins = admins
        self._profiles = {profile.user_id: profile for profile in profiles}
        self.admin_limits: list[int] = []

    def get_organization(self, org_id: str) -> Organization:
        assert org_id == self.organization.id
        return self.organization

    def admins(self, org_id: str, limit: int) -> list[Membership]:
        self.admin_limits.append(limit)
        return self._admins[:limit]

    def profiles(self, user_ids) -> dict[str, UserProfile]:
        return {user_id: self._profiles[user_id] for user_id in user_ids if user_id in self._profiles}
