"""`python -m ops`, the operators' command line, against the emulator: what it prints,
what it stores, which emails it causes, and how it fails."""

from __future__ import annotations

import argparse
import io
import json
import logging
import subprocess
import sys
import uuid
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


def test_show_lists_counters_members_and_pending_requests(ops, org):
    # GIVEN Etalab: Alice (admin), Erin (editor), Rita's pending request
    org_id, pending = org
    # WHEN an operator shows it, as JSON (the option before the command)
    run = ops("--json", "show", org_id)
    # THEN the counters, the members by user id and the pending request are listed, no address
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
    assert (run.json["members_next_cursor"], run.json["pending_next_cursor"]) == (None, None)
    assert "email" not in run.json["members"][0]
    # AND as text, with --emails (the option after the command), the addresses too
    text = ops("show", org_id, "--emails").out
    assert text.splitlines()[0] == f"Etalab ({org_id}): 2 members, 1 admin, 1 pending request"
    assert "<rita@example.org>" in text and pending.id in text


def test_json_works_after_the_command_too(ops, org):
    before, after = ops("--json", "show", org[0]), ops("show", org[0], "--json")
    assert before.code == after.code == 0
    assert json.loads(before.out) == json.loads(after.out)


def test_show_fits_36_character_user_ids_in_their_column(ops, container):
    # GIVEN an organization whose users have Cognito's 36-character ids
    admin, editor = (_caller(str(uuid.uuid4())) for _ in range(2))
    org_id = container.organizations.create(admin, "Cadastre", "").organization.id
    requests = container.membership_requests
    requests.accept(admin, org_id, requests.ask(editor, org_id, "Hi").id, Role.EDITOR)
    # WHEN it is shown
    lines = ops("show", org_id).out.splitlines()
    # THEN each id is whole, and the names start in one column
    rows = [line for line in lines if line.startswith(("  admin ", "  editor "))]
    assert len(rows) == 2
    assert {row.split()[1] for row in rows} == {admin.user_id, editor.user_id}
    assert len({row.index(row.split()[2]) for row in rows}) == 1
    assert lines[0].endswith(": 2 members, 1 admin, 0 pending requests")


def test_show_pages_members_and_pending_requests_with_cursors(ops, container):
    # GIVEN an organization of 5 members (2 admins) and 3 pending requests
    admin = _caller("m0")
    org_id = container.organizations.create(admin, "Paged", "").organization.id
    requests = container.membership_requests
    for k in range(1, 5):
        role = Role.ADMIN if k == 1 else Role.EDITOR
        requests.accept(admin, org_id, requests.ask(_caller(f"m{k}"), org_id, "Hi").id, role)
    asked = [requests.ask(_caller(f"p{k}"), org_id, "Hi").id for k in range(3)]
    # WHEN the operator reads them two at a time
    first = ops("--json", "show", org_id, "--limit", "2").json
    members = [m["user_id"] for m in first["members"]]
    cursor = first["members_next_cursor"]
    while cursor:
        page = ops("--json", "show", org_id, "--limit", "2", "--cursor", cursor).json
        # (a members' cursor continues the members only)
        assert "pending_requests" not in page
        members += [m["user_id"] for m in page["members"]]
        cursor = page["members_next_cursor"]
    pending = [r["request_id"] for r in first["pending_requests"]]
    next_pending = ops(
        "--json", "show", org_id, "--limit", "2", "--pending-cursor", first["pending_next_cursor"]
    )
    # THEN every member and every request is listed once, in order
    assert members == [f"m{k}" for k in range(5)]
    assert pending + [r["request_id"] for r in next_pending.json["pending_requests"]] == asked
    assert "members" not in next_pending.json
    # AND the counters come from the organization, whatever the page
    assert next_pending.json["organization"]["members_count"] == 5
    # AND the text says how to get the next page
    text = ops("show", org_id, "--limit", "2").out
    assert f"Next page: python -m ops show {org_id} --cursor " in text
    assert text.rstrip().endswith("--limit 2")
    # AND --role lists the admins only, oldest first
    admins = ops("--json", "show", org_id, "--role", "admin").json["members"]
    assert [(m["user_id"], m["role"]) for m in admins] == [("m0", "admin"), ("m1", "admin")]


