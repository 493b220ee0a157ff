"""The ledger's failure states and round markers, real and fake held to one contract, and
how the real one reports DynamoDB being unavailable."""
from __future__ import annotations

import pytest

from chalicelib.mail.ledger import LedgerUnavailable
from chalicelib.repository import PynamoEmailLedger


def test_a_given_up_email_stays_given_up_unless_an_operator_retries_it(ledger_and_clock):
    ledger, _ = ledger_and_clock
    assert ledger.claim("k", "t1")
    ledger.mark_failed("k", "t1", "MessageRejected")
    assert ledger.state("k") == "failed"
    assert not ledger.claim("k", "t2")
    assert ledger.claim("k", "t3", retry_failed=True)
    assert ledger.mark_sent("k", "t3", "m-1") and ledger.state("k") == "sent"
    assert not ledger.claim("k", "t4", retry_failed=True)


def test_a_mark_by_a_worker_whose_claim_was_taken_over_is_refused(ledger_and_clock):
    ledger, clock = ledger_and_clock
    assert ledger.claim("k", "slow")
    clock[0] += 121
    assert ledger.claim("k", "fast")
    assert not ledger.mark_sent("k", "slow", "m-slow")
    assert ledger.mark_sent("k", "fast", "m-fast")


def test_a_live_claim_says_when_it_may_be_taken_over(ledger_and_clock):
    ledger, clock = ledger_and_clock
    assert ledger.seconds_until_stale("k") is None
    assert ledger.claim("k", "t1")
    assert ledger.seconds_until_stale("k") == 121
    clock[0] += 100
    assert ledger.seconds_until_stale("k") == 21
    ledger.mark_sent("k", "t1", "m")
    assert ledger.seconds_until_stale("k") is None


def test_a_round_is_handled_once_marked(ledger_and_clock):
    ledger, _ = ledger_and_clock
    assert not ledger.round_handled("r1", "requested")
    ledger.mark_round_handled("r1", "requested")
    assert ledger.round_handled("r1", "requested")
    assert not ledger.round_handled("r1", "accepted")


def test_round_markers_expire_with_the_ledger(container, item):
    PynamoEmailLedger(120, 48 * 3600, clock=lambda: 1_700_000_000.0).mark_round_handled("r1", "requested")
    stored = item("EMAIL#r1#requested", "ROUND")
    assert (stored["state"], int(stored["expires_at"])) == ("handled", 1_700_000_000 + 48 * 3600)


@pytest.mark.parametrize(("operation", "call"), [
    ("PutItem", lambda ledger: ledger.claim("k", "t")),
    ("GetItem", lambda ledger: ledger.state("k")),
    ("GetItem", lambda ledger: ledger.round_handled("r", "requested")),
    ("UpdateItem", lambda ledger: ledger.mark_sent("k", "t", "m")),
    ("DeleteItem", lambda ledger: ledger.release("k", "t")),
])
def test_dynamodb_unavailable_is_reported_as_a_transient_ledger_failure(container, operation, call):
    from chalicelib.models import SentEmailModel
    from tests.reliability.harness import Faults, always, client_error

    ledger = PynamoEmailLedger(120, 48 * 3600)
    client = SentEmailModel._get_connection().connection.client
    faults = Faults(client, operation, always(client_error("ProvisionedThroughputExceededException")))
    try:
        with pytest.raises(LedgerUnavailable, match="ProvisionedThroughputExceededException"):
            call(ledger)
    finally:
        faults.close()
