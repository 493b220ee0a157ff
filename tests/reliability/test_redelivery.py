"""Streams deliver at least once: the same records again, or twice at the same time."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from dataclasses import replace

from tests.reliability.harness import ScaledTime


def _records(rig):
    """The request records written since the last look."""
    from tests.reliability.harness import is_request_record

    return [record for record in rig.reader.read() if is_request_record(record)]


def _renamed(record, old_id: str, new_id: str, trial: int):
    """The same INSERT record for another request id, later in the shard."""
    renamed = json.loads(json.dumps(copy.deepcopy(record)).replace(old_id, new_id))
    renamed["dynamodb"]["SequenceNumber"] = str(int(record["dynamodb"]["SequenceNumber"]) + 1 + trial)
    return renamed


def test_a_batch_delivered_three_times_sends_each_email_once(rig):
    # GIVEN an organization with three admins, seven new requests, two accepted, one refused
    # before the stream saw them, four still pending
    org_id, admins = rig.organization(admins=3)
    asked = [rig.ask(org_id) for _ in range(7)]
    decided, pending = asked[:3], asked[3:]
    for (_, request), accept in zip(decided, (True, True, False), strict=True):
        rig.decide(admins[0], org_id, request.id, accept)
    event = {"Records": _records(rig)}
    # WHEN the same batch is delivered three times
    responses = [rig.invoke(event) for _ in range(3)]
    # THEN each email went out once (the admins hear of the pending requests only: the others
    # were closed before the stream saw them), and no delivery reported a failure
    expected = [email for requester, request in pending for email in rig.round_of(request, admins)]
    expected += rig.outcome_of(decided[0][1], decided[0][0]) + rig.outcome_of(decided[1][1], decided[1][0])
    expected += rig.outcome_of(decided[2][1], decided[2][0], accepted=False)
    figures = rig.tally("redelivery x3 (10 records)", expected, deliveries=3)
    assert (figures.expected, figures.sent, figures.duplicated, figures.lost) == (15, 15, 0, 0)
    assert responses == [{"batchItemFailures": []}] * 3
    # AND the redeliveries sent nothing more
    assert rig.metrics.counts["EmailsSent"] == 15
    # AND the closed requests' admin rounds are handled with nothing sent, once
    for _, request in decided:
        assert (rig.ledger_round(request.id)["handled"], rig.ledger_round(request.id).get("sent")) == (
            True,
            None,
        )
    assert rig.metrics.counts["RoundsSuperseded"] == 3


def test_two_passes_over_one_round_at_once_lose_nothing_and_count_every_double_send(rig):
    """Lambda runs one batch per shard at a time (ParallelizationFactor 1, pinned in
    infra/app-merge.yaml), so the stream's passes follow one another; an operator's
    forced resend during a live pass can overlap one. What must hold then: nothing lost, the
    ledger merges both passes, and every email sent twice is counted (EmailsDuplicated)
    rather than silent."""
    # GIVEN an organization with three admins
    import boto3

    from chalicelib.stream import process_records
    from tests.conftest import REGION, TABLE

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    org_id, admins = rig.organization(admins=3)
    expected, deferred = [], 0
    # Both containers really run at once: their clocks must agree with real time.
    time = ScaledTime(factor=100)
    processes = [rig._new_process(time), rig._new_process(time)]  # two warm containers
    _, template = rig.ask(org_id)
    [inserted] = _records(rig)
    requests = []
    for trial in range(50):
        # WHEN a new request's record is handed to two containers at the same moment
        # (a copy of a real record under a new request id, its item stored as the record
        # shows it, since the notifier checks the request is pending: the emulator's
        # transactions slow down as its stream grows)
        request = replace(template, id=uuid.uuid4().hex)
        requests.append(request)
        expected += rig.round_of(request, admins)
        record = _renamed(inserted, template.id, request.id, trial)
        dynamodb.put_item(TableName=TABLE, Item=record["dynamodb"]["NewImage"])
        event = {"Records": [record]}
        start = threading.Barrier(2)
        responses = [None, None]

        def run(index, processes=processes, start=start, responses=responses, event=event):
            start.wait()
            responses[index] = process_records(event, processes[index].notifier)

        threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # AND the stream retries whichever reported a failure
        for index, response in enumerate(responses):
            if response["batchItemFailures"]:
                deferred += 1
                assert process_records(event, processes[index].notifier) == {"batchItemFailures": []}
    # THEN every email went out, every double send was counted, and every round records
    # all three admins
    counted = rig.metrics.counts["EmailsDuplicated"]
    figures = rig.tally(
        "two passes at once x50 trials (a forced resend during a live pass)",
        expected,
        invocations_deferred=deferred,
        duplicates_counted=counted,
    )
    assert (figures.expected, figures.lost) == (150, 0)
    assert figures.duplicated == counted
    everyone = sorted(admin.user_id for admin in admins)
    assert all(sorted(rig.ledger_round(request.id)["sent"]) == everyone for request in requests)
