"""The API side keeps its promises under load: concurrent identical calls leave one
request, one decision, and one round of emails, however often the stream redelivers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from chalicelib.domain import Role
from chalicelib.errors import DomainError


def _at_once(count: int, call):
    barrier = Barrier(count)

    def run(index):
        barrier.wait()
        try:
            call(index)
            return "ok"
        except DomainError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_fifty_identical_join_requests_leave_one_pending_request_and_one_round_of_emails(rig, item):
    # GIVEN an organization with three admins
    org_id, admins = rig.organization(admins=3)
    paul = rig.person("paul")
    service = rig.first.membership_requests
    # WHEN Paul's client sends the same join request fifty times at once
    outcomes = _at_once(50, lambda _: service.ask(paul.caller, org_id, "Let me in"))
    # THEN one was taken, the others refused, and one request is pending
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"request_pending", "request_cooldown", "conflict"}
    mine = service.mine(paul.caller, None, 10, None).items
    assert [request.status.value for request in mine] == ["pending"]
    assert item(f"ORG#{org_id}", f"PENDING#{paul.user_id}")["request_id"] == mine[0].id
    # AND the stream, delivering its records three times, sends one round of emails
    mapping = rig.mapping()
    for _ in range(3):
        mapping.pump()
        rig.rewind()
    figures = rig.tally(
        "50 concurrent identical join requests",
        rig.round_of(mine[0], admins),
        accepted_calls=outcomes.count("ok"),
        deliveries=3,
    )
    assert (figures.expected, figures.sent, figures.duplicated, figures.lost) == (3, 3, 0, 0)


def test_twenty_concurrent_decisions_leave_one_decision_and_one_outcome_email(rig, item, monkeypatch):
    # GIVEN a pending request, its round of emails sent
    org_id, admins = rig.organization(admins=2)
    rita, request = rig.ask(org_id)
    rig.mapping().pump()
    rig.settle()
    service, repository = rig.first.membership_requests, rig.first.repository

    # WHEN twenty accept/refuse calls by both admins arrive at once, all of them having
    # read the request as pending before any of them writes (the worst interleaving)
    read_all = Barrier(20)

    def then_wait(read):
        def read_then_wait(*args):
            found = read(*args)
            read_all.wait()
            return found

        return read_then_wait

    # An acceptance reads the organization with the request (find_request_for_acceptance).
    for reading in ("find_request_with_membership", "find_request_for_acceptance"):
        monkeypatch.setattr(repository, reading, then_wait(getattr(repository, reading)))

    def decide(index):
        admin = admins[index % 2].caller
        if index % 3:
            return service.accept(admin, org_id, request.id, Role.EDITOR)
        return service.refuse(admin, org_id, request.id, "No")

    outcomes = _at_once(20, decide)
    monkeypatch.undo()
    # THEN exactly one decision was taken and stored
    assert sorted(outcomes) == ["ok"] + ["request_not_pending"] * 19
    stored = item(f"ORG#{org_id}", f"REQ#{request.id}")
    assert stored["status"] in ("accepted", "refused")
    assert item(f"ORG#{org_id}", "ORG")["pending_count"] == "0"
    # AND one outcome email went out, however often the stream delivers
    mapping = rig.mapping()
    for _ in range(2):
        mapping.pump()
        rig.rewind()
    accepted = stored["status"] == "accepted"
    figures = rig.tally(
        "20 concurrent accept/refuse calls",
        rig.outcome_of(request, rita, accepted),
        decisions=outcomes.count("ok"),
        deliveries=2,
    )
    assert (figures.expected, figures.sent, figures.duplicated, figures.lost) == (1, 1, 0, 0)
