"""An admin's notice (reminders, a day's digest) emailed once when it becomes ready,
listing what still matters, in the admin's language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain import (
    Notice,
    NoticeKind,
    NoticeStatus,
    Organization,
    Preferences,
    RequestStatus,
    UserProfile,
)
from chalicelib.mail.port import Disposition, MailError
from chalicelib.services.delivery import DeliveryUnavailable
from chalicelib.services.notifications import Links, MembershipNotifier
from devstack.fakes import FakeDirectory, FakeMailer, FakeSleep, InMemoryEmailLedger

NOW = datetime(2027, 1, 5, 6, 0, tzinfo=UTC)
ORG = Organization("o1", "Etalab", "", NOW, 3, 1, 2)
ALICE = UserProfile("alice", "Alice", "alice@example.org", "fr", Preferences(language="en"))


def _entry(request_id: str, kind: str = "new") -> dict:
    return {
        "organization_id": "o1",
        "organization_name": "Etalab",
        "request_id": request_id,
        "requester_name": request_id.title(),
        "comment": "Hello",
        "created_at": NOW.isoformat(),
        "kind": kind,
    }


OPEN = Notice(
    "alice",
    NoticeKind.DIGEST,
    "2027-01-05",
    NoticeStatus.OPEN,
    NOW,
    {"o1#paul": _entry("paul"), "o1#rita": _entry("rita")},
)
READY = replace(OPEN, status=NoticeStatus.READY)


def _notifier(mailer=None, ledger=None, profiles=(ALICE,)):
    directory = FakeDirectory(ORG, [], list(profiles))
    notifier = MembershipNotifier(
        directory,
        ledger or InMemoryEmailLedger(),
        mailer or FakeMailer(),
        Links("https://front.test"),
        25,
        sleep=FakeSleep(),
        now=lambda: NOW,
    )
    return notifier, directory


def test_a_notice_is_emailed_once_when_it_becomes_ready_in_the_admins_language():
    # GIVEN Alice's digest, and her preference for English over her French token
    mailer = FakeMailer()
    notifier, _ = _notifier(mailer)

    # WHEN it is written open, then closed, then the closing record is redelivered
    assert notifier.notify_notice(None, OPEN).sent == 0
    first = notifier.notify_notice(OPEN, READY)
    again = notifier.notify_notice(OPEN, READY)

    # THEN one email, in English, listing both requests with their review links
    assert (first.sent, again.redelivered) == (1, True)
    [message] = mailer.sent
    assert (message.to, message.subject) == ("alice@example.org", "Today's new membership requests (2)")
    assert "https://front.test/organizations/o1/membership-requests/paul" in message.text
    assert "Rita" in message.text


def test_requests_decided_meanwhile_are_dropped_and_an_empty_notice_sends_nothing():
    # GIVEN Paul's request withdrawn, Rita's accepted
    mailer, ledger = FakeMailer(), InMemoryEmailLedger()
    notifier, directory = _notifier(mailer, ledger)
    directory.statuses = {"paul": RequestStatus.WITHDRAWN}

    # WHEN the notice becomes ready
    notifier.notify_notice(OPEN, READY)

    # THEN Rita's alone is listed
    [message] = mailer.sent
    assert message.subject == "Today's new membership requests (1)"
    assert "Paul" not in message.text and "Rita" in message.text

    # WHEN another notice lists only decided requests, one of them accepted automatically
    directory.statuses = {"paul": RequestStatus.WITHDRAWN, "rita": RequestStatus.ACCEPTED}
    empty = replace(READY, key="2027-01-06")
    auto = replace(READY, key="2027-01-07", entries={"o1#rita": _entry("rita", "auto_accepted")})
    notifier.notify_notice(None, empty)
    notifier.notify_notice(None, auto)

    # THEN the first sends nothing but is handled; the second still says Rita joined
    assert [m.subject for m in mailer.sent[1:]] == ["Today's new membership requests (1)"]
    assert ledger.read("alice#DIGEST#2027-01-06", "ready").handled


def test_a_throttled_send_is_deferred_and_a_rejected_one_given_up():
    # GIVEN SES throttling every send
    class Throttled(FakeMailer):
        def send(self, message):
            raise MailError("TooManyRequestsException", Disposition.RETRY)

    notifier, _ = _notifier(Throttled())

    # WHEN the notice becomes ready, THEN the stream must retry the record
    with pytest.raises(DeliveryUnavailable):
        notifier.notify_notice(OPEN, READY)

    # GIVEN an address SES will never accept
    class Rejected(FakeMailer):
        def send(self, message):
            raise MailError("MessageRejected", Disposition.ACKNOWLEDGE)

    ledger = InMemoryEmailLedger()
    notifier, _ = _notifier(Rejected(), ledger)

    # WHEN the notice becomes ready, THEN it is given up and its round handled
    assert notifier.notify_notice(OPEN, READY).failed == 1
    stored = ledger.read("alice#DIGEST#2027-01-05", "ready")
    assert stored.handled and stored.failed == {"alice": "MessageRejected"}
