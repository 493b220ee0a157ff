"""How the real ledger reports DynamoDB being unavailable, and what merging keeps."""

from __future__ import annotations

import pytest

from chalicelib.mail.ledger import LedgerUnavailable, RoundRecord
from chalicelib.repository import PynamoEmailLedger


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
def test_dynamodb_unavailable_is_reported_as_a_transient_ledger_failure(container, operation, call):
    from chalicelib.models import EmailRoundModel
    from tests.reliability.harness import Faults, always, client_error

    ledger = PynamoEmailLedger(48 * 3600)
    client = EmailRoundModel._get_connection().connection.client
    faults = Faults(client, operation, always(client_error("ProvisionedThroughputExceededException")))
    try:
        with pytest.raises(LedgerUnavailable, match="ProvisionedThroughputExceededException"):
            call(ledger)
    finally:
        faults.close()
