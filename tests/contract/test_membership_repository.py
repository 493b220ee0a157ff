"""One contract, two repositories: the DynamoDB one on moto and the in-memory one the unit
tests use (devstack/fakes.py). Whatever a service or the notifier may rely on is asserted
here against both, so a rule proven on the fake holds on DynamoDB."""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import errors
from chalicelib.domain import (
    Membership,
    MembershipRequest,
    OperatorAction,
    Organization,
    OrganizationSettings,
    RequestSchedule,
    RequestStatus,
    Role,
    UserProfile,
    UserRef,
)
from chalicelib.services import ports

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
COOLDOWN = 300
MAX_PENDING = 2


@pytest.fixture(params=["dynamodb", "memory"])
def repository(request):
    if request.param == "memory":
        from devstack.fakes import InMemoryMembershipRepository

        return InMemoryMembershipRepository()
    from chalicelib.persistence.membership import OperatorMembershipRepository

    # The operators' variant: the service's repository plus the operator's two writes,
    # which the in-memory one also has.
    aws = request.getfixturevalue("container").aws
    return OperatorMembershipRepository(aws.tables, aws.dynamodb)


def profile(user_id: str, email: str | None = None) -> UserProfile:
    return UserProfile(user_id, user_id.title(), email or f"{user_id}@example.org", "fr")


def organization(repository, org_id: str = "o1", admin: str = "alice", at: datetime = T0) -> Organization:
    created = Organization(org_id, f"Org {org_id}", "", at, members_count=1, admins_count=1, pending_count=0)
    repository.create_organization(
        created, profile(admin), Membership(org_id, admin, admin.title(), Role.ADMIN, at, created.name)
    )
    return created


def ask(
    repository,
    user_id: str,
    org_id: str = "o1",
    request_id: str | None = None,
    at: datetime = T0,
    requester: UserProfile | None = None,
) -> MembershipRequest:
    request = MembershipRequest(
        request_id or f"r-{user_id}-{org_id}-{at.timestamp():.0f}",
        org_id,
        UserRef(user_id, user_id.title()),
        "I publish open data.",
        RequestStatus.PENDING,
        at,
    )
    repository.create_request(request, requester or profile(user_id), MAX_PENDING, COOLDOWN)
    return request


def decide(request: MembershipRequest, status: RequestStatus, by: str = "alice", role: Role | None = None):
    return replace(request, status=status, role=role, decided_at=T0, decided_by=UserRef(by, by.title()))


def withdraw(repository, request: MembershipRequest) -> None:
    repository.close_request(request, replace(request, status=RequestStatus.WITHDRAWN, decided_at=T0))


def member(repository, user_id: str, role: Role = Role.EDITOR, org_id: str = "o1", at: datetime = T0):
    request = ask(repository, user_id, org_id, at=at)
    joined = Membership(org_id, user_id, user_id.title(), role, at, f"Org {org_id}")
    repository.close_request(request, decide(request, RequestStatus.ACCEPTED, role=role), new_member=joined)
    return joined


def action(name: str, org_id: str | None = "o1", at: datetime = T0, action_id: str | None = None):
    return OperatorAction(
        action_id or f"{name}-{at.timestamp():.0f}", at, "arn:aws:sts::1:user/sam", "sam", name, org_id, "u1"
    )


def counters(repository, org_id: str = "o1") -> tuple[int, int, int]:
    org = repository.get_organization(org_id)
    return org.members_count, org.admins_count, org.pending_count


# -- both offer the ports --------------------------------------------------------------------


def _port_methods(port: type) -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(function).parameters)[1:]
        for name, function in vars(port).items()
        if inspect.isfunction(function) and not name.startswith("_")
    }


def test_both_offer_the_operators_methods_with_the_same_parameters():
    from chalicelib.persistence.membership import OperatorMembershipRepository, PynamoMembershipRepository
    from devstack.fakes import InMemoryMembershipRepository

    def own(cls, base) -> dict[str, list[str]]:
        return {
            name: list(inspect.signature(function).parameters)
            for name, function in vars(cls).items()
            if inspect.isfunction(function) and not name.startswith("_") and not hasattr(base, name)
        }

    operators = own(OperatorMembershipRepository, PynamoMembershipRepository)
    assert operators
    assert {
        name: list(inspect.signature(getattr(InMemoryMembershipRepository, name)).parameters)
        for name in operators
    } == operators


