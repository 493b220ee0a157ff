"""The preferences service's rules on the in-memory repositories, and when digests fall due."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import AdminEmails, Caller, Membership, Organization, Role, UserProfile
from chalicelib.errors import EmailNotVerified, InvalidLink, InvalidRequest
from chalicelib.mail.unsubscribe import UnsubscribeLinks
from chalicelib.services.digests import next_digest
from chalicelib.services.preferences import PreferencesService
from devstack.fakes import InMemoryMembershipRepository, InMemoryPreferencesRepository

NOW = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
O1, O2 = "1" * 32, "2" * 32
ALICE = Caller("alice", "Alice", "alice@example.org", "en", email_verified=True)


def _service(with_links: bool = True):
    membership = InMemoryMembershipRepository()
    for org_id, admin in ((O1, "alice"), (O2, "bob")):
        organization = Organization(org_id, f"Org {org_id[0]}", "", NOW, 1, 1, 0)
        profile = UserProfile(admin, admin.title(), f"{admin}@example.org", "fr")
        membership.create_organization(
            organization,
            profile,
            Membership(org_id, admin, admin.title(), Role.ADMIN, NOW, organization.name),
        )
    links = (
        UnsubscribeLinks(lambda: b"key", "https://api", lambda: NOW, lambda: "f" * 32) if with_links else None
    )
    return PreferencesService(InMemoryPreferencesRepository(membership), links, lambda: NOW), links


def test_an_update_merges_the_fields_given_and_names_the_muted_organizations():
    service, _ = _service()
    service.update(ALICE, {"admin_emails": "daily_digest", "language": "fr"})
    view = service.update(ALICE, {"muted_organizations": [O1]})
    assert view.preferences.admin_emails is AdminEmails.DAILY_DIGEST
    assert view.preferences.language == "fr"
    assert [(org.id, org.name) for org in view.muted] == [(O1, "Org 1")]
    assert service.get(ALICE) == view


@pytest.mark.parametrize("muted", [[O2], [O1, "9" * 32], [f"{n:032x}" for n in range(101)]])
def test_muting_an_organization_the_caller_does_not_administer_changes_nothing(muted):
    service, _ = _service()
    before = service.get(ALICE)
    with pytest.raises(InvalidRequest):
        service.update(ALICE, {"admin_emails": "off", "muted_organizations": muted})
    assert service.get(ALICE) == before


def test_a_caller_without_a_verified_address_stores_nothing():
    service, _ = _service()
    unverified = Caller("carol", "Carol", "carol@example.org", "fr", email_verified=False)
    with pytest.raises(EmailNotVerified):
        service.update(unverified, {"admin_emails": "off"})
    assert service.get(unverified).preferences.admin_emails is AdminEmails.IMMEDIATE


def test_without_a_signing_key_every_link_is_invalid():
    service, _ = _service(with_links=False)
    with pytest.raises(InvalidLink):
        service.check_link("anything.at-all")
    with pytest.raises(InvalidLink):
        service.unsubscribe("anything.at-all")


def test_a_link_mutes_its_organization_for_its_user():
    service, links = _service()
    link = service.unsubscribe(links.token("alice", O1))
    assert (link.user_id, link.organization_id) == ("alice", O1)
    assert service.get(ALICE).preferences.muted_organizations == frozenset({O1})


@pytest.mark.parametrize(
    ("after", "due"),
    [
        (datetime(2027, 1, 5, 5, 59, tzinfo=UTC), datetime(2027, 1, 5, 6, 0, tzinfo=UTC)),
        (datetime(2027, 1, 5, 6, 0, tzinfo=UTC), datetime(2027, 1, 6, 6, 0, tzinfo=UTC)),
        (datetime(2027, 1, 5, 23, 30, tzinfo=UTC), datetime(2027, 1, 6, 6, 0, tzinfo=UTC)),
        (datetime(2027, 12, 31, 7, 0, tzinfo=UTC), datetime(2028, 1, 1, 6, 0, tzinfo=UTC)),
    ],
)
def test_a_digest_falls_due_at_the_next_digest_hour(after, due):
    assert next_digest(after, 6) == due
