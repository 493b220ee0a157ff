"""Who is told what, driven with fakes."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain import (
    Membership,
    MembershipRequest,
    Organization,
    RequestStatus,
    Role,
    Transition,
    UserProfile,
    UserRef,
)
from chalicelib.mail.port import FakeMailer
from chalicelib.services.notifications import EmailInFlight, Links, MembershipNotifier, transition_of
from tests.fakes import FakeDirectory, InMemoryEmailLedger

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ORG = Organization("o1", "Etalab", "", NOW, 3, 2, 1)
PENDING = MembershipRequest("r1", "o1", UserRef("paul", "Paul"), "Hello", RequestStatus.PENDING, NOW)


def _admin(user_id: str) -> Membership:
    return Membership("o1", user_id, user_id.title(), Role.ADMIN, NOW)


PROFILES = [
    UserProfile("alice", "Alice", "alice@example.org", "en"),
    UserProfile("bea", "Bea", "bea@example.org", "fr"),
    UserProfile("paul", "Paul", "paul@example.org", "fr"),
]


def _notifier(admins=("alice", "bea"), profiles=PROFILES, mailer=None, ledger=None, cap=25):
    directory = FakeDirectory(ORG, [_admin(a) for a in admins], list(profiles))
    tokens = iter(range(1_000_000))
    notifier = MembershipNotifier(directory, ledger or InMemoryEmailLedger(), mailer or FakeMailer(),
                                  Links("https://front.test"), cap, lambda: f"t{next(tokens)}")
    return notifier, directory


@pytest.mark.parametrize(("old", "new", "expected"), [
    (None, PENDING, Transition.REQUESTED),
    (PENDING, replace(PENDING, status=RequestStatus.ACCEPTED), Transition.ACCEPTED),
    (PENDING, replace(PENDING, status=RequestStatus.REFUSED), Transition.REFUSED),
    (PENDING, replace(PENDING, status=RequestStatus.WITHDRAWN), None),
    (PENDING, PENDING, None),
    (PENDING, None, None),
    (None, replace(PENDING, status=RequestStatus.ACCEPTED), None),
    (replace(PENDING, status=RequestStatus.ACCEPTED), replace(PENDING, status=RequestStatus.REFUSED), None),
])
def test_only_status_transitions_are_worth_an_email(old, new, expected):
    assert transition_of(old, new) is expected


def test_a_new_request_sends_one_message_per_admin():
    mailer = FakeMailer()
    notifier, _ = _notifier(mailer=mailer)
    assert notifier.notify(None, PENDING) == 2
    assert [(m.to, m.subject) for m in mailer.sent] == [
        ("alice@example.org", "New request to join your organization"),
        ("bea@example.org", "Nouvelle demande d'adhésion à votre organisation"),
    ]
    assert "https://front.test/organizations/o1/membership-requests/r1" in mailer.sent[0].text


def test_admins_beyond_the_cap_rely_on_their_inbox():
    mailer = FakeMailer()
    notifier, directory = _notifier(admins=("alice", "bea"), mailer=mailer, cap=1)
    notifier.notify(None, PENDING)
    assert directory.admin_limits == [1]
    assert [m.to for m in mailer.sent] == ["alice@example.org"]


def test_a_decision_emails_the_requester_only():
    mailer = FakeMailer()
    notifier, _ = _notifier(mailer=mailer)
    accepted = replace(PENDING, status=RequestStatus.ACCEPTED, role=Role.EDITOR)
    assert notifier.notify(PENDING, accepted) == 1
    assert [m.to for m in mailer.sent] == ["paul@example.org"]
    assert "éditeur" in mailer.sent[0].text


def test_processing_a_record_twice_sends_nothing_new():
    mailer, ledger = FakeMailer(), InMemoryEmailLedger()
    notifier, _ = _notifier(mailer=mailer, ledger=ledger)
    notifier.notify(None, PENDING)
    assert notifier.notify(None, PENDING) == 0
    assert len(mailer.sent) == 2
    assert {entry["state"] for entry in ledger.entries.values()} == {"sent"}


def test_a_recipient_without_email_is_skipped_not_retried():
    mailer = FakeMailer()
    notifier, _ = _notifier(profiles=[p for p in PROFILES if p.user_id != "bea"], mailer=mailer)
    assert notifier.notify(None, PENDING) == 1
    assert [m.to for m in mailer.sent] == ["alice@example.org"]


def test_a_failed_send_releases_its_claim_and_is_raised():
    class Broken(FakeMailer):
        def send(self, message):
            raise ConnectionError("SES down")

    ledger = InMemoryEmailLedger()
    notifier, _ = _notifier(mailer=Broken(), ledger=ledger)
    with pytest.raises(ConnectionError):
        notifier.notify(None, PENDING)
    assert ledger.entries == {}


def test_an_email_claimed_by_a_live_worker_is_retried_later():
    ledger = InMemoryEmailLedger()
    ledger.claim("r1#requested#alice", "other-worker")
    notifier, _ = _notifier(ledger=ledger)
    with pytest.raises(EmailInFlight):
        notifier.notify(None, PENDING)


def test_a_claim_abandoned_beyond_its_lease_is_taken_over():
    clock = [1_000_000.0]
    ledger = InMemoryEmailLedger(lease_seconds=120, clock=lambda: clock[0])
    ledger.claim("r1#requested#alice", "dead-worker")
    clock[0] += 121
    mailer = FakeMailer()
    notifier, _ = _notifier(ledger=ledger, mailer=mailer)
    assert notifier.notify(None, PENDING) == 2
