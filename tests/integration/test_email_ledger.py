"""The email ledger, real and fake, held to one contract."""
from __future__ import annotations

from chalicelib.repository import PynamoEmailLedger


def test_an_email_is_claimed_once_and_stays_sent(ledger_and_clock):
    ledger, _ = ledger_and_clock
    assert ledger.claim("r#requested#alice", "t1")
    assert not ledger.claim("r#requested#alice", "t2")
    assert ledger.state("r#requested#alice") == "sending"
    ledger.mark_sent("r#requested#alice", "t1", "m-1")
    assert ledger.state("r#requested#alice") == "sent"
    assert not ledger.claim("r#requested#alice", "t3")


def test_a_released_claim_can_be_taken_again(ledger_and_clock):
    ledger, _ = ledger_and_clock
    assert ledger.claim("k", "t1")
    ledger.release("k", "t1")
    assert ledger.state("k") is None
    assert ledger.claim("k", "t2")


def test_a_stale_claim_is_taken_over_but_a_sent_mark_never(ledger_and_clock):
    ledger, clock = ledger_and_clock
    assert ledger.claim("stale", "t1")
    assert ledger.claim("done", "t1")
    ledger.mark_sent("done", "t1", "m")
    clock[0] += 121
    assert ledger.claim("stale", "t2")
    assert not ledger.claim("done", "t2")


def test_ledger_entries_expire_after_the_stream_window(container, item):
    clock = 1_700_000_000.0
    PynamoEmailLedger(120, 48 * 3600, clock=lambda: clock).claim("x", "t")
    stored = item("EMAIL#x", "EMAIL")
    assert int(stored["expires_at"]) == int(clock) + 48 * 3600