@pytest.mark.parametrize(
    "port", [ports.MembershipRepository, ports.Directory], ids=lambda port: port.__name__
)
def test_each_repository_offers_every_method_of_the_ports_with_the_same_parameters(repository, port):
    offered = {
        name: list(inspect.signature(getattr(repository, name)).parameters)
        for name in _port_methods(port)
        if hasattr(repository, name)
    }
    assert offered == _port_methods(port)


# -- organizations ---------------------------------------------------------------------------


def test_a_created_organization_is_read_back_with_its_founding_admin(repository):
    organization(repository)
    assert counters(repository) == (1, 1, 0)
    assert repository.find_membership("o1", "alice").role is Role.ADMIN
    assert repository.profiles(["alice"])["alice"].email == "alice@example.org"


def test_an_organization_id_cannot_be_created_twice(repository):
    organization(repository)
    with pytest.raises(errors.Conflict):
        organization(repository, admin="zoe")
    assert repository.find_membership("o1", "zoe") is None
    assert repository.profiles(["zoe"]) == {}


def test_an_unknown_organization_is_not_found(repository):
    with pytest.raises(errors.OrganizationNotFound):
        repository.get_organization("nope")
    with pytest.raises(errors.OrganizationNotFound):
        repository.get_organization_with_caller("nope", "alice")


def test_the_caller_sees_their_membership_and_pending_request(repository):
    organization(repository)
    request = ask(repository, "paul")
    _, membership, pending = repository.get_organization_with_caller("o1", "paul")
    assert membership is None
    assert pending == request
    _, membership, pending = repository.get_organization_with_caller("o1", "alice")
    assert membership.role is Role.ADMIN
    assert pending is None


# -- asking ----------------------------------------------------------------------------------


def test_asking_counts_a_pending_request_and_remembers_the_requester(repository):
    organization(repository)
    request = ask(repository, "paul")
    assert counters(repository) == (1, 1, 1)
    assert repository.find_request("o1", request.id) == request
    assert repository.profiles(["paul", "nobody"]) == {"paul": profile("paul")}


def test_asking_again_stores_the_address_the_requester_has_now(repository):
    # GIVEN Paul asked one organization from his old address
    for org_id in ("o1", "o2"):
        organization(repository, org_id)
    ask(repository, "paul", "o1")
    # WHEN he asks another from a new one
    ask(repository, "paul", "o2", requester=profile("paul", "paul@new.example.org"))
    # THEN the stream will email the new address
    assert repository.profiles(["paul"])["paul"].email == "paul@new.example.org"


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("unknown organization", errors.OrganizationNotFound),
        ("already a member", errors.AlreadyMember),
        ("already pending", errors.RequestPending),
        ("asked a moment ago", errors.AskedTooRecently),
        ("too many pending elsewhere", errors.TooManyPendingRequests),
    ],
)
def test_asking_is_refused_and_writes_nothing(repository, setup, error):
    # GIVEN Paul in a situation where he may not ask
    organization(repository)
    for other in ("o2", "o3"):
        organization(repository, other, admin="zoe")
    org_id = "o1"
    if setup == "unknown organization":
        org_id = "o9"
    elif setup == "already a member":
        member(repository, "paul")
    elif setup == "already pending":
        ask(repository, "paul")
    elif setup == "asked a moment ago":
        withdraw(repository, ask(repository, "paul"))
    elif setup == "too many pending elsewhere":
        ask(repository, "paul", "o2")
        ask(repository, "paul", "o3")

    def state():
        return (
            counters(repository),
            repository.list_user_requests("paul", None, 10, None).items,
            repository.profiles(["paul"]),
        )

    before = state()
    # WHEN he asks, from a new address
    with pytest.raises(error) as refused:
        ask(
            repository,
            "paul",
            org_id,
            request_id="r-refused",
            at=T0 + timedelta(seconds=60),
            requester=profile("paul", "paul@new.example.org"),
        )
    # THEN a cooldown says how long is left
    if error is errors.AskedTooRecently:
        assert refused.value.retry_after_seconds == COOLDOWN - 60
    # AND nothing was written: no request, no counter, not even his new address
    assert repository.find_request(org_id, "r-refused") is None
    assert state() == before


