"""The fakes of the application's ports, in one place outside product code: they record
what they are given, for the unit tests (and any tool that wants the app without AWS).
Each is held to its real adapter's behaviour by a contract test in tests/integration/."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from chalicelib.domain import Membership, Organization, UserProfile
from chalicelib.mail.ledger import RoundChanged, RoundRecord
from chalicelib.mail.port import EmailMessage


class FakeMailer:
    """Records messages instead of sending them (unit tests, and the contract test
    that proves it behaves like :class:`~chalicelib.mail.ses.SesMailer`)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> str:
        self.sent.append(message)
        return f"fake-{len(self.sent)}"


class InMemoryEmailLedger:
    """Behaves like PynamoEmailLedger: one record per round, written whole, each write
    conditional on the version read. ``writes`` keeps every record written."""

    def __init__(self) -> None:
        self.rounds: dict[tuple[str, str], RoundRecord] = {}
        self.writes: list[RoundRecord] = []

    def read(self, request_id: str, transition: str) -> RoundRecord:
        return self.rounds.get((request_id, transition), RoundRecord(request_id, transition))

    def write(self, record: RoundRecord) -> RoundRecord:
        key = (record.request_id, record.transition)
        if self.read(*key).version != record.version:
            raise RoundChanged(record.request_id)
        stored = replace(record, version=(record.version or 0) + 1)
        self.rounds[key] = stored
        self.writes.append(stored)
        return stored


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

    def __init__(
        self, organization: Organization, admins: list[Membership], profiles: list[UserProfile]
    ) -> None:
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
