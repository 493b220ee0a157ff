"""``python -m ops``: the operators' command line (docs/operations.md).

Thin: parse the arguments, call one use case, print the result. Settings come from
the environment through ``chalicelib.config`` (the same variables as the functions;
``AWS_ENDPOINT_URL`` points everything at the local emulator), AWS credentials from the
operator's usual chain (``AWS_PROFILE``, SSO, environment).

Exit codes: 0 done; 1 refused (the organization, member or request does not allow it);
2 bad usage; 3 configuration missing; 4 AWS unreachable or access denied; 5 the failure
queue still holds messages after a re-drive.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from dataclasses import asdict
from typing import IO, Any

from chalicelib.domain import Transition, isoformat
from chalicelib.errors import DomainError

OK, REFUSED, USAGE, CONFIGURATION, AWS, QUEUE_NOT_EMPTY = 0, 1, 2, 3, 4, 5


class ConfigurationMissing(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__("set " + ", ".join(names) + " (docs/operations.md lists them)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ops", description="Adhesion support tasks, with your AWS credentials."
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show = commands.add_parser("show", help="an organization's admins, members and pending requests")
    show.add_argument("org_id")
    show.add_argument("--emails", action="store_true", help="also print members' email addresses")

    for name, verb in (
        ("grant-admin", "make a member (or a user with a pending request) admin"),
        ("revoke-admin", "make an admin an editor (another admin must remain)"),
    ):
        command = commands.add_parser(name, help=verb)
        command.add_argument("org_id")
        command.add_argument("user_id")
        command.add_argument(
            "--operator", default=None, help="who acts, for the record (default: your login name)"
        )

    resend = commands.add_parser("resend", help="send a request's notifications that did not go out")
    resend.add_argument("org_id")
    resend.add_argument("request_id")
    resend.add_argument(
        "--transition",
        choices=[t.value for t in Transition],
        help="which emails (default: those the request's status calls for)",
    )
    resend.add_argument("--again", action="store_true", help="send even the emails that already went out")
    resend.add_argument(
        "--force",
        action="store_true",
        help="send even while the stream may still be sending them (an email may then go out twice)",
    )

    redrive = commands.add_parser("redrive", help="replay the stream function's failure queue")
    redrive.add_argument("--queue-url", help="default: NOTIFY_FAILURE_QUEUE_URL")
    redrive.add_argument("--max-messages", type=int, default=None)
    redrive.add_argument(
        "--dry-run", action="store_true", help="list the requests concerned; send nothing, delete nothing"
    )
    redrive.add_argument(
        "--drop-unreadable",
        action="store_true",
        help="delete messages whose records the stream no longer holds",
    )
    return parser


def main(
    argv: list[str] | None = None, *, container=None, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    logging.basicConfig(level=logging.WARNING, stream=err, format="%(levelname)s %(name)s: %(message)s")
    try:
        if container is None:
            from chalicelib.bootstrap import container as build

            container = build()
        result = _COMMANDS[args.command](args, container)
    except ConfigurationMissing as e:
        print(f"configuration: {e}", file=err)
        return CONFIGURATION
    except DomainError as e:
        print(f"refused: {e.code}: {e.message}", file=err)
        return REFUSED
    except Exception as e:
        if _is_aws_error(e):
            print(f"AWS error: {type(e).__name__}: {e}", file=err)
            return AWS
        raise
    code, payload, text = result
    print(json.dumps(payload, indent=2, default=str) if args.json else text, file=out)
    return code


def _is_aws_error(error: Exception) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    return isinstance(error, BotoCoreError | ClientError | PynamoDBException)


def _require(container, *names: str) -> None:
    missing = [name.upper() for name in names if not getattr(container.settings, name)]
    if missing:
        raise ConfigurationMissing(missing)


def _support(args, container):
    from chalicelib.bootstrap import utc_now
    from chalicelib.persistence.membership import OperatorMembershipRepository
    from ops.support import SupportService

    _require(container, "table_name", "region")
    operator = getattr(args, "operator", None) or getpass.getuser()
    repository = OperatorMembershipRepository(container.aws.tables, container.aws.dynamodb)
    return SupportService(repository, container.notifier, utc_now, operator)


# -- commands: each returns (exit code, JSON payload, text) ----------------------------


def _show(args, container):
    overview = _support(args, container).overview(args.org_id)
    org = overview.organization

    def person(user_id: str) -> dict[str, Any]:
        profile = overview.profiles.get(user_id)
        entry: dict[str, Any] = {"user_id": user_id}
        if args.emails:
            entry["email"] = profile.email if profile else None
        return entry

    members = [
        person(m.user_id) | {"name": m.name, "role": m.role.value, "since": isoformat(m.since)}
        for m in overview.members
    ]
    pending = [
        person(r.user.id)
        | {
            "request_id": r.id,
            "name": r.user.name,
            "created_at": isoformat(r.created_at),
            "comment": r.comment,
        }
        for r in overview.pending
    ]
    payload = {
        "organization": {
            "id": org.id,
            "name": org.name,
            "members_count": org.members_count,
            "admins_count": org.admins_count,
            "pending_count": org.pending_count,
        },
        "members": members,
        "pending_requests": pending,
    }
    lines = [
        f"{org.name} ({org.id}): {org.members_count} members, {org.admins_count} admins, "
        f"{org.pending_count} pending requests",
        "",
        "Members:",
    ]
    lines += [
        f"  {m['role']:<7} {m['user_id']:<24} {m['name']}  since {m['since']}"
        + (f"  <{m['email']}>" if args.emails else "")
        for m in members
    ]
    lines += ["", "Pending requests:"]
    lines += [
        f"  {r['request_id']}  {r['user_id']:<24} {r['name']}  {r['created_at']}"
        + (f"  <{r['email']}>" if args.emails else "")
        for r in pending
    ] or ["  (none)"]
    if not overview.admins:
        lines += ["", "This organization has no admin: python -m ops grant-admin ORG USER"]
    return OK, payload, "\n".join(lines)


def _admin_change(method_name: str):
    def command(args, container):
        change = getattr(_support(args, container), method_name)(args.org_id, args.user_id)
        member = change.member
        logging.getLogger("ops").warning(
            "operator %s: %s %s in %s",
            getattr(args, "operator", None) or getpass.getuser(),
            change.action,
            member.user_id,
            member.organization_id,
        )
        payload = {
            "action": change.action,
            "organization_id": member.organization_id,
            "user_id": member.user_id,
            "role": member.role.value,
        }
        text = {
            "promoted": f"{member.user_id} is now an admin of {member.organization_id}.",
            "accepted": f"{member.user_id}'s pending request was accepted: they are now an admin "
            f"of {member.organization_id} (they are emailed as usual).",
            "demoted": f"{member.user_id} is now an editor of {member.organization_id}.",
            "unchanged": f"Nothing to do: {member.user_id} is already "
            f"{'an admin' if member.role.value == 'admin' else 'not an admin'}.",
        }[change.action]
        return OK, payload, text

    return command


def _resend(args, container):
    _require(container, "mail_sender", "frontend_base_url")
    transition = Transition(args.transition) if args.transition else None
    transition, outcome = _support(args, container).resend(
        args.org_id, args.request_id, transition, again=args.again, force=args.force
    )
    payload = {"transition": transition.value} | asdict(outcome)
    text = (
        f"{transition.value}: {outcome.sent} sent, {outcome.already_sent} had already gone out, "
        f"{outcome.failed} failed permanently (see the log lines above)."
    )
    return OK, payload, text


def _redrive(args, container):
    from chalicelib.stream import process_records
    from ops.redrive import FailureQueueRedriver

    queue_url = args.queue_url or container.settings.notify_failure_queue_url
    if not queue_url:
        raise ConfigurationMissing(["NOTIFY_FAILURE_QUEUE_URL (or --queue-url)"])
    _require(container, "table_name", "region", "mail_sender", "frontend_base_url")
    notifier = None if args.dry_run else container.notifier
    redriver = FailureQueueRedriver(
        container.aws.sqs,
        container.aws.dynamodbstreams,
        queue_url,
        lambda event: process_records(event, notifier),
    )
    report = redriver.run(
        max_messages=args.max_messages, dry_run=args.dry_run, drop_unreadable=args.drop_unreadable
    )
    lines = []
    for entry in report.ranges:
        r = entry.range
        lines.append(
            f"{entry.outcome:<10} {r.shard_id} {r.first}..{r.last} ({r.size} records, "
            f"first written {r.first_arrival or '?'}, {r.condition or 'failed'})"
            + (f": {entry.detail}" if entry.detail else "")
        )
        lines += [
            f"           {q['event']:<6} request {q['request_id']} of {q['organization_id']}"
            for q in entry.requests
        ]
    lines += [
        f"unreadable message {message_id} (not a stream batch; left in the queue)"
        for message_id in report.unreadable_messages
    ]
    lines.append(
        f"{len(report.ranges)} ranges, {report.records} records replayed, "
        f"{report.remaining} messages left in the queue."
    )
    payload = {
        "ranges": [
            {"outcome": e.outcome, "detail": e.detail, "records": e.records, "requests": e.requests}
            | asdict(e.range)
            for e in report.ranges
        ],
        "unreadable_messages": report.unreadable_messages,
        "records_replayed": report.records,
        "remaining": report.remaining,
    }
    for entry in payload["ranges"]:
        entry.pop("receipt_handle", None)
    code = OK if report.remaining == 0 or args.dry_run else QUEUE_NOT_EMPTY
    return code, payload, "\n".join(lines)


_COMMANDS = {
    "show": _show,
    "grant-admin": _admin_change("grant_admin"),
    "revoke-admin": _admin_change("revoke_admin"),
    "resend": _resend,
    "redrive": _redrive,
}
