"""A pass that dies half way, is delivered twice, or runs out of time doubles nothing
and loses nothing; notices found due are closed and emailed once."""

from __future__ import annotations

import pytest

from chalicelib.domain import NoticeKind
from chalicelib.persistence import keys
from chalicelib.persistence.schedule import PynamoScheduleStore
from chalicelib.services.schedule import SchedulePass
from tests.schedule.conftest import at


class Crash(Exception):
    """The function died (a timeout, the container lost)."""


class CrashingStore:
    """The DynamoDB store, dying after ``after`` changes to requests went through."""

    def __init__(self, store: PynamoScheduleStore, after: int) -> None:
        self._store = store
        self._left = after

    def __getattr__(self, name):
        return getattr(self._store, name)

    def _change(self, method, *args):
        if self._left == 0:
            raise Crash()
        self._left -= 1
        return method(*args)

    def remind(self, *args):
        return self._change(self._store.remind, *args)

    def expire(self, *args):
        return self._change(self._store.expire, *args)


def _three_requests_each(lifecycle):
    """Etalab (Alice) and Cadastre (Zoe), three requests pending in each from day 0."""
    alice, zoe = lifecycle.user("alice", "en"), lifecycle.user("zoe", "en")
    etalab = lifecycle.organization("Etalab", alice)
    cadastre = lifecycle.organization("Cadastre", zoe)
    requests = []
    for n, name in enumerate(["rita", "bob", "carl"]):
        requests.append((etalab, lifecycle.ask(lifecycle.user(name), etalab, at(0, n))))
        requests.append((cadastre, lifecycle.ask(lifecycle.user(name), cadastre, at(0, 10 + n))))
    lifecycle.run(at(0, 30))
    lifecycle.emails()
    return alice, zoe, requests


def _crashing_pass(container, after: int) -> SchedulePass:
    store = CrashingStore(PynamoScheduleStore(container.aws.tables, container.aws.dynamodb), after)
    return SchedulePass(store, container.repository, container.settings.max_admin_emails)


def test_a_pass_that_dies_half_way_and_is_delivered_again_doubles_nothing(lifecycle, container):
    # GIVEN six requests whose first reminder is due
    alice, zoe, requests = _three_requests_each(lifecycle)

    # WHEN the pass dies after two of them, and EventBridge delivers it again
    with pytest.raises(Crash):
        _crashing_pass(container, after=2).run(at(3, 30))
    again = lifecycle.run(at(3, 30))

    # THEN every request was reminded once, and each admin gets one email listing all three
    assert again.reminded == 4
    assert all(lifecycle.request_item(*r)["reminders_sent"] == "1" for r in requests)
    emails = lifecycle.emails()
    assert sorted(e.to for e in emails) == sorted([alice.email, zoe.email])
    assert all(e.subject == "3 membership requests are waiting" for e in emails)
    for email in emails:
        assert all(f"{name.title()} Test" in email.body for name in ["rita", "bob", "carl"])
    # AND the next passes find nothing to do
    assert lifecycle.run(at(3, 45)).reminded == 0
    assert lifecycle.emails() == []


def test_a_notice_left_open_by_a_dead_pass_is_closed_and_emailed_by_the_next(lifecycle, container):
    # GIVEN a pass that died after reminding two requests (their notice open, unsent)
    alice, zoe, requests = _three_requests_each(lifecycle)
    with pytest.raises(Crash):
        _crashing_pass(container, after=2).run(at(3, 30))
    assert lifecycle.emails() == []

    # WHEN the next scheduled pass runs (another now)
    later = lifecycle.run(at(3, 45))

    # THEN it closes the dead pass's notice and reminds the four others in its own
    assert later.reminded == 4
    assert all(lifecycle.request_item(*r)["reminders_sent"] == "1" for r in requests)
    emails = lifecycle.emails()
    # Alice's first two were in the dead pass's notice: two emails for her, one for Zoe.
    assert sorted(e.to for e in emails) == sorted([alice.email, alice.email, zoe.email])
    listed = sum(e.body.count("/membership-requests/") for e in emails)
    assert listed == 6
    assert lifecycle.emails() == []