def test_asking_again_after_the_cooldown_is_allowed(repository):
    organization(repository)
    withdraw(repository, ask(repository, "paul"))
    again = ask(repository, "paul", at=T0 + timedelta(seconds=COOLDOWN))
    assert repository.get_organization_with_caller("o1", "paul")[2] == again


def test_a_closed_request_frees_its_requesters_pending_slot(repository):
    # GIVEN Paul with as many pending requests as he may have
    for org_id in ("o1", "o2", "o3"):
        organization(repository, org_id)
    first = ask(repository, "paul", "o1")
    ask(repository, "paul", "o2")
    with pytest.raises(errors.TooManyPendingRequests):
        ask(repository, "paul", "o3")
    # WHEN one of them is withdrawn
    withdraw(repository, first)
    # THEN he may ask elsewhere
    assert ask(repository, "paul", "o3").status is RequestStatus.PENDING


def test_the_first_failed_condition_names_the_error(repository):
    # GIVEN a member who also asked a moment ago (two conditions fail at once)
    organization(repository)
    member(repository, "paul")
    # THEN the membership is what the caller is told about
    with pytest.raises(errors.AlreadyMember):
        ask(repository, "paul", request_id="r-2")


# -- deciding --------------------------------------------------------------------------------


def test_accepting_adds_the_member_and_closes_the_request(repository):
    organization(repository)
    request = ask(repository, "paul")
    accepted = decide(request, RequestStatus.ACCEPTED, role=Role.ADMIN)
    repository.close_request(
        request, accepted, new_member=Membership("o1", "paul", "Paul", Role.ADMIN, T0, "Org o1")
    )
    assert counters(repository) == (2, 2, 0)
    stored = repository.find_request("o1", request.id)
    assert (stored.status, stored.role, stored.decided_by) == (
        RequestStatus.ACCEPTED,
        Role.ADMIN,
        UserRef("alice", "Alice"),
    )
    assert stored.comment == request.comment
    assert repository.get_organization_with_caller("o1", "paul")[2] is None


def test_a_closed_request_cannot_be_closed_again(repository):
    organization(repository)
    request = ask(repository, "paul")
    repository.close_request(request, decide(request, RequestStatus.REFUSED))
    with pytest.raises(errors.RequestNotPending):
        repository.close_request(request, decide(request, RequestStatus.ACCEPTED, role=Role.EDITOR))
    assert repository.find_request("o1", request.id).status is RequestStatus.REFUSED
    assert counters(repository) == (1, 1, 0)


def test_a_decision_by_someone_no_longer_admin_is_refused(repository):
    # GIVEN Alice read Paul's request while admin (a cached authorizer still lets her in),
    # and Erin, made admin, demoted her a moment later
    organization(repository)
    erin = member(repository, "erin", Role.ADMIN)
    request = ask(repository, "paul")
    repository.change_role("erin", Membership("o1", "alice", "Alice", Role.ADMIN, T0, "Org o1"), Role.EDITOR)
    # WHEN her stale decision is written THEN it is refused, and nothing changed
    with pytest.raises(errors.Forbidden):
        repository.close_request(
            request,
            decide(request, RequestStatus.ACCEPTED, by="alice", role=Role.EDITOR),
            new_member=Membership("o1", "paul", "Paul", Role.EDITOR, T0, "Org o1"),
        )
    assert repository.find_request("o1", request.id).status is RequestStatus.PENDING
    assert repository.find_membership("o1", "paul") is None
    assert counters(repository) == (2, 1, 1)
    # AND the operator's path checks no decider
    repository.close_request_by_operator(
        request, decide(request, RequestStatus.REFUSED, by=erin.user_id), None, action("refuse")
    )
    assert repository.find_request("o1", request.id).status is RequestStatus.REFUSED


