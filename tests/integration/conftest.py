"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from chalicelib.persistence.email_ledger import PynamoEmailLedger
from devstack.fakes import InMemoryEmailLedger


@pytest.fixture(params=["dynamodb", "fake"])
def ledger(request, container):
    if request.param == "dynamodb":
        return PynamoEmailLedger(container.aws.tables.rounds, 48 * 3600, clock=lambda: 1_700_000_000.0)
    return InMemoryEmailLedger()
