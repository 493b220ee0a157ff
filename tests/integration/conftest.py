"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["dynamodb", "fake"])
def ledger(request, container):
    # Imported here: conftest files load before the root conftest sets the test
    # environment, and the models read the table name when first imported.
    from chalicelib.repository import PynamoEmailLedger
    from tests.fakes import InMemoryEmailLedger

    if request.param == "dynamodb":
        return PynamoEmailLedger(48 * 3600, clock=lambda: 1_700_000_000.0)
    return InMemoryEmailLedger()