def test_a_pass_that_runs_out_of_time_resumes_from_its_checkpoint(lifecycle):
    # GIVEN requests expiring over three days, and a pass left with time for two of them
    alice = lifecycle.user("alice")
    org_id = lifecycle.organization("Etalab", alice)
    requests = [lifecycle.ask(lifecycle.user(f"user{n}"), org_id, at(n // 2, n)) for n in range(6)]
    lifecycle.run(at(0, 1))
    lifecycle.run(at(10))  # every reminder is behind them
    lifecycle.emails()
    calls = iter([60.0, 60.0] + [1.0] * 100)

    # WHEN a pass at day 33 runs out of time after two
    first = lifecycle.run(at(33), time_left=lambda: next(calls))

    # THEN it stopped early and kept the day it stopped in as its checkpoint
    assert (first.expired, first.finished) == (2, False)
    assert first.checkpoint == at(31).date()
    assert lifecycle.item(keys.SCHEDULE_PK, keys.CHECKPOINT_SK)["day"] == at(31).date().isoformat()

    # WHEN the next pass runs with time enough
    second = lifecycle.run(at(33, 15))

    # THEN it starts there and expires the four others; each requester is emailed once
    assert second.days[0] == at(31).date()
    assert (second.expired, second.finished, second.checkpoint) == (4, True, at(33).date())
    assert all(lifecycle.request_item(org_id, r)["status"] == "expired" for r in requests)
    assert sorted(e.to for e in lifecycle.emails()) == sorted(f"user{n}@example.org" for n in range(6))


def _digest(container, user_id: str, day: str, due, entries: dict) -> None:
    """A digest notice as the stream writes it: open, due at the next 06:00 UTC."""
    notices = container.aws.tables.notices
    gsi4pk, gsi4sk = keys.due_keys(
        due, keys.DueKind.NOTICE, keys.notice_due_ident(user_id, NoticeKind.DIGEST, day)
    )
    notices(
        keys.notice_pk(user_id),
        keys.notice_sk(NoticeKind.DIGEST.value, day),
        user_id=user_id,
        kind=NoticeKind.DIGEST.value,
        status="open",
        created_at=due,
        entries=entries,
        gsi4pk=gsi4pk,
        gsi4sk=gsi4sk,
    ).save()


def _entry(org_id, request_id, name, kind, created_at):
    return {
        "organization_id": org_id,
        "organization_name": "Etalab",
        "request_id": request_id,
        "requester_name": name,
        "comment": "Hello",
        "created_at": created_at.isoformat(),
        "kind": kind,
    }


def test_a_digest_is_closed_when_due_and_emailed_once_with_what_still_matters(lifecycle, container, flows):
    # GIVEN Alice's digest due at 06:00 on day 1: Rita's request (still pending), Bob's
    # (withdrawn since) and Carl, who joined automatically
    alice, rita, bob = lifecycle.user("alice", "en"), lifecycle.user("rita"), lifecycle.user("bob")
    org_id = lifecycle.organization("Etalab", alice)
    rita_request = lifecycle.ask(rita, org_id, at(0))
    bob_request = lifecycle.ask(bob, org_id, at(0, 5))
    lifecycle.run(at(0, 30))
    reply = lifecycle.flows.api.delete(f"/organizations/{org_id}/membership-requests/{bob_request}", bob)
    assert reply.status in (200, 204), reply
    # (a decision takes the request out of the schedule in its own transaction)
    assert "GSI4PK" not in lifecycle.request_item(org_id, bob_request)
    lifecycle.emails()
    day = at(1).date().isoformat()
    due = at(1).replace(hour=6)
    _digest(
        container,
        alice.sub,
        day,
        due,
        {
            f"{org_id}#{rita_request}": _entry(org_id, rita_request, "Rita Test", "new", at(0)),
            f"{org_id}#{bob_request}": _entry(org_id, bob_request, "Bob Test", "new", at(0, 5)),
            f"{org_id}#carl": _entry(org_id, "carl", "Carl Test", "auto_accepted", at(0, 9)),
        },
    )

    # WHEN a pass runs before 06:00, then one after
    assert lifecycle.run(due.replace(hour=5)).closed == 0
    assert lifecycle.emails() == []
    after = lifecycle.run(due.replace(minute=15))

    # THEN the digest is closed and emailed once, without Bob's withdrawn request
    assert after.closed == 1
    stored = lifecycle.item(keys.notice_pk(alice.sub), keys.notice_sk("DIGEST", day))
    assert stored["status"] == "ready" and "GSI4PK" not in stored
    [email] = lifecycle.emails()
    assert (email.to, email.subject) == (alice.email, "Today's new membership requests (2)")
    assert "Rita Test" in email.body and "Carl Test" in email.body and "Bob Test" not in email.body
    assert "joined automatically" in email.body
    assert lifecycle.run(due.replace(minute=30)).closed == 0
    assert lifecycle.emails() == []


def test_a_notice_listing_nothing_pending_sends_nothing(lifecycle, container):
    # GIVEN Alice's digest lists only Rita's request, withdrawn since
    alice, rita = lifecycle.user("alice"), lifecycle.user("rita")
    org_id = lifecycle.organization("Etalab", alice)
    request_id = lifecycle.ask(rita, org_id, at(0))
    lifecycle.run(at(0, 1))
    reply = lifecycle.flows.api.delete(f"/organizations/{org_id}/membership-requests/{request_id}", rita)
    assert reply.status in (200, 204), reply
    lifecycle.emails()
    due = at(1).replace(hour=6)
    day = due.date().isoformat()
    _digest(
        container,
        alice.sub,
        day,
        due,
        {f"{org_id}#{request_id}": _entry(org_id, request_id, "Rita", "new", at(0))},
    )

    # WHEN a pass closes it
    assert lifecycle.run(due.replace(minute=1)).closed == 1

    # THEN no email, and its round is recorded handled
    assert lifecycle.emails() == []
    round_id = keys.notice_round_id(alice.sub, NoticeKind.DIGEST, day)
    assert lifecycle.item(keys.round_pk(round_id, "ready"), keys.ROUND_SK)["handled"] is True
