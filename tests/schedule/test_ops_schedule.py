"""`python -m ops schedule`: one pass at a chosen now, what it prints, how it fails."""

from __future__ import annotations

import io
import json

from ops.cli import USAGE, main
from tests.schedule.conftest import at


def _ops(container, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), container=container, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_schedule_runs_a_pass_at_the_chosen_now_and_says_what_it_did(lifecycle, container):
    # GIVEN two requests to Etalab, one a month old, one three days old
    alice = lifecycle.user("alice")
    org_id = lifecycle.organization("Etalab", alice)
    old = lifecycle.ask(lifecycle.user("rita"), org_id, at(0))
    lifecycle.ask(lifecycle.user("bob"), org_id, at(27))
    lifecycle.run(at(0, 1))
    lifecycle.run(at(10))

    # WHEN the operator runs a pass at day 30, one minute after the first expired
    code, out, _ = _ops(container, "schedule", "--now", at(30, 1).isoformat().replace("+00:00", "Z"))

    # THEN it expired the old one and reminded Alice of the other, and says so
    assert code == 0
    assert out.splitlines()[0] == "expired 1, reminded 1 requests (1 notices), closed 1 notices"
    assert f"next pass starts at {at(30).date()}" in out
    assert lifecycle.request_item(org_id, old)["status"] == "expired"

    # WHEN it runs again with --json
    code, out, _ = _ops(container, "schedule", "--now", at(30, 1).isoformat(), "--json")

    # THEN nothing more was due
    assert code == 0
    report = json.loads(out)
    assert (report["expired"], report["reminded"], report["closed"], report["finished"]) == (0, 0, 0, True)


def test_schedule_refuses_a_moment_without_time_zone(container, items, capsys):
    # GIVEN the table as it is
    before = items()

    # WHEN the operator gives a moment without its time zone
    code, out, _ = _ops(container, "schedule", "--now", "2027-01-05T10:00:00")

    # THEN argparse says what is wrong, and no pass ran
    assert code == USAGE
    assert out == ""
    assert "give its time zone" in capsys.readouterr().err
    assert items() == before