def test_a_forged_cursor_is_refused(ops, org):
    run = ops("show", org[0], "--cursor", "bm90LWEtY3Vyc29y")
    assert (run.code, run.out) == (1, "")
    assert "invalid_cursor" in run.err


def test_show_of_an_unknown_organization_is_refused(ops, container):
    run = ops("show", "nope")
    assert (run.code, run.out) == (1, "")
    assert "organization_not_found" in run.err


def test_an_organization_whose_admin_is_gone_gets_a_new_one(ops, org, item, items, deliver):
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
    # AND no email is sent for role changes: the stream handles the audit records too, and
    # acknowledges them without a word
    assert deliver() == []
    # AND each change is recorded with the operator and the AWS identity they acted as
    recorded = [(a["action"], a["subject"], a["details"]["change"]) for a in _audit_items(items, org_id)]
    assert recorded == [("grant-admin", "erin", "promoted"), ("revoke-admin", "alice", "demoted")]
    for action in _audit_items(items, org_id):
        assert (action["operator"], action["actor"]) == ("sam", MOTO_IDENTITY)
        assert action["GSI1PK"].startswith("OPS#")


def test_revoking_the_last_admin_is_refused_and_changes_nothing(ops, org, items):
    org_id, _ = org
    before = items()
    run = ops("revoke-admin", org_id, "alice")
    assert run.code == 1 and "last_admin" in run.err
    assert items() == before


def test_granting_admin_to_a_user_with_a_pending_request_accepts_it(ops, org, item, items, deliver):
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
    # AND her member item names the organization, for her list of organizations
    assert item(f"ORG#{org_id}", "MEMBER#rita")["organization_name"] == "Etalab"
    # AND the operator action is recorded beside it, at the moment of the decision
    [action] = _audit_items(items, org_id)
    assert (action["action"], action["subject"], action["operator"]) == ("grant-admin", "rita", "sam")
    assert action["details"] == {"change": "accepted", "role": "admin", "request_id": pending.id}
    assert action["at"] == stored["decided_at"]
    # AND she is told, in French, by the usual stream email
    assert deliver() == [("rita@example.org", "Votre demande d'adhésion à « Etalab » a été acceptée")]


def test_granting_admin_to_a_stranger_is_refused(ops, org, items):
    before = items()
    run = ops("grant-admin", org[0], "mallory")
    assert run.code == 1 and "member_not_found" in run.err and "request to join first" in run.err
    assert items() == before


def test_an_action_that_changes_nothing_is_not_recorded(ops, org, items):
    before = items()
    run = ops("grant-admin", org[0], "alice")
    assert (run.code, run.out.strip()) == (0, "Nothing to do: alice is already an admin.")
    assert items() == before


def test_operator_actions_are_logged_at_info_with_who_did_what(ops, org, caplog):
    # WHEN an operator promotes Erin
    with caplog.at_level(logging.INFO, logger="ops"):
        ops("grant-admin", org[0], "erin", "--operator", "sam (ticket 1234)")
    # THEN one INFO line says who (name and AWS identity), what, on whom, where
    [line] = [r for r in caplog.records if r.name.startswith("ops") and r.levelno == logging.INFO]
    assert line.getMessage() == (
        f"operator sam (ticket 1234) as {MOTO_IDENTITY}: grant-admin erin in {org[0]}: "
        "change=promoted, role=admin"
    )


def test_without_operator_the_login_name_is_recorded(ops, org, items, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "jdoe")
    assert ops("grant-admin", org[0], "erin").code == 0
    [action] = _audit_items(items, org[0])
    assert (action["operator"], action["actor"]) == ("jdoe", MOTO_IDENTITY)


