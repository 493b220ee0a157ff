"""The operators' command line against the running local stack, as an operator types it:
`python -m ops --local ...` in a shell that has none of the app's settings."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import urllib.request

import boto3

from devstack.outbox import read_outbox, text_of
from tests.e2e.conftest import ROOT, clean_environment
from tests.e2e.test_seed_flow import call, emails_to, user
from tests.make import make

#: What the emulator's STS answers to GetCallerIdentity.
EMULATOR_IDENTITY = "arn:aws:sts::123456789012:user/moto"


def ops(stack, *argv: str, local: bool = True) -> subprocess.CompletedProcess:
    state = ["--local", "--state-dir", str(stack.state_dir)] if local else []
    return subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "ops", *state, *argv],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def sub_of(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def dynamodb(stack):
    return boto3.client(
        "dynamodb",
        region_name=stack.info["region"],
        endpoint_url=stack.info["aws_endpoint_url"],
        aws_access_key_id="e2e",
        aws_secret_access_key="e2e",
    )


def stored(stack, pk: str, sk: str) -> dict:
    item = dynamodb(stack).get_item(
        TableName=stack.info["table_name"], Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True
    )["Item"]
    return {key: next(iter(value.values())) for key, value in item.items()}


def history(stack, org_id: str) -> list[dict]:
    """The organization's history items, newest first, read as the key design intends:
    one Query of its partition."""
    page = dynamodb(stack).query(
        TableName=stack.info["table_name"],
        KeyConditionExpression="PK = :pk AND begins_with(SK, :history)",
        ExpressionAttributeValues={":pk": {"S": f"ORG#{org_id}"}, ":history": {"S": "HISTORY#"}},
        ScanIndexForward=False,
        ConsistentRead=True,
    )
    return page["Items"]


def ses_sends_to(stack, address: str, count: int, timeout: float = 20.0) -> list[dict]:
    """The messages the emulator's SES accepted for ``address`` (from whatever process sent
    them), once there are ``count`` of them or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        url = f"{stack.info['aws_endpoint_url']}/moto-api/data.json"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (127.0.0.1)
            messages = json.load(response)["ses"]["Message"]
        found = [m for m in messages if m["destinations"]["ToAddresses"] == [address]]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_show_resend_and_grant_admin_on_the_local_stack(stack):
    # GIVEN Cadastre, whose admin Agnès was emailed Ada's request by the stream
    admin = user(stack, "Agnès Admin", "fr")
    ada = user(stack, "Ada Lovelace", "en")
    admin_id, ada_id = sub_of(admin["token"]), sub_of(ada["token"])
    _, org = call(stack, "POST", "/organizations", admin["token"], {"name": "Cadastre"})
    status, request = call(
        stack, "POST", f"/organizations/{org['id']}/membership-requests", ada["token"], {"comment": "Hi"}
    )
    assert status == 201
    assert len(emails_to(stack, admin["email"])) == 1
    org_id, request_id = org["id"], request["id"]

    # WHEN an operator shows it, with nothing but --local
    shown = ops(stack, "show", org_id)
    # THEN the counters read well and every id is whole
    assert (shown.returncode, shown.stderr) == (0, "")
    lines = shown.stdout.splitlines()
    assert lines[0] == f"Cadastre ({org_id}): 1 member, 1 admin, 1 pending request"
    assert lines[1:3] == ["", "Members, by user id:"]
    assert lines[3].split() == ["admin", admin_id, "Agnès", "Admin", "since", lines[3].split()[-1]]
    assert lines[5:7] == ["Pending requests, oldest first:", lines[6]]
    assert lines[6].split()[:4] == [request_id, ada_id, "Ada", "Lovelace"]
    assert len(admin_id) == len(ada_id) == 36

    # WHEN the operator re-sends Agnès the new-request email she says she never got
    resent = ops(stack, "resend", org_id, request_id, "--again", "--operator", "sam (ticket 42)")
    # THEN it goes out through the emulator's SES, and the operator is told and logged
    assert resent.returncode == 0, resent.stderr
    assert resent.stdout.strip() == (
        "requested: 1 sent, 0 had already gone out, 0 failed permanently (see the log lines above)."
    )
    assert f"INFO ops.support: operator sam (ticket 42) as {EMULATOR_IDENTITY}: resend {request_id}" in (
        resent.stderr
    )
    sends = ses_sends_to(stack, admin["email"], count=2)
    assert [m["subject"] for m in sends] == ["Nouvelle demande d'adhésion à « Cadastre »"] * 2
    # AND, sent by another process than the stream's, it is in the outbox all the same
    filed = [mime for _, mime in read_outbox(stack.state_dir / "outbox") if mime["To"] == admin["email"]]
    assert [mime["Subject"] for mime in filed] == ["Nouvelle demande d'adhésion à « Cadastre »"] * 2
    assert request_id in text_of(filed[1])

    # WHEN the operator grants Ada admin (--json after the command)
    granted = ops(stack, "grant-admin", org_id, ada_id, "--operator", "sam (ticket 42)", "--json")
    # THEN her request is accepted as admin, decided by the operator
    assert granted.returncode == 0, granted.stderr
    assert json.loads(granted.stdout) == {
        "action": "accepted",
        "organization_id": org_id,
        "user_id": ada_id,
        "role": "admin",
    }
    decided = stored(stack, f"ORG#{org_id}", f"REQ#{request_id}")
    assert (decided["status"], decided["role"], decided["decided_by_id"]) == (
        "accepted",
        "admin",
        "operator:sam (ticket 42)",
    )
    assert stored(stack, f"ORG#{org_id}", f"MEMBER#{ada_id}")["role"] == "admin"
    assert stored(stack, f"ORG#{org_id}", "ORG")["admins_count"] == "2"
    # AND both actions are in the organization's history, newest first, with who did them
    recorded = [
        (item["action"]["S"], item["subject"]["S"], item["operator"]["S"], item["actor"]["S"])
        for item in history(stack, org_id)
    ]
    assert recorded == [
        ("grant-admin", ada_id, "sam (ticket 42)", EMULATOR_IDENTITY),
        ("resend", request_id, "sam (ticket 42)", EMULATOR_IDENTITY),
    ]
    # AND Ada is emailed her acceptance by the stream, once; the records of the operator's
    # actions went through the stream without an email
    [acceptance] = ses_sends_to(stack, ada["email"], count=1)
    assert acceptance["subject"] == 'Your request to join "Cadastre" was accepted'
    time.sleep(1)
    assert len(ses_sends_to(stack, ada["email"], count=2, timeout=1)) == 1
    assert len(ses_sends_to(stack, admin["email"], count=3, timeout=1)) == 2

    # AND the audit lists them
    audit = json.loads(ops(stack, "audit", org_id, "--json").stdout)["actions"]
    assert [(a["action"], a["details"].get("change")) for a in audit] == [
        ("grant-admin", "accepted"),
        ("resend", None),
    ]
    assert audit[1]["details"] | {"sent": "?"} == {
        "transition": "requested",
        "again": True,
        "force": False,
        "sent": "?",
        "already_sent": 0,
        "failed": 0,
    }


def test_without_local_the_missing_variables_are_named(stack):
    # GIVEN a shell with none of the deployed settings; WHEN ops runs without --local
    run = ops(stack, "show", "any", local=False)
    # THEN it names the real variables, and the way to the local stack
    assert run.returncode == 3
    assert run.stderr.strip() == (
        "configuration: set TABLE_NAME, AWS_REGION (docs/operations.md says where each comes from); "
        "against the local stack, run `make run` and use --local."
    )


def test_make_ops_runs_the_command_line_against_the_local_stack():
    # `ops` is also a directory: without .PHONY, make would call the target up to date
    dry = make("-n", "ops", "ARGS=show 1234")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[-1] == ".venv/bin/python -m ops --local show 1234"
