"""One contract, two preferences repositories: the DynamoDB one on moto and the in-memory
one (devstack/fakes.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import errors
from chalicelib.domain import AdminEmails, Membership, Organization, Preferences, Role, UserProfile

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def repositories(request):
    """(membership repository, preferences repository) over the same storage."""
    if request.param == "memory":
        from devstack.fakes import InMemoryMembershipRepository, InMemoryPreferencesRepository

        membership = InMemoryMembershipRepository()
        return membership, InMemoryPreferencesRepository(membership)
    container = request.getfixturevalue("container")
    return container.repository, container.preferences_repository


def _profile(user_id: str, preferences: Preferences | None = None) -> UserProfile:
    return UserProfile(user_id, user_id.title(), f"{user_id}@example.org", "fr", preferences or Preferences())


def _organization(membership, org_id: str, admin: str) -> None:
    created = Organization(org_id, f"Org {org_id}", "", T0, members_count=1, admins_count=1, pending_count=0)
    membership.create_organization(
        created, _profile(admin), Membership(org_id, admin, admin.title(), Role.ADMIN, T0, created.name)
    )


def test_preferences_are_stored_on_the_profile_and_survive_its_refresh(repositories):
    membership, preferences = repositories
    assert preferences.get_profile("alice") is None
    chosen = Preferences(AdminEmails.DAILY_DIGEST, "en", frozenset({"o1"}))
    preferences.save_preferences(_profile("alice", chosen))
    assert preferences.get_profile("alice") == _profile("alice", chosen)
    # Another write refreshes the profile from a token: the preferences stay.
    _organization(membership, "o2", "alice")
    assert preferences.get_profile("alice").preferences == chosen
    # Resetting to the defaults stores the defaults.
    preferences.save_preferences(_profile("alice"))
    assert preferences.get_profile("alice").preferences == Preferences()


def test_administered_among_names_only_the_organizations_the_user_administers(repositories):
    membership, preferences = repositories
    _organization(membership, "o1", "alice")
    _organization(membership, "o2", "bob")
    assert preferences.administered_among("alice", ["o1", "o2", "o3"]) == {"o1"}
    assert preferences.administered_among("alice", []) == set()
    assert [org.id for org in preferences.organizations(["o2", "o9"])] == ["o2"]


def test_an_unsubscribe_link_applies_once(repositories):
    membership, preferences = repositories
    _organization(membership, "o1", "alice")
    expires = T0 + timedelta(days=90)
    preferences.unsubscribe("alice", "o1", "l1", expires, T0)
    assert preferences.get_profile("alice").preferences.muted_organizations == frozenset({"o1"})
    with pytest.raises(errors.LinkUsed):
        preferences.unsubscribe("alice", None, "l1", expires, T0)
    assert preferences.get_profile("alice").preferences.admin_emails is AdminEmails.IMMEDIATE
    preferences.unsubscribe("alice", None, "l2", expires, T0)
    assert preferences.get_profile("alice").preferences == replace(
        Preferences(), admin_emails=AdminEmails.OFF, muted_organizations=frozenset({"o1"})
    )


def test_an_unsubscribe_link_of_a_user_without_profile_is_invalid_and_not_marked_used(repositories):
    _, preferences = repositories
    with pytest.raises(errors.InvalidLink):
        preferences.unsubscribe("ghost", "o1", "l1", T0 + timedelta(days=1), T0)
    with pytest.raises(errors.InvalidLink):
        preferences.unsubscribe("ghost", "o1", "l1", T0 + timedelta(days=1), T0)
