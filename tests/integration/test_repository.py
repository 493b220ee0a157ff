"""The repository on moto: transactions enforce what the services assume."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain import Caller, Membership, RequestStatus, Role, UserRef
from chalicelib.errors import Forbidden, InvalidCursor, OrganizationNotFound
from chalicelib.services.membership_requests import MembershipRequestService
from chalicelib.services.organizations import OrganizationService
from tests.conftest import REGION, TABLE
from tests.factories import table_items

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_a_demoted_admins_decision_is_refused_inside_the_transaction(world, container, item):
    # GIVEN Alice read the request while she was admin (as a cached authorizer would let her)
    repository = container.repository
    request, _ = repository.find_request_with_membership(world.org_id, world.request["id"], "alice")
    # AND a second admin demotes her a moment later
    repository.change_role("alice", Membership(world.org_id, "erin", "Erin", Role.EDITOR, NOW), Role.ADMIN)
    repository.change_role("erin", Membership(world.org_id, "alice", "Alice", Role.ADMIN, NOW), Role.EDITOR)
    # WHEN her stale decision reaches DynamoDB
    accepted = replace(
        request,
        status=RequestStatus.ACCEPTED,
        role=Role.EDITOR,
        decided_at=NOW,
        decided_by=UserRef("alice", "Alice"),
    )
    with pytest.raises(Forbidden):
        repository.close_request(
            request, accepted, new_member=Membership(world.org_id, "rita", "Rita", Role.EDITOR, NOW)
        )
    # THEN nothing changed
    assert item(f"ORG#{world.org_id}", f"REQ#{world.request['id']}")["status"] == "pending"
    assert item(f"ORG#{world.org_id}", "MEMBER#rita") is None


def test_a_demoted_admin_cannot_change_roles_either(world, container, item):
    repository = container.repository
    erin = Membership(world.org_id, "erin", "Erin", Role.EDITOR, NOW)
    repository.change_role("alice", erin, Role.ADMIN)
    repository.change_role("erin", Membership(world.org_id, "alice", "Alice", Role.ADMIN, NOW), Role.EDITOR)
    with pytest.raises(Forbidden):
        repository.remove_member("alice", replace(erin, role=Role.ADMIN))
    assert item(f"ORG#{world.org_id}", "MEMBER#erin")["role"] == "admin"


def test_asking_to_join_a_vanished_organization_writes_nothing(world, container):
    before = table_items(REGION, TABLE)
    service = MembershipRequestService(container.repository, lambda: NOW, lambda: "f" * 32, 10, 300)
    with pytest.raises(OrganizationNotFound):
        service.ask(Caller("paul", "Paul", "p@x.org", "fr", email_verified=True), "e" * 32, "hi")
    assert table_items(REGION, TABLE) == before


def test_cursors_are_bound_to_their_listing(world, container, flows, make_user):
    flows.member(world.admin, make_user("mia"), world.org_id)
    page = container.repository.list_members(world.org_id, 1, None)
    assert page.next_cursor
    assert container.repository.list_members(world.org_id, 5, page.next_cursor).items
    with pytest.raises(InvalidCursor):
        container.repository.list_members(world.other_org_id, 5, page.next_cursor)
    with pytest.raises(InvalidCursor):
        container.repository.list_organization_requests(
            world.org_id, RequestStatus.PENDING, 5, page.next_cursor
        )


def test_organization_counters_follow_every_change(world, container, item):
    service = OrganizationService(container.repository, lambda: NOW, lambda: "c" * 32)
    org = item(f"ORG#{world.org_id}", "ORG")
    assert (org["members_count"], org["admins_count"], org["pending_count"]) == ("2", "1", "1")
    assert service.members(world.org_id, 10, None).items[0].user_id == "alice"


def test_a_requests_status_is_read_with_the_profiles_as_it_is_now(world, container, flows):
    # GIVEN Rita's pending request, and Alice's and Rita's stored profiles
    repository = container.repository
    org_id, request_id = world.org_id, world.request["id"]
    # WHEN the stream reads its status with the profiles (one of them unknown)
    status, profiles = repository.request_status_and_profiles(org_id, request_id, ["alice", "rita", "ghost"])
    # THEN it is pending, and the known profiles come with their addresses
    assert status is RequestStatus.PENDING
    assert {user_id: profile.email for user_id, profile in profiles.items()} == {
        "alice": "alice@example.org",
        "rita": "rita@example.org",
    }
    # AND once the request is decided, the same read says so at once (a consistent read)
    flows.refuse(world.admin, org_id, request_id)
    assert repository.request_status_and_profiles(org_id, request_id, [])[0] is RequestStatus.REFUSED
    # AND a request that does not exist has no status
    assert repository.request_status_and_profiles(org_id, "f" * 32, ["alice"])[0] is None


def test_a_status_read_with_more_profiles_than_one_batch_holds_reads_them_all(world, container):
    # GIVEN more users than BatchGetItem takes keys in one call (100), two of them known
    user_ids = [f"nobody{k}" for k in range(150)] + ["alice", "rita"]
    # WHEN their profiles are read with the request's status
    status, profiles = container.repository.request_status_and_profiles(
        world.org_id, world.request["id"], user_ids
    )
    # THEN every key was read, over as many calls as it takes
    assert (status, sorted(profiles)) == (RequestStatus.PENDING, ["alice", "rita"])
