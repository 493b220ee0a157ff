"""`python -m ops`, the operators' command line, against the emulator: what it prints,
what it stores, which emails it causes, and how it fails."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass, replace

import boto3
import pytest

from chalicelib.domain import Caller, Role
from tests.conftest import REGION


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


@pytest.fixture
def ops(container):
    from ops.cli import main

    def run(*argv: str, using=None) -> Run:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), container=using or container, out=out, err=err)
        return Run(code, out.getvalue(), err.getvalue())

    return run


def _caller(user_id: str, locale: str = "en") -> Caller:
    return Caller(user_id, user_id.title(), f"{user_id}@example.org", locale, email_verified=True)


@pytest.fixture
def org(container):
    """Alice (admin), Erin (editor), and Rita's pending request."""
    alice, erin, rita = _caller("alice"), _caller("erin"), _caller("rita", "fr")
    org_id = container.organizations.create(alice, "Etalab", "").organization.id
    requests = container.membership_requests
    requests.accept(alice, org_id, requests.ask(erin, org_id, "Hi").id, Role.EDITOR)
    pending = requests.ask(rita, org_id, "I maintain the address datasets.")
    return org_id, pending


@pytest.fixture
def deliver(aws, container):
    """Hands what the stream holds to the stream function; returns the new emails."""
    from chalicelib.stream import process_records
    from devstack.streams import StreamReader

    reader = StreamReader(container.aws.dynamodbstreams, aws.stream_arn)

    def run():
        before = len(aws.emails())
        assert process_records({"Records": reader.read()}, container.notifier) == {"batchItemFailures": []}
        return [(m.destinations["ToAddresses"][0], m.subject) for m in aws.emails()[before:]]

    return run


def test_show_lists_admins_members_and_pending_requests(ops, org):
    org_id, pending = org
    run = ops("--json", "show", org_id)
    assert run.code == 0
    assert run.json["organization"] | {"id": "?"} == {
        "id": "?",
        "name": "Etalab",
        "members_count": 2,
        "admins_count": 1,
        "pending_count": 1,
    }
    members = [(m["user_id"], m["role"]) for m in run.json["members"]]
    assert members == [("alice", "admin"), ("erin", "editor")]
    assert [(r["request_id"], r["user_id"]) for r in run.json["pending_requests"]] == [(pending.id, "rita")]
    assert "email" not in run.json["members"][0]
    text = ops("show", org_id, "--emails").out
    assert "Etalab" in text and "rita@example.org" in text and pending.id in text


def test_show_of_an_unknown_organization_is_refused(ops, container):
    run = ops("show", "nope")
    assert (run.code, run.out) == (1, "")
    assert "organization_not_found" in run.err


def test_an_organization_whose_admin_is_gone_gets_a_new_one(ops, org, item, deliver):
    # GIVEN Alice, the only admin, has left the company
    org_id, _ = org
    deliver()
    # WHEN the operator makes Erin admin, then revokes Alice
    granted = ops("grant-admin", org_id, "erin", "--operator", "sam")
    revoked = ops("revoke-admin", org_id, "alice", "--operator", "sam")
    # THEN both happened, and the organization still has exactly one admin
    assert (granted.code, revoked.code) == (0, 0)
    assert "erin is now an admin" in granted.out and "alice is now an editor" in revoked.out
    assert item(f"ORG#{org_id}", "MEMBER#erin")["role"] == "admin"
    assert item(f"ORG#{org_id}", "MEMBER#alice")["role"] == "editor"
    assert item(f"ORG#{org_id}", "ORG")["admins_count"] == "1"
    assert item(f"ORG#{org_id}", "MEMBER#erin")["GSI1PK"] == f"ORG#{org_id}#ROLE#admin"
    # AND no email is sent for role changes
    assert deliver() == []


def test_revoking_the_last_admin_is_refused_and_changes_nothing(ops, org, items):
    org_id, _ = org
    before = items()
    run = ops("revoke-admin", org_id, "alice")
    assert run.code == 1 and "last_admin" in run.err
    assert items() == before


def test_granting_admin_to_a_user_with_a_pending_request_accepts_it(ops, org, item, deliver):
    # GIVEN Rita's pending request, whose admins' emails went out
    org_id, pending = org
    deliver()
    # WHEN the operator grants her admin
    run = ops("--json", "grant-admin", org_id, "rita", "--operator", "sam")
    # THEN her request is accepted with the admin role, recorded as decided by the operator
    assert run.code == 0 and run.json == {
        "action": "accepted",
        "organization_id": org_id,
        "user_id": "rita",
        "role": "admin",
    }
    stored = item(f"ORG#{org_id}", f"REQ#{pending.id}")
    decision = (stored["status"], stored["role"], stored["decided_by_id"])
    assert decision == ("accepted", "admin", "operator:sam")
    assert item(f"ORG#{org_id}", "PENDING#rita") is None
    assert item(f"ORG#{org_id}", "ORG")["admins_count"] == "2"
    # AND she is told, in French, by the usual stream email
    assert deliver() == [("rita@example.org", "Votre demande d'adhésion à « Etalab » a été acceptée")]


