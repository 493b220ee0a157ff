"""The notifier shares its lookups between the records of one stream batch, and only there."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from chalicelib.domain import (
    Membership,
    MembershipRequest,
    Organization,
    RequestStatus,
    Role,
    UserProfile,
    UserRef,
)
from chalicelib.mail.ledger import RoundRecord
from chalicelib.services.notifications import Links, MembershipNotifier
from devstack.fakes import FakeDirectory, FakeMailer, FakeSleep, InMemoryEmailLedger

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ORG = Organization("o1", "Etalab", "", NOW, 3, 2, 0)


class CountingDirectory(FakeDirectory):
    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.organization_reads = 0
        self.profile_reads: list[list[str]] = []

    def get_organization(self, org_id):
        self.organization_reads += 1
        return super().get_organization(org_id)

    def profiles(self, user_ids):
        self.profile_reads.append(list(user_ids))
        return super().profiles(user_ids)


def _request(number: int) -> MembershipRequest:
    return MembershipRequest(
        f"r{number}", "o1", UserRef(f"u{number}", f"U{number}"), "Hello", RequestStatus.PENDING, NOW
    )


def _setup():
    admins = [Membership("o1", a, a.title(), Role.ADMIN, NOW, "Org o1") for a in ("alice", "bea")]
    profiles = [
        UserProfile(user_id, user_id.title(), f"{user_id}@example.org", "fr")
        for user_id in ("alice", "bea", "u1", "u2", "u3")
    ]
    directory = CountingDirectory(ORG, admins, profiles)
    mailer = FakeMailer()
    ledger = InMemoryEmailLedger()
    notifier = MembershipNotifier(
        directory, ledger, mailer, Links("https://front.test"), 25, sleep=FakeSleep(), now=lambda: NOW
    )
    return notifier, directory, mailer, ledger


def test_a_batch_reads_the_organization_its_admins_and_their_profiles_once():
    # GIVEN three new requests to the same organization
    notifier, directory, mailer, _ = _setup()
    # WHEN they are notified within one batch
    with notifier.batch():
        for number in (1, 2, 3):
            notifier.notify(None, _request(number))
    # THEN the organization and its admins were looked up once, the admins' profiles read
    # once, and each requester's profile on its own record
    assert (directory.organization_reads, directory.admin_limits) == (1, [25])
    assert directory.profile_reads == [["alice", "bea", "u1"], ["u2"], ["u3"]]
    # AND every admin got every email
    assert len(mailer.sent) == 6


def test_nothing_is_shared_outside_a_batch_or_between_batches():
    # GIVEN a notifier used once outside a batch, then in two batches
    notifier, directory, _, _ = _setup()
    notifier.notify(None, _request(1))
    for number in (2, 3):
        with notifier.batch():
            notifier.notify(None, _request(number))
    # THEN each looked the admins up afresh: a change of admins shows in the next batch
    assert directory.admin_limits == [25, 25, 25]
    assert directory.organization_reads == 3


def test_an_outcome_in_a_batch_still_reads_its_requester():
    # GIVEN a batch holding a new request and the acceptance of another, whose admins' round
    # was handled in an earlier batch
    notifier, directory, mailer, ledger = _setup()
    ledger.write(RoundRecord("r2", "requested", handled=True))
    accepted = replace(_request(2), status=RequestStatus.ACCEPTED, role=Role.EDITOR, decided_at=NOW)
    # WHEN both are notified
    with notifier.batch():
        notifier.notify(None, _request(1))
        notifier.notify(_request(2), accepted)
    # THEN the acceptance's requester is emailed, from a profile read on its own record
    assert mailer.sent[-1].to == "u2@example.org"
    assert directory.profile_reads == [["alice", "bea", "u1"], ["u2"]]


def test_a_batch_reads_each_requests_status_afresh_even_when_every_profile_is_known():
    # GIVEN two records in one batch: the same requester's requests, the second closed
    # by the time the stream handles it
    notifier, directory, mailer, ledger = _setup()
    directory.statuses["r2"] = RequestStatus.WITHDRAWN
    second = replace(_request(1), id="r2")
    # WHEN both are notified in one batch
    with notifier.batch():
        notifier.notify(None, _request(1))
        notifier.notify(None, second)
    # THEN the second record read its status (with no profile left to read), and only the
    # first request was announced
    assert directory.status_reads == [("r1", ["alice", "bea", "u1"]), ("r2", [])]
    assert [m.to for m in mailer.sent] == ["alice@example.org", "bea@example.org"]
    assert ledger.read("r2", "requested").handled
