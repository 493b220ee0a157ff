"""Composing a round's messages: who is told, in which language, with which words. Driven
through the services on the in-memory repository, as the stream would find the table."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain import Caller, Role, Transition
from chalicelib.errors import OrganizationNotFound
from chalicelib.services.membership_requests import MembershipRequestService
from chalicelib.services.messages import Links, MessageComposer
from chalicelib.services.organizations import OrganizationService
from devstack.fakes import InMemoryMembershipRepository, RecordingMetrics

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ALICE = Caller("alice", "Alice", "alice@example.org", "en", email_verified=True)
BEA = Caller("bea", "Bea", "bea@example.org", "fr", email_verified=True)
PAUL = Caller("paul", "Paul", "paul@example.org", "fr", email_verified=True)


class World:
    """Alice (English) founded Etalab, Bea (French) joined as admin, Paul asked to join."""

    def __init__(self) -> None:
        self.repository = InMemoryMembershipRepository()
        ids = (f"{n:032x}" for n in itertools.count(1))
        self.organizations = OrganizationService(self.repository, lambda: NOW, lambda: next(ids))
        self.requests = MembershipRequestService(self.repository, lambda: NOW, lambda: next(ids), 10, 0)
        self.org_id = self.organizations.create(ALICE, "Etalab", "").organization.id
        self.requests.accept(ALICE, self.org_id, self.requests.ask(BEA, self.org_id, "hi").id, Role.ADMIN)
        self.paul = self.requests.ask(PAUL, self.org_id, "I publish open data.")
        self.metrics = RecordingMetrics()
        self.composer = MessageComposer(self.repository, Links("https://front.test"), 25, self.metrics)


@pytest.fixture
def world() -> World:
    return World()


def test_a_new_request_is_composed_for_each_admin_in_their_language(world):
    # WHEN the round of Paul's new request is composed
    messages = world.composer.compose(world.paul, Transition.REQUESTED)
    # THEN each admin, earliest first, gets one message in their language, with the link to review it
    assert [(recipient_id, m.to, m.subject) for recipient_id, m in messages] == [
        ("alice", "alice@example.org", 'New request to join "Etalab"'),
        ("bea", "bea@example.org", "Nouvelle demande d'adhésion à « Etalab »"),
    ]
    review = f"https://front.test/organizations/{world.org_id}/membership-requests/{world.paul.id}"
    assert all(review in m.text and "paul@example.org" in m.text for _, m in messages)


def test_a_decision_is_composed_for_the_requester_with_the_role_in_their_language(world):
    # GIVEN Paul accepted as an editor
    accepted, _ = world.requests.accept(ALICE, world.org_id, world.paul.id, Role.EDITOR)
    # WHEN its round is composed THEN Paul alone is told, in French, with the French word for his role
    [(recipient_id, message)] = world.composer.compose(accepted, Transition.ACCEPTED)
    assert (recipient_id, message.to, message.subject) == (
        "paul",
        "paul@example.org",
        "Votre demande d'adhésion à « Etalab » a été acceptée",
    )
    assert "éditeur" in message.text and "editor" not in message.text


def test_a_request_decided_before_its_round_is_composed_is_announced_to_nobody(world):
    # GIVEN Paul accepted as an admin before the stream handled his new request
    world.requests.accept(ALICE, world.org_id, world.paul.id, Role.ADMIN)
    # WHEN the round of his new request is composed THEN nobody is told, and it is counted
    assert world.composer.compose(world.paul, Transition.REQUESTED) == []
    assert world.metrics.counts["RoundsSuperseded"] == 1


def test_a_recipient_without_an_address_gets_no_message(world):
    # GIVEN Bea's stored profile has lost its address
    world.repository.profiles_by_id["bea"].profile = replace(
        world.repository.profiles(["bea"])["bea"], email=""
    )
    # WHEN the round is composed THEN Bea is still a recipient, with no message to send
    messages = world.composer.compose(world.paul, Transition.REQUESTED)
    assert [(recipient_id, message is None) for recipient_id, message in messages] == [
        ("alice", False),
        ("bea", True),
    ]


def test_a_round_of_an_organization_that_is_gone_cannot_be_composed(world):
    # GIVEN a request naming an organization that does not exist
    unknown = replace(world.paul, organization_id="f" * 32)
    # THEN composing its round says so, and counts no superseded round
    with pytest.raises(OrganizationNotFound):
        world.composer.compose(unknown, Transition.REQUESTED)
    assert world.metrics.counts == {}