# -- members ---------------------------------------------------------------------------------


def test_the_last_admin_can_be_neither_demoted_nor_removed(repository):
    organization(repository)
    alice = repository.find_membership("o1", "alice")
    with pytest.raises(errors.LastAdmin):
        repository.change_role("alice", alice, Role.EDITOR)
    with pytest.raises(errors.LastAdmin):
        repository.remove_member("alice", alice)
    assert repository.find_membership("o1", "alice").role is Role.ADMIN
    assert counters(repository) == (1, 1, 0)


def test_role_changes_follow_the_stored_role_and_the_counters(repository):
    organization(repository)
    erin = member(repository, "erin")
    promoted = repository.change_role("alice", erin, Role.ADMIN)
    assert promoted.role is Role.ADMIN
    assert counters(repository) == (2, 2, 0)
    with pytest.raises(errors.Conflict):
        repository.change_role("alice", erin, Role.ADMIN)  # erin is no longer an editor
    with pytest.raises(errors.Forbidden):
        repository.change_role("paul", promoted, Role.EDITOR)
    repository.change_role_by_operator(promoted, Role.EDITOR, action("revoke-admin"))
    assert counters(repository) == (2, 1, 0)


def test_a_demoted_admin_can_neither_change_roles_nor_remove_members(repository):
    # GIVEN Erin made admin by Alice, who Erin then demoted
    organization(repository)
    erin = repository.change_role("alice", member(repository, "erin"), Role.ADMIN)
    bob = member(repository, "bob")
    repository.change_role("erin", repository.find_membership("o1", "alice"), Role.EDITOR)
    # WHEN Alice, acting on what she saw as admin, changes or removes a member
    with pytest.raises(errors.Forbidden):
        repository.change_role("alice", bob, Role.ADMIN)
    with pytest.raises(errors.Forbidden):
        repository.remove_member("alice", erin)
    # THEN both are refused, and nothing changed
    assert repository.find_membership("o1", "erin").role is Role.ADMIN
    assert repository.find_membership("o1", "bob").role is Role.EDITOR
    assert counters(repository) == (3, 1, 0)


def test_removing_a_member_updates_the_counters_once(repository):
    organization(repository)
    erin = member(repository, "erin")
    repository.remove_member("erin", erin)  # a member may leave
    assert repository.find_membership("o1", "erin") is None
    assert counters(repository) == (1, 1, 0)
    with pytest.raises(errors.MemberNotFound):
        repository.remove_member("alice", erin)


def test_admins_come_oldest_first_and_listings_page(repository):
    organization(repository)
    for minute, user in enumerate(["dan", "bea", "cid"], start=1):
        member(repository, user, Role.ADMIN, at=T0 + timedelta(minutes=minute))
    assert [m.user_id for m in repository.admins("o1", 3)] == ["alice", "dan", "bea"]
    assert repository.admin_organization_ids("bea", 10) == ["o1"]
    first = repository.list_members("o1", 2, None)
    second = repository.list_members("o1", 2, first.next_cursor)
    assert [m.user_id for m in first.items + second.items] == ["alice", "bea", "cid", "dan"]
    # A full page carries a cursor even when nothing follows (DynamoDB's LastEvaluatedKey).
    last = repository.list_members("o1", 2, second.next_cursor)
    assert (last.items, last.next_cursor) == ([], None)
    assert {o.id for o in repository.organizations(["o1", "missing"])} == {"o1"}


# -- a user's organizations ---------------------------------------------------------------------


def test_a_users_organizations_name_each_with_the_users_role_administered_first(repository):
    # GIVEN Paul founded o3, joined o1 as an editor and o2 as an admin, and asks to join o4
    for org_id in ("o1", "o2", "o4"):
        organization(repository, org_id)
    organization(repository, "o3", admin="paul")
    member(repository, "paul", Role.EDITOR, org_id="o1")
    member(repository, "paul", Role.ADMIN, org_id="o2", at=T0 + timedelta(minutes=1))
    ask(repository, "paul", "o4")

    # WHEN his organizations are listed, two at a time
    first = repository.list_user_organizations("paul", 2, None)
    second = repository.list_user_organizations("paul", 2, first.next_cursor)

    # THEN he sees the three he belongs to, each named, those he administers first; his
    # requests, which share his index partition, are not among them
    assert [(m.organization_id, m.organization_name, m.role) for m in first.items + second.items] == [
        ("o2", "Org o2", Role.ADMIN),
        ("o3", "Org o3", Role.ADMIN),
        ("o1", "Org o1", Role.EDITOR),
    ]
    assert [m.since for m in first.items + second.items] == [T0 + timedelta(minutes=1), T0, T0]
    assert second.next_cursor is None


