"""Processes die: between two recipients, in the middle of a send, and in the one window
no protocol closes (SES accepted the message, the ledger does not know yet)."""

from __future__ import annotations

import statistics
import time

import pytest

from tests.reliability.harness import FIGURES, Figures, KillSwitch


@pytest.mark.parametrize(
    ("where", "switch", "wrapped"),
    [
        (
            "after the first of three recipients was recorded",
            KillSwitch("write", at_call=1, after=True),
            "ledger",
        ),
        ("while SES was called for the second recipient", KillSwitch("send", at_call=2), "mailer"),
    ],
)
def test_a_crash_between_or_before_sends_loses_and_doubles_nothing(rig, where, switch, wrapped):
    # GIVEN a new request for an organization with three admins, and a process that dies
    org_id, admins = rig.organization(admins=3)
    _, request = rig.ask(org_id)
    setattr(rig, f"{wrapped}_wrapper", switch.wrap)
    rig.restart()
    # WHEN the stream delivers the record (Lambda retries the batch on a new container)
    mapping = rig.mapping()
    mapping.pump()
    # THEN each admin got the email once, and the retry waited for nothing
    figures = rig.tally(
        f"crash {where}",
        rig.round_of(request, admins),
        crashes=mapping.crashes,
        invocations=mapping.invocations,
        pauses=len(rig.clock.pauses),
    )
    assert switch.fired and mapping.crashes == 1
    assert (figures.sent, figures.duplicated, figures.lost) == (3, 0, 0)
    assert rig.clock.pauses == []
    stored = rig.ledger_round(request.id)
    assert (sorted(stored["sent"]), stored["handled"]) == (sorted(a.user_id for a in admins), True)


def test_a_crash_after_ses_accepted_and_before_the_ledger_knew_sends_that_email_twice(rig):
    """The documented case: the one window no protocol closes without SES idempotency."""
    # GIVEN a process that dies right after SES accepted the second admin's email
    org_id, admins = rig.organization(admins=3)
    _, request = rig.ask(org_id)
    switch = KillSwitch("send", at_call=2, after=True)
    rig.mailer_wrapper = switch.wrap
    rig.restart()
    # WHEN the stream delivers the record and Lambda retries it on a new container
    mapping = rig.mapping()
    mapping.pump()
    # THEN nothing is lost and exactly that one email went out twice
    figures = rig.tally(
        "crash after SES accepted, before the round was written (documented)",
        rig.round_of(request, admins),
        crashes=mapping.crashes,
    )
    assert (figures.expected, figures.sent, figures.duplicated, figures.lost) == (3, 4, 1, 0)


def test_the_window_between_ses_acceptance_and_the_ledger_record_is_one_ledger_write(rig):
    # GIVEN the real SES and ledger adapters on the emulator, timed
    org_id, _ = rig.organization(admins=3)
    accepted_at: dict[str, float] = {}
    windows: list[float] = []
    between: list[int] = []
    calls = {"n": 0}

    class Timed:
        def __init__(self, inner, kind):
            self._inner, self._kind = inner, kind

        def __getattr__(self, name):
            attribute = getattr(self._inner, name)

            def call(*args, **kwargs):
                result = attribute(*args, **kwargs)
                if self._kind == "mailer" and name == "send":
                    accepted_at[args[0].to] = time.perf_counter()
                    calls["n"] = 0
                elif self._kind == "ledger":
                    calls["n"] += 1
                    if name == "write":
                        windows.append(time.perf_counter() - accepted_at.popitem()[1])
                        between.append(calls["n"])
                return result

            return call

    rig.mailer_wrapper = lambda inner: Timed(inner, "mailer")
    rig.ledger_wrapper = lambda inner: Timed(inner, "ledger")
    rig.restart()
    # WHEN 20 requests are delivered (60 emails)
    for _ in range(20):
        rig.ask(org_id)
    rig.mapping().pump()
    # THEN each email's window is the one ledger write that follows the send
    assert len(windows) == 60 and set(between) == {1}
    quantiles = statistics.quantiles([w * 1000 for w in windows], n=100, method="inclusive")
    figures = Figures(
        "post-send window (SES accepted -> ledger marked sent)",
        60,
        len(windows),
        0,
        0,
        {
            "p50_ms": round(statistics.median(windows) * 1000, 2),
            "p99_ms": round(quantiles[98], 2),
            "max_ms": round(max(windows) * 1000, 2),
            "ledger_calls_in_window": 1,
        },
    )
    FIGURES.append(figures)
