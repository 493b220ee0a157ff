"""Fakes that record, for unit tests. Each is held to its real adapter's behaviour by a
contract test in tests/integration/."""
from __future__ import annotations

from chalicelib.domain import Membership, Organization, UserProfile


class InMemoryEmailLedger:
    """Behaves like PynamoEmailLedger: claims, leases, sent marks."""

    def __init__(self, lease_seconds: int = 120, clock=lambda: 1_000_000.0) -> None:
        self.entries: dict[str, dict] = {}
        self._lease = lease_seconds
        self.clock = clock

    def claim(self, email_key: str, token: str) -> bool:
        now = self.clock()
        entry = self.entries.get(email_key)
        if entry and not (entry["state"] == "sending" and entry["claimed_at"] < int(now) - self._lease):
            return False
        self.entries[email_key] = {"state": "sending", "token": token, "claimed_at": int(now)}
        return True

    def state(self, email_key: str) -> str | None:
        entry = self.entries.get(email_key)
        return entry["state"] if entry else None

    def mark_sent(self, email_key: str, token: str, message_id: str) -> None:
        entry = self.entries[email_key]
        if entry["token"] != token:
            raise RuntimeError("claim lost")
        entry.update(state="sent", message_id=message_id)

    def release(self, email_key: str, token: str) -> None:
        entry = self.entries.get(email_key)
        if entry and entry["token"] == token and entry["state"] == "sending":
            del self.entries[email_key]


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