def test_the_audit_record_is_written_in_the_transaction_of_the_change(org, container, items):
    # GIVEN an operator's promotion of Erin, read before another change made her admin
    from chalicelib.domain import OperatorAction
    from chalicelib.errors import Conflict

    org_id, _ = org
    repository = _operator_repository(container)
    erin = repository.find_membership(org_id, "erin")
    container.repository.change_role("alice", erin, Role.ADMIN)
    record = OperatorAction("a1", container.clock(), MOTO_IDENTITY, "sam", "grant-admin", org_id, "erin")
    before = items()
    # WHEN it is committed
    with pytest.raises(Conflict):
        repository.change_role_by_operator(erin, Role.ADMIN, record)
    # THEN neither the change nor its record is stored: they stand or fall together
    assert items() == before


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
    assert ops("--json", "resend", org_id, pending.id, "--again", "--operator", "sam").json["sent"] == 1
    # AND each resend is recorded with what it did, newest first in the audit
    audit = ops("--json", "audit", org_id).json["actions"]
    # (the first resend, which sent nothing, changed nothing and is not recorded)
    assert [(a["action"], a["subject"], a["details"]["sent"], a["details"]["again"]) for a in audit] == [
        ("resend", pending.id, 1, True),
        ("resend", pending.id, 1, False),
    ]
    assert audit[0]["operator"] == "sam"


def test_resend_waits_for_the_stream_unless_forced(ops, org, container, deliver, aws):
    # GIVEN Rita's new request, whose record the stream has not handled yet
    org_id, pending = org
    before = len(aws.emails())
    # WHEN an operator resends its emails THEN it is refused: the stream may be sending them
    refused = ops("resend", org_id, pending.id)
    assert refused.code == 1 and "emails_in_progress" in refused.err
    assert len(aws.emails()) == before
    assert ops("--json", "audit", org_id).json["actions"] == []
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
    dropped = ops("--json", "redrive", "--queue-url", url, "--drop-unreadable", "--operator", "sam")
    assert dropped.code == 0 and [r["outcome"] for r in dropped.json["ranges"]] == ["dropped"]
    assert ops("--json", "redrive", "--queue-url", url).json["ranges"] == []
    # AND the drop, which concerns no one organization, is in the operators' log of the month
    [action] = ops("--json", "audit").json["actions"]
    assert (action["action"], action["subject"], action["organization_id"]) == ("redrive", url, None)
    assert action["details"] | {"requests": []} == {
        "replayed_ranges": 0,
        "dropped_ranges": 1,
        "records": 0,
        "remaining": 0,
        "requests": [],
        "requests_total": 0,
    }


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


