"""Concurrent callers against the emulator: conditional writes leave one winner.

The calls go through the services, not Chalice's test client: a Chalice app holds
one ``current_request`` at a time (Lambda runs one request per container), so
threads sharing one app object would trample each other's requests.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from chalicelib.domain import Caller, Role
from chalicelib.errors import DomainError


def _caller(user) -> Caller:
    return Caller(user.sub, user.name, user.email, user.locale, email_verified=True)


def _outcome(call):
    try:
        call()
        return "ok"
    except DomainError as error:
        return error.code


def _at_once(count: int, call):
    barrier = Barrier(count)

    def run(index):
        barrier.wait()
        return call(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_identical_requests_leave_one_pending_and_one_email_round(
    api, world, make_user, stream, aws, item, container
):
    stream.deliver()
    already = len(aws.emails())
    paul = _caller(make_user("paul"))
    service = container.membership_requests
    outcomes = _at_once(50, lambda _: _outcome(lambda: service.ask(paul, world.org_id, "Let me in")))
    assert sorted(outcomes) == ["ok"] + ["request_pending"] * 49
    mine = api.get("/me/membership-requests", make_user("paul")).body["items"]
    assert [request["status"] for request in mine] == ["pending"]
    assert item(f"ORG#{world.org_id}", "PENDING#paul")["request_id"] == mine[0]["id"]
    assert item("USER#paul", "PROFILE")["pending_count"] == "1"
    stream.deliver()
    assert [m.destinations["ToAddresses"] for m in aws.emails()[already:]] == [["alice@example.org"]]


def test_concurrent_decisions_leave_exactly_one(
    api, world, flows, make_user, stream, aws, item, container, monkeypatch
):
    # GIVEN two admins
    bea = make_user("bea", name="Bea Admin")
    flows.member(world.admin, bea, world.org_id, "admin")
    stream.deliver()
    already = len(aws.emails())
    service, request_id = container.membership_requests, world.request["id"]
    admins = [_caller(world.admin), _caller(bea)]

    def decide(index):
        admin = admins[index % 2]
        if index % 3:
            return _outcome(lambda: service.accept(admin, world.org_id, request_id, Role.EDITOR))
        return _outcome(lambda: service.refuse(admin, world.org_id, request_id, "No"))

    # WHEN twenty decisions arrive at once, all of them having read the request as
    # pending before any of them writes (the worst interleaving, made certain)
    read_all = Barrier(20)

    def then_wait(read):
        def read_then_wait(*args):
            found = read(*args)
            read_all.wait()
            return found

        return read_then_wait

    with monkeypatch.context() as patch:
        # An acceptance also reads the organization (the new member's item names it).
        for reading in ("find_request_with_membership", "find_request_for_acceptance"):
            patch.setattr(container.repository, reading, then_wait(getattr(container.repository, reading)))
        outcomes = _at_once(20, decide)
    # THEN exactly one is taken and the others see the request closed
    assert sorted(outcomes) == ["ok"] + ["request_not_pending"] * 19
    decided = api.get(f"/organizations/{world.org_id}/membership-requests/{request_id}", world.admin).body
    stored = item(f"ORG#{world.org_id}", f"REQ#{world.request['id']}")
    assert stored["status"] == decided["status"]
    org = item(f"ORG#{world.org_id}", "ORG")
    assert org["pending_count"] == "0"
    assert org["members_count"] == ("4" if decided["status"] == "accepted" else "3")
    stream.deliver()
    assert [m.destinations["ToAddresses"] for m in aws.emails()[already:]] == [["rita@example.org"]]


def test_concurrent_demotions_never_leave_an_organization_without_admin(api, world, item, container):
    # GIVEN two admins who try to demote each other at the same moment
    api.put(f"/organizations/{world.org_id}/members/erin", world.admin, {"role": "admin"})
    pairs = [(_caller(world.admin), "erin"), (_caller(world.editor), "alice")]
    service = container.organizations
    outcomes = _at_once(
        2,
        lambda index: _outcome(
            lambda: service.change_role(pairs[index][0], world.org_id, pairs[index][1], Role.EDITOR)
        ),
    )
    # THEN one demotion succeeds, the other is refused, and an admin remains
    assert sorted(outcomes) in (["forbidden", "ok"], ["last_admin", "ok"], ["conflict", "ok"])
    roles = [item(f"ORG#{world.org_id}", f"MEMBER#{user}")["role"] for user in ("alice", "erin")]
    assert roles.count("admin") == 1
    assert item(f"ORG#{world.org_id}", "ORG")["admins_count"] == "1"
