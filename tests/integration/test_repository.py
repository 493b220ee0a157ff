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


def test_a_member_item_names_its_organization_so_one_query_lists_a_users_organizations(world, item):
    # GIVEN Erin, who joined Etalab, and Alice, who founded it
    erin = item(f"ORG#{world.org_id}", "MEMBER#erin")
    alice = item(f"ORG#{world.org_id}", "MEMBER#alice")
    # THEN each member item carries the organization's name, beside its index keys
    assert (erin["organization_name"], erin["GSI2PK"], erin["GSI2SK"]) == (
        "Etalab",
        "USER#erin",
        f"MEMBER#editor#{world.org_id}",
    )
    assert alice["organization_name"] == "Etalab"


def test_members_who_joined_before_items_named_their_organization_still_see_its_name(world):
    import boto3
    from pynamodb.connection import Connection

    from bench.meter import Meter
    from chalicelib.persistence.membership import PynamoMembershipRepository
    from chalicelib.persistence.tables import bind

    # GIVEN Erin's member item as it was written before it named its organization
    boto3.client("dynamodb", region_name=REGION).update_item(
        TableName=TABLE,
        Key={"PK": {"S": f"ORG#{world.org_id}"}, "SK": {"S": "MEMBER#erin"}},
        UpdateExpression="REMOVE organization_name",
    )
    # WHEN her organizations are listed (by a repository whose clients the meter sees made)
    with Meter(items=None) as meter:
        repository = PynamoMembershipRepository(bind(TABLE, region=REGION), Connection(region=REGION))
        with meter.measure() as measured:
            page = repository.list_user_organizations("erin", 10, None)
    # THEN the name is read from the organization's item, in one more call for the page
    assert [(m.organization_id, m.organization_name) for m in page.items] == [(world.org_id, "Etalab")]
    assert dict(measured.operations()) == {"Query": 1, "BatchGetItem": 1}