def test_granting_admin_to_a_stranger_is_refused(ops, org):
    run = ops("grant-admin", org[0], "mallory")
    assert run.code == 1 and "member_not_found" in run.err and "request to join first" in run.err


def test_resend_sends_only_what_did_not_go_out_unless_asked_again(ops, org, container, deliver, aws):
    org_id, pending = org
    deliver()
    # GIVEN the admins' email went out already
    assert ops("resend", org_id, pending.id).out.startswith("requested: 0 sent, 1 had already gone out")
    # WHEN an email was given up (SES rejected it), THEN resend tries it again
    from chalicelib.mail.ledger import RoundRecord

    ledger = container.email_ledger
    sent = ledger.read(pending.id, "requested")
    ledger.write(
        RoundRecord(pending.id, "requested", version=sent.version)
        .with_failed("alice", "MessageRejected")
        .as_handled()
    )
    before = len(aws.emails())
    assert ops("--json", "resend", org_id, pending.id).json["sent"] == 1
    assert [m.destinations["ToAddresses"] for m in aws.emails()[before:]] == [["alice@example.org"]]
    assert ledger.read(pending.id, "requested").sent == {"alice"}
    # AND --again sends even what went out
    assert ops("--json", "resend", org_id, pending.id, "--again").json["sent"] == 1


def test_resend_waits_for_the_stream_unless_forced(ops, org, container, deliver, aws):
    # GIVEN Rita's new request, whose record the stream has not handled yet
    org_id, pending = org
    before = len(aws.emails())
    # WHEN an operator resends its emails THEN it is refused: the stream may be sending them
    refused = ops("resend", org_id, pending.id)
    assert refused.code == 1 and "emails_in_progress" in refused.err
    assert len(aws.emails()) == before
    # AND with --force the admin's email goes out, once, however the stream then runs
    assert ops("--json", "resend", org_id, pending.id, "--force").json["sent"] == 1
    # (the stream's email to Erin, accepted before the stream saw her request, so that
    # no admin was told of it, and none for Rita's request)
    assert deliver() == [("erin@example.org", 'Your request to join "Etalab" was accepted')]
    assert container.email_ledger.read(pending.id, "requested").sent == {"alice"}


def test_resend_of_a_transition_the_request_never_made_is_refused(ops, org, container):
    org_id, pending = org
    container.membership_requests.withdraw(_caller("rita", "fr"), org_id, pending.id)
    withdrawn = ops("resend", org_id, pending.id)
    assert withdrawn.code == 1 and "invalid_request" in withdrawn.err
    assert ops("resend", org_id, "nope").code == 1


def _queue(body: dict | str) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="adhesion-test-notify-failures")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=body if isinstance(body, str) else json.dumps(body))
    return url


def _expired_range(stream_arn: str) -> dict:
    return {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 6},
        "version": "1.0",
        "timestamp": "2025-06-05T18:22:26.479Z",
        "DDBStreamBatchInfo": {
            "shardId": "shardId-1",
            "startSequenceNumber": "100",
            "endSequenceNumber": "102",
            "approximateArrivalOfFirstRecord": "2025-06-05T18:21:49Z",
            "approximateArrivalOfLastRecord": "2025-06-05T18:21:49Z",
            "batchSize": 3,
            "streamArn": stream_arn,
        },
    }


def test_redrive_leaves_ranges_the_stream_no_longer_holds_unless_told_to_drop_them(ops, aws):
    url = _queue(_expired_range(aws.stream_arn))
    kept = ops("redrive", "--queue-url", url)
    assert kept.code == 5 and "unreadable" in kept.out and "beyond the stream's 24 hours" in kept.out
    dropped = ops("--json", "redrive", "--queue-url", url, "--drop-unreadable")
    assert dropped.code == 0 and [r["outcome"] for r in dropped.json["ranges"]] == ["dropped"]
    assert ops("--json", "redrive", "--queue-url", url).json["ranges"] == []


def test_redrive_keeps_a_message_that_is_not_a_stream_batch(ops, aws):
    url = _queue("hello")
    run = ops("--json", "redrive", "--queue-url", url)
    assert run.code == 5 and len(run.json["unreadable_messages"]) == 1


def test_redrive_without_a_queue_is_a_configuration_error(ops):
    run = ops("redrive")
    assert run.code == 3 and "NOTIFY_FAILURE_QUEUE_URL" in run.err


def test_a_missing_table_setting_is_a_configuration_error(ops, container):
    from chalicelib.bootstrap import Container

    run = ops("show", "o1", using=Container(replace(container.settings, table_name="")))
    assert run.code == 3 and "TABLE_NAME" in run.err


def test_an_aws_failure_is_reported_as_such(ops, aws):
    run = ops("redrive", "--queue-url", f"https://sqs.{REGION}.amazonaws.com/123456789012/nope")
    assert run.code == 4 and run.err.startswith("AWS error:")


def test_the_command_line_explains_itself_and_rejects_bad_usage():
    help_ = subprocess.run(
        [sys.executable, "-m", "ops", "--help"], capture_output=True, text=True, check=False
    )
    assert help_.returncode == 0
    for command in ("show", "grant-admin", "revoke-admin", "resend", "redrive"):
        assert command in help_.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "ops", "grant-admin"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "required" in bad.stderr
