"""What only the DynamoDB repository can show: the table itself. The rules it shares with
the in-memory repository are asserted on both in tests/contract/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import Caller
from chalicelib.errors import OrganizationNotFound
from chalicelib.services.membership_requests import MembershipRequestService
from tests.conftest import REGION, TABLE
from tests.factories import table_items

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_asking_to_join_a_vanished_organization_writes_nothing(world, container):
    # GIVEN the table as the world left it
    before = table_items(REGION, TABLE)
    service = MembershipRequestService(container.repository, lambda: NOW, lambda: "f" * 32, 10, 300)
    # WHEN Paul asks to join an organization that does not exist
    with pytest.raises(OrganizationNotFound):
        service.ask(Caller("paul", "Paul", "p@x.org", "fr", email_verified=True), "e" * 32, "hi")
    # THEN the transaction wrote no item at all: no request, no lock, no profile, no counter
    assert table_items(REGION, TABLE) == before