def test_missing_settings_are_named_as_the_variables_to_set(monkeypatch):
    # GIVEN an operator's shell without the deployed settings
    from ops.cli import main

    for name in ("TABLE_NAME", "AWS_REGION", "AWS_DEFAULT_REGION", "MAIL_SENDER", "FRONTEND_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    err = io.StringIO()
    # WHEN a resend is asked for
    code = main(["resend", "o1", "r1"], out=io.StringIO(), err=err)
    # THEN every missing variable is named, by its real name, with the way to the local stack
    assert code == 3
    assert err.getvalue().strip() == (
        "configuration: set TABLE_NAME, AWS_REGION, MAIL_SENDER, FRONTEND_BASE_URL "
        "(docs/operations.md says where each comes from); against the local stack, "
        "run `make run` and use --local."
    )


def test_local_without_a_running_stack_says_to_start_make_run(tmp_path):
    from ops.cli import main

    err = io.StringIO()
    code = main(["show", "o1", "--local", "--state-dir", str(tmp_path)], out=io.StringIO(), err=err)
    assert code == 3
    assert err.getvalue().strip() == (
        f"configuration: No local stack is running ({tmp_path}/stack.json is missing): "
        "start it with `make run`. Then run this command again."
    )


def test_an_aws_failure_is_reported_as_such(ops, aws):
    run = ops("redrive", "--queue-url", f"https://sqs.{REGION}.amazonaws.com/123456789012/nope")
    assert run.code == 4 and run.err.startswith("AWS error:")


def test_the_command_line_explains_itself_and_rejects_bad_usage():
    help_ = subprocess.run(
        [sys.executable, "-m", "ops", "--help"], capture_output=True, text=True, check=False
    )
    assert help_.returncode == 0
    for command in ("show", "grant-admin", "revoke-admin", "resend", "redrive", "audit"):
        assert command in help_.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "ops", "grant-admin"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "required" in bad.stderr


def test_every_command_has_a_description_explained_arguments_and_its_exit_codes():
    from ops.cli import build_parser

    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == {
        "show",
        "grant-admin",
        "revoke-admin",
        "resend",
        "redrive",
        "audit",
        "schedule",
    }
    for name, command in commands.choices.items():
        assert command.description and len(command.description) > 60, name
        for argument in command._actions:
            assert argument.help, f"{name}: {argument.dest} is not explained"
        exits = command.epilog.splitlines()
        assert exits[0] == "exit codes:", name
        codes = [int(line.split()[0]) for line in exits[1:]]
        assert codes[0] == 0 and {2, 3, 4} <= set(codes), name
    assert "  5  " in commands.choices["redrive"].format_help()
    assert "last_admin" in commands.choices["revoke-admin"].format_help()


def test_audit_of_one_organization_or_one_month_newest_first_and_paged(ops, org):
    # GIVEN three operator actions on Etalab
    org_id, _ = org
    for command in (
        ("grant-admin", org_id, "erin"),
        ("revoke-admin", org_id, "erin"),
        ("grant-admin", org_id, "erin"),
    ):
        assert ops(*command, "--operator", "sam").code == 0
    # WHEN they are read two at a time
    first = ops("--json", "audit", org_id, "--limit", "2").json
    rest = ops("--json", "audit", org_id, "--limit", "2", "--cursor", first["next_cursor"]).json
    # THEN newest first, each once
    changes = [a["details"]["change"] for a in first["actions"] + rest["actions"]]
    assert changes == ["promoted", "demoted", "promoted"]
    assert rest["next_cursor"] is None
    # AND the month's log holds the same, naming the organization
    month = ops("--json", "audit", "--month", first["actions"][0]["at"][:7]).json["actions"]
    assert [(a["organization_id"], a["details"]["change"]) for a in month] == [(org_id, c) for c in changes]
    # AND a text line per action says who did what
    text = ops("audit", org_id).out.splitlines()
    assert text[0] == f"Operator actions on {org_id}, newest first:"
    assert text[1].endswith("grant-admin erin: change=promoted, role=admin")
    assert text[2] == f"      by sam as {MOTO_IDENTITY}"
    # AND a month is written YYYY-MM; ORG_ID and --month do not go together
    assert ops("audit", "--month", "May").code == 1
    assert ops("audit", org_id, "--month", "2026-05").code == 2


# -- helpers ---------------------------------------------------------------------------

#: What moto's STS answers to GetCallerIdentity for any credentials.
MOTO_IDENTITY = "arn:aws:sts::123456789012:user/moto"


def _audit_items(items, org_id: str) -> list[dict]:
    """The operator actions stored in an organization's history, oldest first."""
    from boto3.dynamodb.types import TypeDeserializer

    plain = TypeDeserializer()
    return [
        {key: plain.deserialize(value) for key, value in item.items()}
        for item in items()
        if item["PK"]["S"] == f"ORG#{org_id}" and item["SK"]["S"].startswith("HISTORY#")
    ]


def _operator_repository(container):
    from chalicelib.persistence.membership import OperatorMembershipRepository

    return OperatorMembershipRepository(container.aws.tables, container.aws.dynamodb)


def test_local_against_a_stack_that_is_gone_asks_whether_make_run_still_runs(tmp_path):
    # GIVEN a stack.json whose emulator no longer listens (its stack was killed)
    from devstack.emulator import free_port
    from ops.cli import main
    from tests.unit.test_ops_settings import _stack_json

    gone = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "stack.json").write_text(json.dumps(_stack_json(aws_endpoint_url=gone)))
    err = io.StringIO()
    # WHEN an operator shows an organization
    code = main(["--local", "--state-dir", str(tmp_path), "show", "o1"], out=io.StringIO(), err=err)
    # THEN it is an AWS error that says where to look
    assert code == 4
    assert f'Could not connect to the endpoint URL: "{gone}/"' in err.getvalue()
    assert err.getvalue().rstrip().endswith("(is `make run` still running?)")
