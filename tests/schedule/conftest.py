"""A controlled clock over the scheduled pass on moto: organizations and members made
through the API, pending requests written as the ask writes them but at a chosen
moment, passes run at a chosen ``now``, and the stream delivered to see the emails."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain import (
    MembershipRequest,
    OrganizationSettings,
    RequestSchedule,
    RequestStatus,
    UserProfile,
    UserRef,
)
from chalicelib.persistence import keys
from tests.factories import User

#: Far enough in the past that every moment of a test (up to 40 days later) is too: the
#: stream's ordering rule then never waits for a round the test did not deliver.
T0 = (datetime.now(UTC) - timedelta(days=60)).replace(hour=9, minute=0, second=0, microsecond=0)


def at(days: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, minutes=minutes)


@dataclass
class Email:
    to: str
    subject: str
    body: str


@dataclass
class Lifecycle:
    container: Any
    flows: Any
    make_user: Any
    stream: Any
    aws: Any
    item: Any
    users: dict[str, User] = field(default_factory=dict)
    _mark: int = 0

    def user(self, sub: str, locale: str = "fr") -> User:
        if sub not in self.users:
            self.users[sub] = self.make_user(sub, locale=locale, name=f"{sub.title()} Test")
        return self.users[sub]

    def organization(self, name: str, *admins: User) -> str:
        org_id = self.flows.organization(admins[0], name)
        for admin in admins[1:]:
            self.flows.member(admins[0], admin, org_id, "admin")
        return org_id

    def ask(
        self, requester: User, org_id: str, created_at: datetime, comment: str = "I publish data."
    ) -> str:
        """A pending request as the ask path writes it, made at ``created_at`` with the
        default settings' schedule (expiry 30 days, reminders after 3 and 7)."""
        request_id = uuid.uuid4().hex
        request = MembershipRequest(
            id=request_id,
            organization_id=org_id,
            user=UserRef(requester.sub, requester.name),
            comment=comment,
            status=RequestStatus.PENDING,
            created_at=created_at,
            schedule=RequestSchedule.for_new_request(created_at, OrganizationSettings()),
        )
        profile = UserProfile(requester.sub, requester.name, requester.email, requester.locale)
        self.container.repository.create_request(request, profile, max_pending=10, cooldown_seconds=0)
        return request_id

    def run(self, now: datetime, **kwargs):
        return self.container.schedule.run(now, **kwargs)

    def emails(self) -> list[Email]:
        """The emails sent since the last call, once the stream has delivered."""
        self.stream.deliver()
        sent = self.aws.emails()
        new, self._mark = sent[self._mark :], len(sent)
        return [Email(m.destinations["ToAddresses"][0], m.subject, m.body) for m in new]

    def request_item(self, org_id: str, request_id: str) -> dict:
        return self.item(keys.org_pk(org_id), keys.request_sk(request_id))


@pytest.fixture
def lifecycle(container, flows, make_user, stream, aws, item) -> Lifecycle:
    return Lifecycle(container, flows, make_user, stream, aws, item)