def test_a_users_organizations_follow_role_changes_and_departures(repository):
    # GIVEN Paul is an editor of o1 and o2
    for org_id in ("o1", "o2"):
        organization(repository, org_id)
        member(repository, "paul", Role.EDITOR, org_id=org_id)

    # WHEN Alice makes him an admin of o2 and he leaves o1
    repository.change_role("alice", repository.find_membership("o2", "paul"), Role.ADMIN)
    repository.remove_member("paul", repository.find_membership("o1", "paul"))

    # THEN his list says so, the name kept through the role change
    mine = repository.list_user_organizations("paul", 10, None).items
    assert [(m.organization_id, m.organization_name, m.role) for m in mine] == [("o2", "Org o2", Role.ADMIN)]
    assert repository.list_user_organizations("nobody", 10, None).items == []


def test_a_cursor_of_a_users_requests_does_not_page_their_organizations_nor_back(repository):
    # GIVEN Paul's first page of organizations and first page of requests, both with a cursor
    for org_id in ("o1", "o2", "o3"):
        organization(repository, org_id)
    member(repository, "paul", org_id="o1")
    member(repository, "paul", org_id="o2")
    organizations = repository.list_user_organizations("paul", 1, None)
    requests = repository.list_user_requests("paul", None, 1, None)
    assert organizations.next_cursor and requests.next_cursor

    # THEN neither cursor is taken by the other listing (they share an index partition)
    with pytest.raises(errors.InvalidCursor):
        repository.list_user_organizations("paul", 1, requests.next_cursor)
    with pytest.raises(errors.InvalidCursor):
        repository.list_user_requests("paul", None, 1, organizations.next_cursor)
    # ... nor by another user's
    with pytest.raises(errors.InvalidCursor):
        repository.list_user_organizations("rita", 1, organizations.next_cursor)


def test_accepting_reads_the_request_the_deciders_membership_and_the_organization_together(repository):
    organization(repository)
    request = ask(repository, "paul")
    found, membership, org = repository.find_request_for_acceptance("o1", request.id, "alice")
    assert (found, membership.role, org.name) == (request, Role.ADMIN, "Org o1")
    assert repository.find_request_for_acceptance("o9", request.id, "alice") == (None, None, None)


# -- listings of requests ----------------------------------------------------------------------


def test_an_organizations_requests_come_oldest_first_a_users_newest_first(repository):
    for org_id in ("o1", "o2", "o3"):
        organization(repository, org_id)
    made = [
        ask(repository, "paul", org_id, at=T0 + timedelta(minutes=i)) for i, org_id in enumerate(["o1", "o2"])
    ]
    late = ask(repository, "rita", "o1", at=T0 + timedelta(minutes=5))
    assert repository.list_organization_requests("o1", RequestStatus.PENDING, 10, None).items == [
        made[0],
        late,
    ]
    mine = repository.list_user_requests("paul", None, 1, None)
    assert mine.items == [made[1]]
    assert repository.list_user_requests("paul", None, 1, mine.next_cursor).items == [made[0]]
    assert repository.list_user_requests("paul", RequestStatus.REFUSED, 10, None).items == []


def test_cursors_only_work_on_the_listing_that_issued_them(repository):
    for org_id in ("o1", "o2"):
        organization(repository, org_id)
    for user in ("bea", "cid"):
        member(repository, user)
    page = repository.list_members("o1", 1, None)
    assert repository.list_members("o1", 5, page.next_cursor).items
    with pytest.raises(errors.InvalidCursor):
        repository.list_members("o2", 1, page.next_cursor)
    with pytest.raises(errors.InvalidCursor):
        repository.list_organization_requests("o1", RequestStatus.PENDING, 1, page.next_cursor)
    with pytest.raises(errors.InvalidCursor):
        repository.list_members("o1", 1, "not-a-cursor!")


