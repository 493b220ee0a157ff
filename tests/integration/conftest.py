"""Fixtures shared by the integration tests."""
from __future__ import annotations

import pytest


@pytest.fixture(params=["dynamodb", "fake"])
def ledger_and_clock(request, container):
    # Imported here: conftest files load before the root conftest sets the test
    # environment, and the models read the table name when first imported.
    from chalicelib.repository import PynamoEmailLedger
    from tests.fakes import InMemoryEmailLedger

    clock = [1_700_000_000.0]
    if request.param == "dynamodb":
        return PynamoEmailLedger(120, 48 * 3600, clock=lambda: clock[0]), clock
    return InMemoryEmailLedger(120, clock=lambda: clock[0]), clock
