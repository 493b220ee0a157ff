"""The email ledger, real and fake, held to one contract."""

from __future__ import annotations

import pytest

from chalicelib.mail.ledger import RoundChanged, RoundRecord
from chalicelib.persistence.email_ledger import PynamoEmailLedger


def test_a_round_never_written_reads_empty_and_unhandled(ledger):
    assert ledger.read("r1", "requested") == RoundRecord("r1", "requested")


def test_a_round_reads_back_as_written_with_a_new_version(ledger):
    first = ledger.write(RoundRecord("r1", "requested", sent=frozenset({"alice"})))
    second = ledger.write(first.with_failed("bea", "no_email_address").as_handled())
    stored = ledger.read("r1", "requested")
    assert stored == second
    assert (stored.sent, dict(stored.failed), stored.handled) == (
        {"alice"},
        {"bea": "no_email_address"},
        True,
    )
    assert first.version < second.version
    assert ledger.read("r1", "accepted") == RoundRecord("r1", "accepted")


def test_a_write_from_a_stale_read_is_refused_and_changes_nothing(ledger):
    seen = ledger.read("r1", "requested")
    ledger.write(seen.with_sent(["alice"]))
    with pytest.raises(RoundChanged):
        ledger.write(seen.with_sent(["bea"]))
    assert ledger.read("r1", "requested").sent == {"alice"}


def test_an_email_sent_after_being_given_up_counts_as_sent(ledger):
    given_up = ledger.write(RoundRecord("r1", "requested").with_failed("alice", "MessageRejected"))
    ledger.write(given_up.with_sent(["alice"]))
    stored = ledger.read("r1", "requested")
    assert (stored.state("alice"), dict(stored.failed)) == ("sent", {})


def test_round_records_expire_after_the_stream_window(container, item):
    PynamoEmailLedger(container.aws.tables.rounds, 48 * 3600, clock=lambda: 1_700_000_000.0).write(
        RoundRecord("r1", "requested", sent=frozenset({"alice", "bea"}), handled=True)
    )
    stored = item("EMAIL#r1#requested", "ROUND")
    assert (sorted(stored["sent"]), stored["handled"], int(stored["expires_at"])) == (
        ["alice", "bea"],
        True,
        1_700_000_000 + 48 * 3600,
    )