def test_a_cursor_goes_on_after_its_last_item_even_once_that_item_is_gone(repository):
    # GIVEN a first page of members that ends with Bea, and Paul's first page of requests
    # that ends with his newest
    for org_id in ("o1", "o2", "o3"):
        organization(repository, org_id)
    for user in ("bea", "cid"):
        member(repository, user)
    page = repository.list_members("o1", 2, None)
    assert [m.user_id for m in page.items] == ["alice", "bea"]
    older, newer = (
        ask(repository, "paul", org_id, at=T0 + timedelta(minutes=i)) for i, org_id in [(1, "o2"), (2, "o3")]
    )
    requests = repository.list_organization_requests("o3", RequestStatus.PENDING, 1, None)
    mine = repository.list_user_requests("paul", RequestStatus.PENDING, 1, None)
    assert (requests.items, mine.items) == ([newer], [newer])
    # WHEN Bea leaves and Paul's newest request is withdrawn
    repository.remove_member("bea", repository.find_membership("o1", "bea"))
    withdraw(repository, newer)
    # THEN each next page starts where the last one ended
    assert [m.user_id for m in repository.list_members("o1", 2, page.next_cursor).items] == ["cid"]
    assert repository.list_user_requests("paul", RequestStatus.PENDING, 1, mine.next_cursor).items == [older]


# -- what the notifier reads -------------------------------------------------------------------


def test_a_requests_status_is_read_with_the_profiles_as_it_is_now(repository):
    # GIVEN Paul's pending request, and Alice's and Paul's stored profiles
    organization(repository)
    request = ask(repository, "paul")
    # WHEN the stream reads its status with the profiles (one of them unknown)
    status, profiles = repository.request_status_and_profiles("o1", request.id, ["alice", "paul", "ghost"])
    # THEN it is pending, and the known profiles come with their addresses
    assert status is RequestStatus.PENDING
    assert profiles == {"alice": profile("alice"), "paul": profile("paul")}
    # AND once the request is decided, the same read says so at once
    repository.close_request(request, decide(request, RequestStatus.REFUSED))
    assert repository.request_status_and_profiles("o1", request.id, []) == (RequestStatus.REFUSED, {})
    # AND a request that does not exist has no status
    assert repository.request_status_and_profiles("o1", "f" * 32, ["alice"])[0] is None


def test_a_status_read_with_more_profiles_than_one_batch_holds_reads_them_all(repository):
    # GIVEN more users than DynamoDB's BatchGetItem takes keys in one call (100), two known
    organization(repository)
    request = ask(repository, "paul")
    user_ids = [f"nobody{k}" for k in range(150)] + ["alice", "paul"]
    # WHEN their profiles are read with the request's status
    status, profiles = repository.request_status_and_profiles("o1", request.id, user_ids)
    # THEN every key was read, over as many calls as it takes
    assert (status, sorted(profiles)) == (RequestStatus.PENDING, ["alice", "paul"])
    assert sorted(repository.profiles(user_ids)) == ["alice", "paul"]


def test_the_statuses_a_notice_lists_are_read_as_they_are_now(repository):
    # GIVEN Paul's request pending and Rita's refused
    organization(repository)
    paul, rita = ask(repository, "paul"), ask(repository, "rita")
    repository.close_request(rita, decide(rita, RequestStatus.REFUSED))
    # WHEN a notice's requests are looked up, one of them unknown, one asked twice
    statuses = repository.request_statuses(
        [("o1", paul.id), ("o1", rita.id), ("o1", "f" * 32), ("o1", paul.id)]
    )
    # THEN the known ones come with their status now
    assert statuses == {("o1", paul.id): RequestStatus.PENDING, ("o1", rita.id): RequestStatus.REFUSED}
    assert repository.request_statuses([]) == {}


# -- operator actions ------------------------------------------------------------------------


