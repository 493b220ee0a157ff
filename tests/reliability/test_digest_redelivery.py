"""A new request filed in an admin's digest is there once, whatever the stream
redelivers: the record retried after SES failed, or the whole batch again."""

from __future__ import annotations

import boto3

from tests.conftest import REGION, TABLE
from tests.reliability.harness import client_error, first


def _digest_entries(user_id: str) -> list[str]:
    items = boto3.client("dynamodb", region_name=REGION).query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"NOTICE#{user_id}"}},
        ConsistentRead=True,
    )["Items"]
    return [key for item in items for key in item["entries"]["M"]]


def test_a_record_retried_after_ses_failed_files_its_digest_entry_once(rig):
    # GIVEN an organization whose second admin reads new requests in a daily digest, and
    # SES refusing the first admin's email five times in a row (one whole invocation)
    org_id, admins = rig.organization(admins=2)
    rig.first.preferences.update(admins[1].caller, {"admin_emails": "daily_digest"})
    rig.settle()
    _, request = rig.ask(org_id)
    faults = rig.ses_faults(first(5, client_error("TooManyRequestsException", 429)))
    # WHEN the stream delivers the record, which is retried, then the whole batch again
    mapping = rig.mapping()
    mapping.pump()
    rig.rewind()
    mapping.pump()
    # THEN the first admin got one email, after the retry
    figures = rig.tally("digest admin, SES fails one invocation", rig.round_of(request, admins[:1]))
    assert (figures.expected, figures.sent, figures.duplicated, figures.lost) == (1, 1, 0, 0)
    assert faults.injected == 5 and mapping.invocations >= 2
    # AND the second admin's digest holds the request once (filed by both invocations)
    assert _digest_entries(admins[1].user_id) == [f"{org_id}#{request.id}"]
    assert rig.metrics.counts["DigestEntriesFiled"] == 2
