"""How the real ledger reports DynamoDB being unavailable, and what merging keeps."""

from __future__ import annotations

import pytest

from chalicelib.mail.ledger import LedgerUnavailable, RoundRecord
from chalicelib.persistence.email_ledger import PynamoEmailLedger
from tests.conftest import REGION, TABLE


def test_merging_keeps_what_either_pass_knows():
    ours = RoundRecord("r1", "requested", sent=frozenset({"bea"})).with_failed("carl", "no_email_address")
    stored = RoundRecord("r1", "requested", sent=frozenset({"alice"}), handled=True, version=4)
    merged = ours.merged_into(stored)
    assert (merged.sent, dict(merged.failed), merged.handled, merged.version) == (
        {"alice", "bea"},
        {"carl": "no_email_address"},
        True,
        4,
    )


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("GetItem", lambda ledger: ledger.read("r", "requested")),
        ("PutItem", lambda ledger: ledger.write(RoundRecord("r", "requested", sent=frozenset({"a"})))),
    ],
)
def test_dynamodb_unavailable_is_reported_as_a_transient_ledger_failure(aws, operation, call):
    from chalicelib.persistence.tables import bind
    from tests.reliability.harness import Faults, NewClients, always, client_error

    faults = Faults(None, operation, always(client_error("ProvisionedThroughputExceededException")))
    # A freshly bound model creates its client on first use: catch it as it is created.
    clients = NewClients("dynamodb").install()
    clients.each(faults.attach)
    ledger = PynamoEmailLedger(bind(TABLE, region=REGION).rounds, 48 * 3600)
    try:
        with pytest.raises(LedgerUnavailable, match="ProvisionedThroughputExceededException"):
            call(ledger)
    finally:
        clients.uninstall()
        faults.close()