def test_an_operator_change_and_its_record_stand_or_fall_together(repository):
    # GIVEN Alice, the only admin, and Erin, an editor
    organization(repository)
    erin = member(repository, "erin")
    alice = repository.find_membership("o1", "alice")
    # WHEN an operator demotes the last admin THEN it is refused, and nothing is recorded
    with pytest.raises(errors.LastAdmin):
        repository.change_role_by_operator(alice, Role.EDITOR, action("revoke-admin", action_id="a1"))
    assert repository.operator_actions_of("o1", 10, None).items == []
    # WHEN an operator promotes Erin THEN the change and its record are both there
    recorded = action("grant-admin", action_id="a2")
    repository.change_role_by_operator(erin, Role.ADMIN, recorded)
    assert repository.find_membership("o1", "erin").role is Role.ADMIN
    assert repository.operator_actions_of("o1", 10, None).items == [recorded]


def test_operator_actions_are_paged_newest_first_by_organization_and_by_month(repository):
    # GIVEN actions on two organizations over two months, and one on none
    organization(repository)
    organization(repository, "o2", admin="bob")
    moments = [T0 + timedelta(days=d) for d in (0, 1, 2, 40)]
    o1 = [action("resend", "o1", at, f"o1-{k}") for k, at in enumerate(moments)]
    other = action("resend", "o2", moments[1] + timedelta(hours=1), "o2-0")
    drive = action("redrive", None, moments[2] + timedelta(hours=1), "redrive-0")
    for recorded in [*o1, other, drive]:
        repository.record_operator_action(recorded)
    # WHEN an organization's history is read two at a time
    first = repository.operator_actions_of("o1", 2, None)
    second = repository.operator_actions_of("o1", 2, first.next_cursor)
    # THEN its own actions, newest first
    assert first.items + second.items == list(reversed(o1))
    # AND a month's log holds every action of that month, whichever organization, newest first
    month = repository.operator_log(T0.strftime("%Y-%m"), 10, None).items
    assert month == [drive, o1[2], other, o1[1], o1[0]]
    assert repository.operator_log("1999-01", 10, None).items == []
    # AND a history cursor does not page the log
    with pytest.raises(errors.InvalidCursor):
        repository.operator_log(T0.strftime("%Y-%m"), 2, first.next_cursor)


def test_members_of_one_role_are_paged_oldest_first(repository):
    organization(repository)
    later = [member(repository, f"admin{k}", Role.ADMIN, at=T0 + timedelta(minutes=k + 1)) for k in range(3)]
    member(repository, "erin")
    first = repository.list_members_by_role("o1", Role.ADMIN, 2, None)
    rest = repository.list_members_by_role("o1", Role.ADMIN, 2, first.next_cursor)
    assert [m.user_id for m in first.items + rest.items] == ["alice"] + [m.user_id for m in later]
    assert [m.user_id for m in repository.list_members_by_role("o1", Role.EDITOR, 5, None).items] == ["erin"]


# -- settings and asking under them ------------------------------------------------------------


def test_settings_are_replaced_at_their_version_and_counted(repository):
    # GIVEN an organization with the default settings
    organization(repository)
    assert repository.get_organization("o1").settings == OrganizationSettings()
    # WHEN its admin replaces them at version 0
    chosen = OrganizationSettings(
        requests_open=False,
        request_guidance="Say who you are.",
        auto_accept_domains=("beta.gouv.fr", "data.gouv.fr"),
        auto_accept_role=Role.ADMIN,
        request_expiry_days=14,
        reminder_days=(2, 10),
    )
    repository.update_settings("alice", "o1", chosen, 0)
    # THEN they are read back, at version 1, by both reads
    stored = repository.get_organization("o1", consistent=True)
    assert (stored.settings, stored.settings_version) == (chosen, 1)
    read, membership = repository.get_organization_with_membership("o1", "alice")
    assert (read.settings, membership.role) == (chosen, Role.ADMIN)
    # AND cleared text and domains read as the defaults
    repository.update_settings("alice", "o1", OrganizationSettings(), 1)
    assert repository.get_organization("o1").settings == OrganizationSettings()


