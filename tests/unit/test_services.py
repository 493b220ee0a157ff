"""The services' rules on the in-memory repository: no moto, no Chalice, milliseconds.
The repository is held to the DynamoDB one's behaviour by tests/contract; the routes are
tested through Chalice in tests/api."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import Caller, RequestStatus, Role
from chalicelib.errors import (
    AlreadyMember,
    EmailNotVerified,
    Forbidden,
    InvalidRequest,
    LastAdmin,
    MemberNotFound,
    RequestNotFound,
    RequestNotPending,
    RequestsClosed,
    SettingsChanged,
)
from chalicelib.services.membership_requests import MembershipRequestService
from chalicelib.services.organizations import OrganizationService
from devstack.fakes import InMemoryMembershipRepository

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def caller(user_id: str, locale: str = "fr", *, email_verified: bool = True) -> Caller:
    return Caller(user_id, user_id.title(), f"{user_id}@example.org", locale, email_verified)


ALICE, ERIN, PAUL, OSCAR = (caller(name) for name in ("alice", "erin", "paul", "oscar"))


class Services:
    def __init__(self) -> None:
        self.repository = InMemoryMembershipRepository()
        self.now = T0
        ids = (f"{n:032x}" for n in itertools.count(1))
        self.organizations = OrganizationService(self.repository, lambda: self.now, lambda: next(ids))
        self.requests = MembershipRequestService(
            self.repository, lambda: self.now, lambda: next(ids), max_pending=10, cooldown_seconds=300
        )

    def organization_with_editor(self) -> str:
        org_id = self.organizations.create(ALICE, "Etalab", "").organization.id
        request = self.requests.ask(ERIN, org_id, "hello")
        self.requests.accept(ALICE, org_id, request.id, Role.EDITOR)
        return org_id


@pytest.fixture
def services() -> Services:
    return Services()


def test_creating_an_organization_makes_the_caller_its_admin(services):
    # WHEN Alice creates an organization THEN she is its one member, an admin
    view = services.organizations.create(ALICE, "Etalab", "Open data")
    assert view.my_membership.role is Role.ADMIN
    assert services.organizations.view(ALICE, view.organization.id).organization.members_count == 1


def test_an_admin_accepts_with_the_chosen_role_and_the_requester_becomes_member(services):
    # GIVEN Paul's request, five minutes old
    org_id = services.organization_with_editor()
    request = services.requests.ask(PAUL, org_id, "I publish open data.")
    services.now += timedelta(minutes=5)
    # WHEN Alice accepts him as an admin
    accepted, member = services.requests.accept(ALICE, org_id, request.id, Role.ADMIN)
    # THEN the request says who decided what and when, and Paul is an admin, pending nothing
    assert (accepted.status, accepted.role, accepted.decided_at) == (
        RequestStatus.ACCEPTED,
        Role.ADMIN,
        services.now,
    )
    assert accepted.decided_by.id == "alice"
    assert (member.user_id, member.role) == ("paul", Role.ADMIN)
    view = services.organizations.view(PAUL, org_id)
    assert (view.my_membership.role, view.my_pending_request) == (Role.ADMIN, None)


def test_my_organizations_name_those_i_founded_and_those_i_was_accepted_into(services):
    # GIVEN Erin was accepted into Etalab as an editor, then founded "Cadastre"
    etalab = services.organization_with_editor()
    cadastre = services.organizations.create(ERIN, "Cadastre", "").organization.id
    # WHEN she lists her organizations
    page = services.organizations.mine(ERIN, 10, None)
    # THEN both are named, the one she administers first, with the time she joined
    assert [(m.organization_id, m.organization_name, m.role, m.since) for m in page.items] == [
        (cadastre, "Cadastre", Role.ADMIN, T0),
        (etalab, "Etalab", Role.EDITOR, T0),
    ]
    assert services.organizations.mine(PAUL, 10, None).items == []


def test_an_editor_sees_pending_requests_but_cannot_decide(services):
    # GIVEN Paul's pending request
    org_id = services.organization_with_editor()
    request = services.requests.ask(PAUL, org_id, "hello")
    # THEN Erin, an editor, lists it, but may neither accept nor refuse it
    listed = services.requests.list_for_organization(ERIN, org_id, RequestStatus.PENDING, 10, None)
    assert [r.id for r in listed.items] == [request.id]
    with pytest.raises(Forbidden):
        services.requests.accept(ERIN, org_id, request.id, Role.EDITOR)
    with pytest.raises(Forbidden):
        services.requests.refuse(ERIN, org_id, request.id, None)
    assert services.requests.get(PAUL, org_id, request.id).status is RequestStatus.PENDING


def test_outsiders_neither_list_nor_see_requests(services):
    # GIVEN Paul's pending request THEN Oscar, no member, neither lists, reads nor withdraws it
    org_id = services.organization_with_editor()
    request = services.requests.ask(PAUL, org_id, "hello")
    with pytest.raises(Forbidden):
        services.requests.list_for_organization(OSCAR, org_id, RequestStatus.PENDING, 10, None)
    with pytest.raises(RequestNotFound):
        services.requests.get(OSCAR, org_id, request.id)
    with pytest.raises(RequestNotFound):
        services.requests.withdraw(OSCAR, org_id, request.id)


def test_a_non_admin_learns_nothing_about_which_requests_exist(services):
    org_id = services.organization_with_editor()
    # The role is checked before the request is looked up: the same answer either way.
    with pytest.raises(Forbidden):
        services.requests.accept(OSCAR, org_id, "f" * 32, Role.EDITOR)
    with pytest.raises(RequestNotFound):
        services.requests.accept(ALICE, org_id, "f" * 32, Role.EDITOR)


def test_a_refusal_keeps_its_reason_and_frees_the_requester_to_ask_later(services):
    # GIVEN Paul's pending request
    org_id = services.organization_with_editor()
    request = services.requests.ask(PAUL, org_id, "hello")
    # WHEN Alice refuses it THEN the reason is kept and it can no longer be accepted
    refused = services.requests.refuse(ALICE, org_id, request.id, "Not a producer.")
    assert (refused.status, refused.reason) == (RequestStatus.REFUSED, "Not a producer.")
    with pytest.raises(RequestNotPending):
        services.requests.accept(ALICE, org_id, request.id, Role.EDITOR)
    # AND once the cooldown is over, Paul may ask again
    services.now += timedelta(seconds=300)
    again = services.requests.ask(PAUL, org_id, "Please reconsider.")
    assert services.organizations.view(PAUL, org_id).my_pending_request == again


def test_only_the_requester_withdraws_and_only_while_pending(services):
    # GIVEN Paul's pending request THEN Alice may not withdraw it, Paul may, once
    org_id = services.organization_with_editor()
    request = services.requests.ask(PAUL, org_id, "hello")
    with pytest.raises(Forbidden):
        services.requests.withdraw(ALICE, org_id, request.id)
    withdrawn = services.requests.withdraw(PAUL, org_id, request.id)
    assert withdrawn.status is RequestStatus.WITHDRAWN
    with pytest.raises(RequestNotPending):
        services.requests.withdraw(PAUL, org_id, request.id)
    assert [r.status for r in services.requests.mine(PAUL, None, 10, None).items] == [RequestStatus.WITHDRAWN]


def test_a_member_cannot_ask_to_join_again(services):
    # GIVEN Erin, a member THEN she may not ask to join
    org_id = services.organization_with_editor()
    with pytest.raises(AlreadyMember):
        services.requests.ask(ERIN, org_id, "again")


def test_the_inbox_counts_the_pending_requests_of_administered_organizations_only(services):
    # GIVEN Paul asked to join two organizations Alice administers and one she does not
    first = services.organization_with_editor()
    second = services.organizations.create(ALICE, "Another", "").organization.id
    theirs = services.organizations.create(OSCAR, "Not Alice's", "").organization.id
    for org_id in (first, second, theirs):
        services.requests.ask(PAUL, org_id, "hello")
    # THEN her inbox holds the two requests to hers, and Erin's (an editor) none
    inbox = services.requests.inbox(ALICE)
    assert inbox.count == 2
    assert sorted(item.organization_id for item in inbox.items) == sorted([first, second])
    assert services.requests.inbox(ERIN).count == 0


def test_roles_change_only_by_admins_and_never_below_one_admin(services):
    # GIVEN Alice, the one admin, and Erin, an editor
    org_id = services.organization_with_editor()
    with pytest.raises(Forbidden):
        services.organizations.change_role(ERIN, org_id, "erin", Role.ADMIN)
    # THEN Erin may not promote herself, Alice may not demote herself, Paul has no role to change
    with pytest.raises(LastAdmin):
        services.organizations.change_role(ALICE, org_id, "alice", Role.EDITOR)
    with pytest.raises(MemberNotFound):
        services.organizations.change_role(ALICE, org_id, "paul", Role.ADMIN)
    # AND Alice may make Erin an admin
    assert services.organizations.change_role(ALICE, org_id, "erin", Role.ADMIN).role is Role.ADMIN
    assert services.organizations.view(ALICE, org_id).organization.admins_count == 2


def test_members_leave_on_their_own_and_admins_remove_anyone(services):
    # GIVEN Erin, an editor THEN Oscar may not remove her, she may leave, and only once
    org_id = services.organization_with_editor()
    with pytest.raises(Forbidden):
        services.organizations.remove_member(OSCAR, org_id, "erin")
    services.organizations.remove_member(ERIN, org_id, "erin")
    assert [m.user_id for m in services.organizations.members(org_id, 10, None).items] == ["alice"]
    with pytest.raises(MemberNotFound):
        services.organizations.remove_member(ALICE, org_id, "erin")


# -- verified addresses only ---------------------------------------------------------------


@pytest.mark.parametrize(
    "unverified",
    [caller("paul", email_verified=False), Caller("paul", "Paul", "", "fr", email_verified=True)],
    ids=["not verified", "no address"],
)
def test_asking_without_a_verified_address_is_refused_and_writes_nothing(services, unverified):
    # GIVEN an organization
    org_id = services.organizations.create(ALICE, "Etalab", "").organization.id
    before = services.organizations.view(ALICE, org_id).organization
    # WHEN Paul asks to join with an address nobody vouched for
    with pytest.raises(EmailNotVerified):
        services.requests.ask(unverified, org_id, "hello")
    # THEN no request, no counter and no profile were written
    assert services.requests.mine(unverified, None, 10, None).items == []
    assert services.organizations.view(ALICE, org_id).organization == before
    assert services.repository.profiles(["paul"]) == {}


def test_creating_an_organization_without_a_verified_address_is_refused_and_writes_nothing(services):
    # WHEN Oscar, whose address nobody vouched for, creates an organization
    # THEN it is refused, and neither the organization, his membership nor his profile is stored
    with pytest.raises(EmailNotVerified):
        services.organizations.create(caller("oscar", email_verified=False), "Etalab", "")
    assert services.repository.organizations_by_id == {}
    assert services.repository.admin_organization_ids("oscar", 10) == []
    assert services.repository.profiles(["oscar"]) == {}


# -- settings ----------------------------------------------------------------------------------


def test_asking_follows_the_settings_closed_accepted_at_once_or_scheduled(services):
    # GIVEN an organization closed to requests
    org_id = services.organization_with_editor()
    services.organizations.change_settings(ALICE, org_id, {"requests_open": False})
    # WHEN Paul asks THEN he is refused, and nothing is stored
    with pytest.raises(RequestsClosed):
        services.requests.ask(PAUL, org_id, "hello")
    assert services.repository.get_organization_with_caller(org_id, "paul")[2] is None
    # GIVEN it open again, example.org accepted at once as admin, 10 days to answer others
    services.organizations.change_settings(
        ALICE,
        org_id,
        {
            "requests_open": True,
            "auto_accept_domains": ["EXAMPLE.org"],
            "auto_accept_role": "admin",
            "request_expiry_days": 10,
        },
    )
    # WHEN Paul (example.org) and Zoe (elsewhere) ask
    joined = services.requests.ask(PAUL, org_id, "hello")
    zoe = Caller("zoe", "Zoe", "zoe@example.org.evil.test", "fr", True)
    pending = services.requests.ask(zoe, org_id, "hello")
    # THEN Paul is an admin at once; Zoe's request waits, due to expire in 10 days
    assert (joined.status, joined.role, joined.auto_accepted) == (RequestStatus.ACCEPTED, Role.ADMIN, True)
    assert services.repository.find_membership(org_id, "paul").role is Role.ADMIN
    assert (pending.status, pending.schedule.expires_at) == (RequestStatus.PENDING, T0 + timedelta(days=10))
    assert pending.schedule.reminder_days == (3, 7)
    organization = services.repository.get_organization(org_id)
    assert (organization.members_count, organization.admins_count, organization.pending_count) == (3, 2, 1)


def test_settings_are_merged_and_counted_in_the_view(services):
    org_id = services.organization_with_editor()
    view = services.organizations.change_settings(ALICE, org_id, {"reminder_days": [5, 1]})
    assert (view.organization.settings.reminder_days, view.organization.settings_version) == ((1, 5), 1)
    assert view.organization.settings.request_expiry_days == 30
    assert view.admins_emailed == 1
    with pytest.raises(InvalidRequest):
        services.organizations.change_settings(ALICE, org_id, {"request_expiry_days": 5})
    with pytest.raises(Forbidden):
        services.organizations.change_settings(ERIN, org_id, {"requests_open": False})
    with pytest.raises(Forbidden):
        services.organizations.settings(OSCAR, org_id)
    assert services.organizations.settings(ERIN, org_id) == view


def test_asking_reads_the_settings_again_once_when_they_changed_meanwhile(services, monkeypatch):
    # GIVEN settings changed by an admin after each read of the organization
    org_id = services.organization_with_editor()
    repository = services.repository
    read = repository.get_organization
    reads = []

    def read_then_change(org_id, consistent=False):
        found = read(org_id, consistent)
        reads.append(found.settings_version)
        repository.update_settings("alice", org_id, found.settings, found.settings_version)
        return found

    monkeypatch.setattr(repository, "get_organization", read_then_change)
    # WHEN Paul asks THEN two reads, two refused transactions, a conflict, and nothing stored
    with pytest.raises(SettingsChanged) as refused:
        services.requests.ask(PAUL, org_id, "hello")
    assert (refused.value.code, reads) == ("conflict", [0, 1])
    assert repository.get_organization_with_caller(org_id, "paul")[2] is None
