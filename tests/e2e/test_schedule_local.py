"""The scheduled pass on the running local stack, run by an operator with a chosen now:
`python -m ops --local schedule --now ...` expires a month-old request and the stack's
stream pump emails its requester."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import UTCDateTimeAttribute

from chalicelib.domain import DueKind
from chalicelib.persistence import keys
from tests.e2e.test_ops_local import dynamodb, ops, ses_sends_to, stored
from tests.e2e.test_seed_flow import call, user


def _give_it_the_default_schedule(stack, org_id: str, request_id: str) -> datetime:
    """The schedule the ask writes with the default settings (expiry after 30 days, no
    reminder left), whichever ask path made the request; returns its expiry."""
    item = stored(stack, keys.org_pk(org_id), keys.request_sk(request_id))
    moments = UTCDateTimeAttribute()
    created = moments.deserialize(item["created_at"])
    expires = created + timedelta(days=30)
    due_pk, due_sk = keys.due_keys(expires, DueKind.REQUEST, request_id)
    dynamodb(stack).update_item(
        TableName=stack.info["table_name"],
        Key={"PK": {"S": keys.org_pk(org_id)}, "SK": {"S": keys.request_sk(request_id)}},
        UpdateExpression=(
            "SET expires_at = :e, reminder_days = :r, reminders_sent = :n, GSI4PK = :pk, GSI4SK = :sk"
        ),
        ExpressionAttributeValues={
            ":e": {"S": moments.serialize(expires)},
            ":r": {"L": []},
            ":n": {"N": "0"},
            ":pk": {"S": due_pk},
            ":sk": {"S": due_sk},
        },
    )
    return expires


def test_an_operator_runs_a_pass_a_month_ahead_and_the_requester_is_emailed(stack):
    # GIVEN Ada's request to Géodésie, pending
    admin = user(stack, "Gaspard Admin", "fr")
    ada = user(stack, "Ada Requester", "en")
    _, org = call(stack, "POST", "/organizations", admin["token"], {"name": "Géodésie"})
    status, request = call(
        stack, "POST", f"/organizations/{org['id']}/membership-requests", ada["token"], {"comment": "Hi"}
    )
    assert status == 201
    expires = _give_it_the_default_schedule(stack, org["id"], request["id"])

    # WHEN an operator runs a pass one minute after it expires
    moment = (expires + timedelta(minutes=1)).isoformat()
    ran = ops(stack, "schedule", "--now", moment)

    # THEN the pass says it expired it, and the stack's stream emails Ada that nobody answered
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0].startswith("expired 1, ")
    assert stored(stack, keys.org_pk(org["id"]), keys.request_sk(request["id"]))["status"] == "expired"
    [email] = ses_sends_to(stack, ada["email"], 1)
    assert email["subject"] == 'Your request to join "Géodésie" expired'

    # WHEN the operator runs the same pass again
    again = ops(stack, "schedule", "--now", moment, "--json")

    # THEN nothing more was due
    assert again.returncode == 0, again.stderr
    assert '"expired": 0' in again.stdout
