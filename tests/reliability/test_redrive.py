"""Records that exhausted their retries reach the failure queue; the operator's re-drive
sends their emails once, in order; other requests were never held up meanwhile."""

from __future__ import annotations

import io
import json

from devstack.streams import StreamReader
from tests.reliability.harness import addressed_to, client_error


def _redrive(rig, *extra):
    from ops.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--json", "redrive", "--queue-url", rig.queue_url, *extra], container=rig.process, out=out, err=err
    )
    return code, json.loads(out.getvalue() or "null"), err.getvalue()


def _audit(rig) -> list[dict]:
    from ops.cli import main

    out = io.StringIO()
    assert main(["--json", "audit"], container=rig.process, out=out, err=io.StringIO()) == 0
    return json.loads(out.getvalue())["actions"]


def test_the_failure_queue_is_redriven_once_in_order_and_held_up_nobody_else(rig):
    # GIVEN two organizations, and SES refusing every email to the first one's admins
    # (its sending paused, say) for longer than the stream's retries
    org_a, admins_a = rig.organization(admins=3)
    org_b, admins_b = rig.organization(admins=3)
    paused = client_error("SendingPausedException", 400, "Sending paused for this account.")
    for admin in admins_a:
        rig.ses_faults(addressed_to(admin.email, paused))
    mapping = rig.mapping(maximum_retry_attempts=2)
    # WHEN a request to each arrives, then both are accepted
    rita, request_a = rig.ask(org_a)
    mapping.pump()
    bob, request_b = rig.ask(org_b)
    mapping.pump()
    rig.decide(admins_a[0], org_a, request_a.id)
    rig.decide(admins_b[0], org_b, request_b.id)
    mapping.pump()
    # THEN the second organization's emails all went out at once
    sent_before = [m.destinations["ToAddresses"][0] for m in rig.sent()]
    assert sorted(sent_before) == sorted([a.email for a in admins_b] + [bob.email])
    # AND the first request's records, its new-request round and then its outcome (which
    # waits for that round), reached the failure queue: two ranges, the second with the
    # second request's outcome behind it (handled already; replaying it sends nothing)
    assert rig.queue_depth() == 2 and mapping.records_to_failure_queue == 3

    # WHEN SES works again and the operator re-drives the queue
    rig.close()
    code, report, _ = _redrive(rig)
    # THEN the first request's outcome went out; its admins were not told of a request
    # accepted meanwhile, yet its round was closed first, so the outcome did not wait
    assert code == 0 and report["remaining"] == 0 and report["records_replayed"] == 3
    assert [r["outcome"] for r in report["ranges"]] == ["replayed", "replayed"]
    sent_after = [m.destinations["ToAddresses"][0] for m in rig.sent()][len(sent_before) :]
    assert sent_after == [rita.email]
    assert (rig.ledger_round(request_a.id)["handled"], rig.ledger_round(request_a.id).get("sent")) == (
        True,
        None,
    )
    assert rig.queue_depth() == 0
    # AND re-driving again, or the stream redelivering everything, sends nothing more
    assert _redrive(rig)[1]["ranges"] == []
    # AND the re-drive that did something is recorded, with the requests it replayed
    [action] = _audit(rig)
    assert (action["action"], action["subject"], action["organization_id"]) == (
        "redrive",
        rig.queue_url,
        None,
    )
    assert action["details"]["requests"] == sorted([f"{org_a}/{request_a.id}", f"{org_b}/{request_b.id}"])
    assert (action["details"]["replayed_ranges"], action["details"]["records"]) == (2, 3)
    ours = {f"REQ#{request_a.id}", f"REQ#{request_b.id}"}
    everything = StreamReader(rig.streams, rig.aws.stream_arn).read()
    replay = [r for r in everything if r["dynamodb"]["Keys"]["SK"]["S"] in ours]
    assert len(replay) == 4 and rig.invoke({"Records": replay}) == {"batchItemFailures": []}
    expected = (
        rig.outcome_of(request_a, rita) + rig.round_of(request_b, admins_b) + rig.outcome_of(request_b, bob)
    )
    figures = rig.tally(
        "failure queue re-driven by `python -m ops redrive`",
        expected,
        records_to_failure_queue=mapping.records_to_failure_queue,
        messages_redriven=len(report["ranges"]),
    )
    assert (figures.expected, figures.sent, figures.duplicated, figures.lost) == (5, 5, 0, 0)