def test_settings_changed_meanwhile_or_by_a_non_admin_are_refused(repository):
    organization(repository)
    editor = member(repository, "erin")
    repository.update_settings("alice", "o1", OrganizationSettings(request_expiry_days=10), 0)
    # a stale version
    with pytest.raises(errors.SettingsChanged):
        repository.update_settings("alice", "o1", OrganizationSettings(requests_open=False), 0)
    # a non-admin, even at the right version (the admin check comes first)
    with pytest.raises(errors.Forbidden):
        repository.update_settings(editor.user_id, "o1", OrganizationSettings(requests_open=False), 1)
    stored = repository.get_organization("o1")
    assert (stored.settings, stored.settings_version) == (OrganizationSettings(request_expiry_days=10), 1)
    with pytest.raises(errors.OrganizationNotFound):
        repository.get_organization_with_membership("nope", "alice")


def _scheduled(request: MembershipRequest) -> MembershipRequest:
    return replace(
        request, schedule=RequestSchedule.for_new_request(request.created_at, OrganizationSettings())
    )


def test_a_request_keeps_its_schedule_and_is_refused_once_the_settings_changed(repository):
    organization(repository)
    request = _scheduled(
        MembershipRequest("r1", "o1", UserRef("paul", "Paul"), "Hi", RequestStatus.PENDING, T0)
    )
    repository.create_request(request, profile("paul"), MAX_PENDING, COOLDOWN, settings_version=0)
    assert repository.find_request("o1", "r1") == request
    # WHEN the settings change, a request made under the old ones is refused whole
    repository.update_settings("alice", "o1", OrganizationSettings(requests_open=False), 0)
    late = replace(request, id="r2", user=UserRef("zoe", "Zoe"))
    with pytest.raises(errors.SettingsChanged):
        repository.create_request(late, profile("zoe"), MAX_PENDING, COOLDOWN, settings_version=0)
    assert repository.find_request("o1", "r2") is None
    assert counters(repository) == (1, 1, 1)
    assert repository.profiles(["zoe"]) == {}
    # AND an organization that does not exist is a changed one when a version is given
    with pytest.raises(errors.SettingsChanged):
        repository.create_request(replace(late, organization_id="nope"), profile("zoe"), 2, 0, 0)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_a_request_accepted_at_once_makes_the_member_without_pending_anything(repository, role):
    organization(repository)
    accepted = MembershipRequest(
        "r1",
        "o1",
        UserRef("paul", "Paul"),
        "Hi",
        RequestStatus.ACCEPTED,
        T0,
        role=role,
        decided_at=T0,
        auto_accepted=True,
    )
    joined = Membership("o1", "paul", "Paul", role, T0, "Org o1")
    repository.create_request(accepted, profile("paul"), MAX_PENDING, COOLDOWN, 0, new_member=joined)
    assert repository.find_request("o1", "r1") == accepted
    assert repository.find_membership("o1", "paul") == joined
    assert counters(repository) == (2, 2 if role is Role.ADMIN else 1, 0)
    _, _, pending = repository.get_organization_with_caller("o1", "paul")
    assert pending is None
    # AND the requester's pending slots are untouched: they may still ask elsewhere, as many
    for k in range(MAX_PENDING):
        organization(repository, f"p{k}")
        ask(repository, "paul", f"p{k}")


def test_a_request_accepted_at_once_is_refused_to_members_and_pending_requesters(repository):
    organization(repository)
    ask(repository, "paul")
    for user_id, error in (("alice", errors.AlreadyMember), ("paul", errors.RequestPending)):
        accepted = MembershipRequest(
            f"r-{user_id}",
            "o1",
            UserRef(user_id, user_id),
            "Hi",
            RequestStatus.ACCEPTED,
            T0,
            role=Role.EDITOR,
            decided_at=T0,
            auto_accepted=True,
        )
        joined = Membership("o1", user_id, user_id, Role.EDITOR, T0, "Org o1")
        with pytest.raises(error):
            repository.create_request(accepted, profile(user_id), MAX_PENDING, 0, 0, new_member=joined)
        assert repository.find_request("o1", f"r-{user_id}") is None
    assert counters(repository) == (1, 1, 1)
