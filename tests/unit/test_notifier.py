"""Who is told what, driven with fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

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
from chalicelib.errors import EmailsInProgress
from chalicelib.mail.ledger import LedgerUnavailable, RoundRecord
from chalicelib.mail.port import Disposition, MailError
from chalicelib.services.delivery import (
    Deadline,
    DeliveryUnavailable,
    OutOfOrder,
    OutOfTime,
    RetryPolicy,
)
from chalicelib.services.notifications import Links, MembershipNotifier, transition_of
from devstack.fakes import FakeDirectory, FakeMailer, FakeSleep, InMemoryEmailLedger, RecordingMetrics

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ORG = Organization("o1", "Etalab", "", NOW, 3, 2, 1)
PENDING = MembershipRequest("r1", "o1", UserRef("paul", "Paul"), "Hello", RequestStatus.PENDING, NOW)


def _admin(user_id: str) -> Membership:
    return Membership("o1", user_id, user_id.title(), Role.ADMIN, NOW, "Org o1")


PROFILES = [
    UserProfile("alice", "Alice", "alice@example.org", "en"),
    UserProfile("bea", "Bea", "bea@example.org", "fr"),
    UserProfile("paul", "Paul", "paul@example.org", "fr"),
]


def _notifier(
    admins=("alice", "bea"), profiles=PROFILES, mailer=None, ledger=None, cap=25, now=NOW, metrics=None
):
    directory = FakeDirectory(ORG, [_admin(a) for a in admins], list(profiles))
    notifier = MembershipNotifier(
        directory,
        ledger or InMemoryEmailLedger(),
        mailer or FakeMailer(),
        Links("https://front.test"),
        cap,
        sleep=FakeSleep(),
        now=lambda: now,
        metrics=metrics,
    )
    return notifier, directory


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, PENDING, Transition.REQUESTED),
        (PENDING, replace(PENDING, status=RequestStatus.ACCEPTED), Transition.ACCEPTED),
        (PENDING, replace(PENDING, status=RequestStatus.REFUSED), Transition.REFUSED),
        (PENDING, replace(PENDING, status=RequestStatus.EXPIRED), Transition.EXPIRED),
        (PENDING, replace(PENDING, status=RequestStatus.WITHDRAWN), None),
        (
            replace(PENDING, status=RequestStatus.EXPIRED),
            replace(PENDING, status=RequestStatus.EXPIRED),
            None,
        ),
        (PENDING, PENDING, None),
        (PENDING, None, None),
        (None, replace(PENDING, status=RequestStatus.ACCEPTED), None),
        (
            replace(PENDING, status=RequestStatus.ACCEPTED),
            replace(PENDING, status=RequestStatus.REFUSED),
            None,
        ),
    ],
)
def test_only_status_transitions_are_worth_an_email(old, new, expected):
    assert transition_of(old, new) is expected


def test_a_new_request_sends_one_message_per_admin():
    mailer = FakeMailer()
    notifier, _ = _notifier(mailer=mailer)
    assert notifier.notify(None, PENDING).sent == 2
    assert [(m.to, m.subject) for m in mailer.sent] == [
        ("alice@example.org", 'New request to join "Etalab"'),
        ("bea@example.org", "Nouvelle demande d'adhésion à « Etalab »"),
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
    notifier.notify(None, PENDING)
    mailer.sent.clear()
    assert notifier.notify(PENDING, accepted).sent == 1
    assert [m.to for m in mailer.sent] == ["paul@example.org"]
    assert "éditeur" in mailer.sent[0].text


def test_processing_a_record_twice_sends_nothing_new():
    mailer, ledger = FakeMailer(), InMemoryEmailLedger()
    notifier, _ = _notifier(mailer=mailer, ledger=ledger)
    notifier.notify(None, PENDING)
    assert notifier.notify(None, PENDING).redelivered
    assert len(mailer.sent) == 2
    stored = ledger.read("r1", "requested")
    assert (stored.sent, stored.handled) == ({"alice", "bea"}, True)


def test_each_email_costs_one_ledger_write_after_it_is_sent_and_the_last_closes_the_round():
    ledger = InMemoryEmailLedger()
    notifier, _ = _notifier(ledger=ledger)
    notifier.notify(None, PENDING)
    assert [(write.sent, write.handled) for write in ledger.writes] == [
        ({"alice"}, False),
        ({"alice", "bea"}, True),
    ]


def test_a_recipient_without_email_is_skipped_not_retried():
    mailer, ledger = FakeMailer(), InMemoryEmailLedger()
    notifier, _ = _notifier(
        profiles=[p for p in PROFILES if p.user_id != "bea"], mailer=mailer, ledger=ledger
    )
    outcome = notifier.notify(None, PENDING)
    assert (outcome.sent, outcome.failed) == (1, 1)
    assert [m.to for m in mailer.sent] == ["alice@example.org"]
    stored = ledger.read("r1", "requested")
    assert (stored.sent, dict(stored.failed), stored.handled) == (
        {"alice"},
        {"bea": "no_email_address"},
        True,
    )
    # AND the give-up rode on the round's closing write: one write for one email sent
    assert len(ledger.writes) == 2


def test_a_round_interrupted_after_its_first_email_sends_only_the_rest():
    ledger = InMemoryEmailLedger()
    ledger.write(RoundRecord("r1", "requested", sent=frozenset({"alice"})))
    mailer = FakeMailer()
    notifier, _ = _notifier(ledger=ledger, mailer=mailer)
    outcome = notifier.notify(None, PENDING)
    assert (outcome.sent, outcome.already_sent) == (1, 1)
    assert [m.to for m in mailer.sent] == ["bea@example.org"]
    assert ledger.read("r1", "requested").handled


def test_a_failed_send_is_raised_and_records_nothing():
    class Broken(FakeMailer):
        def send(self, message):
            raise ConnectionError("SES down")

    ledger = InMemoryEmailLedger()
    notifier, _ = _notifier(mailer=Broken(), ledger=ledger)
    with pytest.raises(ConnectionError):
        notifier.notify(None, PENDING)
    assert ledger.rounds == {}


def test_a_round_another_pass_wrote_meanwhile_is_merged_and_a_double_send_counted():
    class Racing(InMemoryEmailLedger):
        """Another pass (an operator's resend, say) sends alice's email and records it
        between this pass's read and its first write."""

        raced = False

        def write(self, record):
            if not self.raced:
                self.raced = True
                super().write(RoundRecord("r1", "requested", sent=frozenset({"alice"})))
            return super().write(record)

    ledger = Racing()
    notifier, metrics, _ = _reliable(FlakyMailer(), ledger=ledger)
    assert notifier.notify(None, PENDING).sent == 2
    stored = ledger.read("r1", "requested")
    assert (stored.sent, stored.handled, stored.version) == ({"alice", "bea"}, True, 3)
    assert metrics.counts["EmailsDuplicated"] == 1


def test_a_double_send_is_counted_once_however_often_the_round_changes_meanwhile():
    class Busy(InMemoryEmailLedger):
        """Another pass records alice's email, then writes again before this pass's retry."""

        interruptions = 2

        def write(self, record):
            if self.interruptions:
                self.interruptions -= 1
                super().write(self.read("r1", "requested").with_sent(["alice"]))
            return super().write(record)

    ledger = Busy()
    notifier, metrics, _ = _reliable(FlakyMailer(), ledger=ledger)
    notifier.notify(None, PENDING)
    assert metrics.counts["EmailsDuplicated"] == 1
    assert ledger.read("r1", "requested").sent == {"alice", "bea"}


def test_a_round_whose_last_email_another_pass_sent_is_still_closed():
    class Racing(InMemoryEmailLedger):
        """Another pass records bea's email (not yet handled) just before this pass
        records alice's."""

        def write(self, record):
            if record.sent == {"alice"} and not self.rounds:
                super().write(RoundRecord("r1", "requested", sent=frozenset({"bea"})))
            return super().write(record)

    ledger, mailer = Racing(), FakeMailer()
    notifier, _ = _notifier(ledger=ledger, mailer=mailer)
    outcome = notifier.notify(None, PENDING)
    assert (outcome.sent, outcome.already_sent) == (1, 1)
    assert [m.to for m in mailer.sent] == ["alice@example.org"]
    stored = ledger.read("r1", "requested")
    assert (stored.sent, stored.handled) == ({"alice", "bea"}, True)


def test_a_resend_waits_while_the_stream_may_still_be_sending_the_round():
    # GIVEN a new request whose round the stream has not finished, an hour after it was made
    mailer = FakeMailer()
    notifier, _ = _notifier(mailer=mailer, now=NOW + timedelta(hours=1))
    # WHEN an operator resends its emails THEN it is refused, and nothing is sent
    with pytest.raises(EmailsInProgress):
        notifier.resend(PENDING, Transition.REQUESTED)
    assert mailer.sent == []
    # AND forced, or once the stream can no longer be retrying it, it goes out
    assert notifier.resend(PENDING, Transition.REQUESTED, force=True).sent == 2
    late, _ = _notifier(mailer=mailer, now=NOW + timedelta(hours=7))
    assert late.resend(PENDING, Transition.REQUESTED).sent == 2


# -- reliability: retries, permanent failures, ordering ------------------------------------

ACCEPTED = replace(PENDING, status=RequestStatus.ACCEPTED, role=Role.EDITOR)


class FlakyMailer(FakeMailer):
    """Fails the first calls with the given errors, then sends."""

    def __init__(self, *errors: Exception) -> None:
        super().__init__()
        self.errors = list(errors)
        self.calls = 0

    def send(self, message):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return super().send(message)


def _reliable(mailer, ledger=None, sleep=None, now=NOW, attempts=5):
    directory = FakeDirectory(ORG, [_admin("alice"), _admin("bea")], list(PROFILES))
    metrics = RecordingMetrics()
    sleep = sleep or FakeSleep()
    notifier = MembershipNotifier(
        directory,
        ledger or InMemoryEmailLedger(),
        mailer,
        Links("https://front.test"),
        25,
        retry=RetryPolicy(attempts, 0.2, 5.0),
        sleep=sleep,
        now=lambda: now,
        rand=lambda low, high: high,
        metrics=metrics,
    )
    return notifier, metrics, sleep


def _throttled():
    return MailError("TooManyRequestsException", Disposition.RETRY)


def test_a_throttled_send_is_retried_with_capped_exponential_pauses():
    mailer = FlakyMailer(*[_throttled() for _ in range(4)])
    notifier, metrics, sleep = _reliable(mailer)
    assert notifier.notify(None, PENDING).sent == 2
    # full jitter, drawn at its upper bound here: 0.2, 0.4, 0.8, 1.6 s
    assert sleep.pauses == [0.2, 0.4, 0.8, 1.6]
    assert metrics.counts["EmailsRetried"] == 4 and metrics.counts["EmailsSent"] == 2


def test_pauses_never_exceed_the_cap():
    assert [RetryPolicy(10, 0.2, 5.0).pause(n, lambda low, high: high) for n in (1, 5, 6, 9)] == [
        0.2,
        3.2,
        5.0,
        5.0,
    ]


def test_a_send_still_throttled_after_its_attempts_defers_the_record_and_records_nothing():
    ledger = InMemoryEmailLedger()
    notifier, _, _ = _reliable(FlakyMailer(*[_throttled() for _ in range(5)]), ledger=ledger)
    with pytest.raises(DeliveryUnavailable):
        notifier.notify(None, PENDING)
    assert ledger.rounds == {}


def test_no_pause_is_taken_that_the_time_budget_cannot_afford():
    clock = FakeSleep()
    notifier, _, _ = _reliable(FlakyMailer(_throttled(), _throttled(), _throttled()), sleep=clock)
    started = clock.now
    deadline = Deadline(lambda: 1.0 - (clock.now - started), reserve_seconds=10)  # reserve 0.1 s
    with pytest.raises(DeliveryUnavailable):
        notifier.notify(None, PENDING, deadline)
    assert clock.pauses == [0.2, 0.4]  # the third pause (0.8 s) would not fit


def test_time_running_out_between_recipients_defers_the_rest():
    clock = FakeSleep()
    notifier, _, _ = _reliable(FlakyMailer(), sleep=clock)
    with pytest.raises(OutOfTime):
        notifier.notify(None, PENDING, Deadline(lambda: 0.0, reserve_seconds=10))


def test_a_message_ses_rejects_is_given_up_counted_and_remembered():
    ledger = InMemoryEmailLedger()
    mailer = FlakyMailer(MailError("MessageRejected", Disposition.ACKNOWLEDGE, "Email address not verified"))
    notifier, metrics, _ = _reliable(mailer, ledger=ledger)
    outcome = notifier.notify(None, PENDING)
    assert (outcome.sent, outcome.failed) == (1, 1)
    stored = ledger.read("r1", "requested")
    assert (stored.sent, dict(stored.failed), stored.handled) == ({"bea"}, {"alice": "MessageRejected"}, True)
    assert metrics.counts["EmailsFailedPermanently"] == 1
    # AND a redelivery sends nothing more, while an operator's resend tries it again
    assert notifier.notify(None, PENDING).redelivered
    assert notifier.resend(PENDING, Transition.REQUESTED).sent == 1
    assert ledger.read("r1", "requested").sent == {"alice", "bea"}
    assert ledger.read("r1", "requested").failed == {}


def test_an_account_wide_stop_is_reported_at_once_without_retrying():
    paused = MailError("SendingPausedException", Disposition.REPORT)
    notifier, metrics, sleep = _reliable(FlakyMailer(paused))
    with pytest.raises(DeliveryUnavailable):
        notifier.notify(None, PENDING)
    assert sleep.pauses == [] and metrics.counts["EmailsRetried"] == 0


def test_an_email_the_ledger_could_not_record_is_recorded_when_the_record_comes_back():
    class StubbornLedger(InMemoryEmailLedger):
        refusals = 5

        def write(self, record):
            if self.refusals:
                self.refusals -= 1
                raise LedgerUnavailable("throttled")
            return super().write(record)

    mailer = FlakyMailer()
    ledger = StubbornLedger()
    notifier, metrics, _ = _reliable(mailer, ledger=ledger)
    with pytest.raises(DeliveryUnavailable):
        notifier.notify(None, PENDING)
    assert notifier.notify(None, PENDING).already_sent == 1
    assert [m.to for m in mailer.sent] == ["alice@example.org", "bea@example.org"]
    assert metrics.counts["EmailsUnrecorded"] == 1
    assert ledger.read("r1", "requested").sent == {"alice", "bea"}


def test_the_outcome_waits_until_the_admins_round_is_handled():
    # GIVEN a request whose new-request record was not handled yet (it waits in the
    # failure queue, say)
    mailer = FlakyMailer()
    notifier, _, _ = _reliable(mailer)
    # WHEN its acceptance arrives THEN the outcome waits
    with pytest.raises(OutOfOrder):
        notifier.notify(PENDING, ACCEPTED)
    assert mailer.sent == []
    # AND once the admins' round is handled, it goes out after it
    notifier.notify(None, PENDING)
    notifier.notify(PENDING, ACCEPTED)
    assert [m.to for m in mailer.sent] == ["alice@example.org", "bea@example.org", "paul@example.org"]


def test_the_outcome_of_a_request_older_than_the_stream_waits_for_nothing():
    mailer = FlakyMailer()
    notifier, _, _ = _reliable(mailer, now=NOW + timedelta(hours=25))
    assert notifier.notify(PENDING, ACCEPTED).sent == 1


# -- the new-request round looks at the request as it is now ------------------------------


def test_a_requester_listed_among_the_admins_is_never_emailed_about_their_own_request():
    # GIVEN Paul's pending request, and an admin listing that already names Paul (accepted
    # with the admin role since, or an index that is behind)
    mailer, ledger = FakeMailer(), InMemoryEmailLedger()
    notifier, _ = _notifier(admins=("alice", "paul", "bea"), mailer=mailer, ledger=ledger)
    # WHEN the new request is notified
    outcome = notifier.notify(None, PENDING)
    # THEN the other admins are emailed, Paul is not, and the round does not expect him
    assert outcome.sent == 2
    assert [m.to for m in mailer.sent] == ["alice@example.org", "bea@example.org"]
    stored = ledger.read("r1", "requested")
    assert (stored.sent, dict(stored.failed), stored.handled) == ({"alice", "bea"}, {}, True)


@pytest.mark.parametrize(
    "status", [RequestStatus.ACCEPTED, RequestStatus.REFUSED, RequestStatus.WITHDRAWN, None]
)
def test_no_new_request_email_for_a_request_closed_before_its_record_is_handled(status):
    # GIVEN Paul's request, decided or withdrawn (or gone) before the stream handled its
    # creation
    mailer, ledger = FakeMailer(), InMemoryEmailLedger()
    notifier, directory = _notifier(mailer=mailer, ledger=ledger, metrics=RecordingMetrics())
    directory.statuses["r1"] = status
    # WHEN the record of its creation is handled
    outcome = notifier.notify(None, PENDING)
    # THEN no admin is emailed, the status was read with the profiles in one read
    assert (outcome.sent, outcome.failed, mailer.sent) == (0, 0, [])
    assert directory.status_reads == [("r1", ["alice", "bea", "paul"])]
    # AND the round is handled all the same, in one write, so that nothing waits for it
    assert [(write.sent, write.handled) for write in ledger.writes] == [(frozenset(), True)]
    assert notifier.metrics.counts["RoundsSuperseded"] == 1


def test_the_outcome_of_a_request_decided_before_its_creation_was_handled_still_goes_out():
    # GIVEN Paul's request accepted before the stream handled its creation (both records
    # are then delivered, in order)
    mailer = FakeMailer()
    notifier, directory = _notifier(mailer=mailer)
    directory.statuses["r1"] = RequestStatus.ACCEPTED
    accepted = replace(PENDING, status=RequestStatus.ACCEPTED, role=Role.ADMIN, decided_at=NOW)
    # WHEN both records are handled
    notifier.notify(None, PENDING)
    outcome = notifier.notify(PENDING, accepted)
    # THEN the ordering gate let the outcome through: Paul alone is emailed, once
    assert outcome.sent == 1
    assert [(m.to, m.subject) for m in mailer.sent] == [
        ("paul@example.org", "Votre demande d'adhésion à « Etalab » a été acceptée")
    ]


def test_a_request_still_pending_is_announced_as_before():
    mailer = FakeMailer()
    notifier, directory = _notifier(mailer=mailer)
    directory.statuses["r1"] = RequestStatus.PENDING
    assert notifier.notify(None, PENDING).sent == 2
    assert directory.status_reads == [("r1", ["alice", "bea", "paul"])]
