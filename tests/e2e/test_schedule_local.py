"""The scheduled pass on the running local stack, run by an operator with a chosen now:
`python -m ops --local schedule --now ...` expires a month-old request and the stack's
stream pump emails its requester."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pynamodb.attributes import UTCDateTimeAttribute

from chalicelib.persistence import keys
from tests.e2e.test_ops_local import ops, ses_sends_to, stored
from tests.e2e.test_seed_flow import call, user


def _expiry(stack, org_id: str, request_id: str) -> datetime:
    """When the request expires, as the ask wrote it (default settings: 30 days)."""
    item = stored(stack, keys.org_pk(org_id), keys.request_sk(request_id))
    return UTCDateTimeAttribute().deserialize(item["expires_at"])


def test_an_operator_runs_a_pass_a_month_ahead_and_the_requester_is_emailed(stack):
    # GIVEN Ada's request to Géodésie, pending
    admin = user(stack, "Gaspard Admin", "fr")
    ada = user(stack, "Ada Requester", "en")
    _, org = call(stack, "POST", "/organizations", admin["token"], {"name": "Géodésie"})
    status, request = call(
        stack, "POST", f"/organizations/{org['id']}/membership-requests", ada["token"], {"comment": "Hi"}
    )
    assert status == 201
    expires = _expiry(stack, org["id"], request["id"])
    # (the ask wrote the default schedule: 30 days after it was made)
    age = expires - datetime.fromisoformat(request["created_at"])
    assert abs(age - timedelta(days=30)) < timedelta(seconds=1)

    # WHEN an operator runs a pass one minute after it expires
    moment = (expires + timedelta(minutes=1)).isoformat()
    ran = ops(stack, "schedule", "--now", moment)

    # THEN the pass says it expired it (with whatever else the shared stack holds that is
    # pending: the pass is a month ahead), and the stack's stream emails Ada that nobody
    # answered
    assert ran.returncode == 0, ran.stderr
    expired = re.match(r"expired (\d+), ", ran.stdout.splitlines()[0])
    assert expired and int(expired.group(1)) >= 1, ran.stdout
    assert stored(stack, keys.org_pk(org["id"]), keys.request_sk(request["id"]))["status"] == "expired"
    [email] = ses_sends_to(stack, ada["email"], 1)
    assert email["subject"] == 'Your request to join "Géodésie" expired'

    # WHEN the operator runs the same pass again
    again = ops(stack, "schedule", "--now", moment, "--json")

    # THEN nothing more was due
    assert again.returncode == 0, again.stderr
    assert '"expired": 0' in again.stdout
