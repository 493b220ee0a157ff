"""A poison record never blocks its shard; the idempotency store failing never loses or
doubles an email."""

from __future__ import annotations

import boto3

from tests.conftest import REGION, TABLE
from tests.reliability.harness import client_error, first


def _write_unreadable(org_id: str) -> None:
    """A request item no model can read, written behind the application's back."""
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=TABLE,
        Item={"PK": {"S": f"ORG#{org_id}"}, "SK": {"S": "REQ#poison"}, "status": {"S": "bogus"}},
    )


def _write_orphan(org_id: str, like_request_id: str) -> None:
    """A well-formed request of an organization that does not exist."""
    table = boto3.client("dynamodb", region_name=REGION)
    real = table.get_item(
        TableName=TABLE, Key={"PK": {"S": f"ORG#{org_id}"}, "SK": {"S": f"REQ#{like_request_id}"}}
    )["Item"]
    table.put_item(
        TableName=TABLE,
        Item=real
        | {
            "PK": {"S": "ORG#no-such-org"},
            "SK": {"S": "REQ#orphan"},
            "organization_id": {"S": "no-such-org"},
            "request_id": {"S": "orphan"},
        },
    )


def test_a_poison_record_in_a_batch_of_ten_delays_nothing_behind_it(rig):
    # GIVEN a batch of ten request records: eight good, one unreadable, one whose
    # organization does not exist
    org_id, admins = rig.organization(admins=3)
    asked = [rig.ask(org_id) for _ in range(4)]
    _write_unreadable(org_id)  # 5th
    asked += [rig.ask(org_id) for _ in range(2)]
    _write_orphan(org_id, asked[0][1].id)  # 8th
    asked += [rig.ask(org_id) for _ in range(2)]
    # WHEN the stream delivers them in one batch
    mapping = rig.mapping(batch_size=10)
    mapping.pump()
    # THEN the eight good requests' emails went out in that one invocation, and the two
    # bad records were acknowledged and counted, not retried
    expected = [email for _, request in asked for email in rig.round_of(request, admins)]
    figures = rig.tally(
        "poison record in a batch of 10",
        expected,
        invocations=mapping.invocations,
        rejected=rig.metrics.counts["RecordsRejected"],
        retried_records=rig.metrics.counts["RecordsRetried"],
    )
    assert (figures.expected, figures.sent, figures.duplicated, figures.lost) == (24, 24, 0, 0)
    assert mapping.invocations == 1
    assert rig.metrics.counts["RecordsRejected"] == 2
    assert mapping.records_to_failure_queue == 0
    # AND their rounds count as handled, so that a later outcome waits for nothing
    assert rig.ledger_round("poison")["handled"] is True
    assert rig.ledger_round("orphan")["handled"] is True


def _throttled():
    return client_error("ProvisionedThroughputExceededException", 400, "Rate of requests exceeds")


def test_writes_refused_by_a_throttled_ledger_are_retried_in_place(rig):
    # GIVEN the ledger throttling its first three writes
    org_id, admins = rig.organization(admins=3)
    _, request = rig.ask(org_id)
    faults = rig.ledger_faults("PutItem", first(3, _throttled()))
    # WHEN the record is delivered
    mapping = rig.mapping()
    mapping.pump()
    # THEN the writes were retried inside the invocation and every email went out once
    figures = rig.tally(
        "idempotency store throttles 3 writes",
        rig.round_of(request, admins),
        injected=faults.injected,
        ledger_retries=rig.metrics.counts["LedgerRetried"],
        invocations=mapping.invocations,
    )
    assert (figures.sent, figures.duplicated, figures.lost) == (3, 0, 0)
    assert (faults.injected, mapping.invocations) == (3, 1)
    assert sorted(rig.ledger_round(request.id)["sent"]) == sorted(a.user_id for a in admins)


def test_a_sent_email_the_ledger_could_not_record_is_recorded_not_resent(rig):
    # GIVEN the ledger refusing five writes in a row: SES accepted the first admin's
    # email, and the notifier cannot record it within the invocation
    org_id, admins = rig.organization(admins=3)
    _, request = rig.ask(org_id)
    faults = rig.ledger_faults("PutItem", first(5, _throttled()))
    # WHEN the record is delivered, reported, and retried by the stream on the same
    # (warm) container
    mapping = rig.mapping()
    mapping.pump()
    # THEN the email was recorded at the retry instead of being sent again
    figures = rig.tally(
        "idempotency store refuses 5 writes after a send",
        rig.round_of(request, admins),
        injected=faults.injected,
        unrecorded=rig.metrics.counts["EmailsUnrecorded"],
        invocations=mapping.invocations,
    )
    assert (figures.sent, figures.duplicated, figures.lost) == (3, 0, 0)
    assert rig.metrics.counts["EmailsUnrecorded"] == 1 and mapping.invocations == 2
    stored = rig.ledger_round(request.id)
    assert (sorted(stored["sent"]), stored["handled"]) == (sorted(a.user_id for a in admins), True)


def test_a_ledger_down_for_a_whole_invocation_sends_nothing_then_everything_once(rig):
    # GIVEN the ledger unreachable for the whole first invocation (its first reads fail)
    org_id, admins = rig.organization(admins=3)
    _, request = rig.ask(org_id)
    faults = rig.ledger_faults("GetItem", first(5, client_error("InternalServerError", 500)))
    # WHEN the record is delivered and retried
    mapping = rig.mapping()
    mapping.pump()
    # THEN the first invocation sent nothing and reported the record; the retry sent all
    figures = rig.tally(
        "idempotency store down for one invocation",
        rig.round_of(request, admins),
        injected=faults.injected,
        invocations=mapping.invocations,
    )
    assert (figures.sent, figures.duplicated, figures.lost) == (3, 0, 0)
    assert (faults.injected, mapping.invocations) == (5, 2)
