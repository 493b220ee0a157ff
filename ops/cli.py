"""``python -m ops``: the operators' command line (docs/operations.md).

Thin: parse the arguments, call one use case, print the result. Settings come from
``ops.settings``: the deployed environment, read by ``chalicelib.config`` as the functions
read it, or with ``--local`` the ``stack.json`` that ``make run`` writes. AWS credentials
come from the operator's usual chain (``AWS_PROFILE``, SSO, environment), or the
emulator's with ``--local``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from chalicelib.domain import Role, Transition, isoformat
from chalicelib.errors import DomainError
from ops.settings import ConfigurationMissing, Source, from_environment, from_local_stack

OK, REFUSED, USAGE, CONFIGURATION, AWS, QUEUE_NOT_EMPTY = 0, 1, 2, 3, 4, 5
DEFAULT_STATE_DIR = Path(".local")
DEFAULT_LIMIT = 25
MAX_LIMIT = 100

# What each exit code means, for the epilogs: every command lists those it can return.
_EXIT = {
    OK: "done",
    REFUSED: "refused: the organization, member or request does not allow it (its code is printed)",
    USAGE: "bad usage",
    CONFIGURATION: "a setting is missing (which, and how to get it, is printed)",
    AWS: "AWS unreachable, credentials missing or access denied",
    QUEUE_NOT_EMPTY: "redrive: messages are still in the failure queue (fix, then run it again)",
}


def _epilog(refusals: str | None, *extra: int, done: str = "done") -> str:
    lines = ["exit codes:", f"  0  {done}"]
    if refusals:
        lines.append(f"  1  refused: {refusals} (the code is printed)")
    lines += [f"  {code}  {_EXIT[code]}" for code in (USAGE, CONFIGURATION, AWS, *extra)]
    return "\n".join(lines)


class _Formatter(argparse.HelpFormatter):
    """Paragraphs wrapped to the terminal; indented lines (the exit codes) kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(
            indent + line
            if line.startswith(" ") or not line
            else textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent)
            for line in text.splitlines()
        )


def _common(parser: argparse.ArgumentParser, top: bool) -> None:
    """Options accepted before the command and after it alike. After it, their defaults
    are suppressed, so that they never undo what was given before the command."""

    def default(value):
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--json", action="store_true", default=default(False), help="print JSON instead of text, for scripts"
    )
    parser.add_argument(
        "--local",
        action="store_true",
        default=default(False),
        help="act on the local stack: every setting from the stack.json `make run` writes",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=default(DEFAULT_STATE_DIR),
        metavar="DIR",
        help="with --local: the local stack's state directory (default: .local)",
    )


def _moment(value: str):
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("an ISO 8601 moment, e.g. 2027-01-05T10:00:00Z") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give its time zone, e.g. 2027-01-05T10:00:00Z") from None
    return moment


def _limit(value: str) -> int:
    number = int(value) if value.isdigit() else 0
    if not 1 <= number <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"a number from 1 to {MAX_LIMIT}")
    return number


def _command(commands, name: str, summary: str, description: str, epilog: str) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name, help=summary, description=description, epilog=epilog, formatter_class=_Formatter
    )
    _common(parser, top=False)
    return parser


def _operator_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--operator",
        metavar="NAME",
        default=None,
        help="who acts and why, for the record, e.g. 'sam (ticket 1234)' (default: your login name); "
        "the AWS identity the command runs as is recorded beside it",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line: every command with its description, arguments and exit codes."""
    parser = argparse.ArgumentParser(
        prog="python -m ops",
        description="Adhesion's support tasks, with your AWS credentials (or, with --local, "
        "on the local stack `make run` started). Every change is logged and recorded in the "
        "table, with who made it. `python -m ops COMMAND --help` explains each command.",
        epilog="\n".join(["exit codes:", *(f"  {code}  {meaning}" for code, meaning in _EXIT.items())]),
        formatter_class=_Formatter,
    )
    _common(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show = _command(
        commands,
        "show",
        "an organization's counters, members and pending requests",
        "Print an organization's counters (kept by every change: nothing is counted), one page "
        "of its members (by user id, or oldest first with --role) and one page of its pending "
        "requests (oldest first). A cursor continues its own listing only; the command that "
        "prints the next page is shown under each listing.",
        _epilog("organization_not_found, invalid_cursor"),
    )
    show.add_argument("org_id", metavar="ORG_ID", help="the organization's id, as the API returns it")
    show.add_argument(
        "--limit", type=_limit, default=DEFAULT_LIMIT, help=f"items per page, 1 to {MAX_LIMIT} (default: 25)"
    )
    show.add_argument("--cursor", help="the members' next page, from a previous show")
    show.add_argument("--pending-cursor", help="the pending requests' next page, from a previous show")
    show.add_argument(
        "--role",
        choices=[role.value for role in Role],
        help="only the members of this role (e.g. the admins)",
    )
    show.add_argument(
        "--emails",
        action="store_true",
        help="also print the addresses (from each user's last sign-in), to check that an admin is "
        "reachable; they are never printed without it",
    )

    for name, summary, description, refusals in (
        (
            "grant-admin",
            "make a member, or a user with a pending request, an admin",
            "Make USER_ID an admin of ORG_ID, for an organization that lost its last reachable "
            "admin. A member is promoted; a user with a pending request has it accepted with the "
            "admin role (decided by operator:NAME; the stream emails them as usual); anyone else "
            "is refused: they must ask to join first. Nothing happens to an admin.",
            "organization_not_found, member_not_found",
        ),
        (
            "revoke-admin",
            "make an admin an editor (another admin must remain)",
            "Make the admin USER_ID of ORG_ID an editor. Refused (last_admin) while no other "
            "admin remains: grant one first. Nothing happens to a member who is not an admin.",
            "organization_not_found, member_not_found, last_admin",
        ),
    ):
        command = _command(commands, name, summary, description, _epilog(refusals))
        command.add_argument("org_id", metavar="ORG_ID", help="the organization's id")
        command.add_argument("user_id", metavar="USER_ID", help="the user's id (their token's sub)")
        _operator_option(command)

    resend = _command(
        commands,
        "resend",
        "send a request's notifications that did not go out",
        "Send the emails of a request's transition that the email ledger does not show as sent "
        "(those given up included). The transition defaults to the one the request's status "
        "calls for: pending, the admins' new-request emails; accepted or refused, the "
        "requester's outcome. Safe to run twice without --again.",
        _epilog("organization_not_found, request_not_found, invalid_request, emails_in_progress"),
    )
    resend.add_argument("org_id", metavar="ORG_ID", help="the organization's id")
    resend.add_argument("request_id", metavar="REQUEST_ID", help="the membership request's id")
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
    _operator_option(resend)

    redrive = _command(
        commands,
        "redrive",
        "replay the stream function's failure queue",
        "Read back from the table's stream the ranges of records the stream function gave up "
        "on, oldest first, and hand them to its own code: their emails go out once, and each "
        "message handled is deleted. Stops at the first range that fails again.",
        _epilog(None, QUEUE_NOT_EMPTY, done="the queue is empty (or, with --dry-run, listed)"),
    )
    redrive.add_argument(
        "--queue-url", help="the failure queue (default: NOTIFY_FAILURE_QUEUE_URL, or the local stack's)"
    )
    redrive.add_argument(
        "--max-messages", type=int, default=None, metavar="N", help="handle at most N messages"
    )
    redrive.add_argument(
        "--dry-run", action="store_true", help="list the requests concerned; send nothing, delete nothing"
    )
    redrive.add_argument(
        "--drop-unreadable",
        action="store_true",
        help="delete messages whose records the stream no longer holds (resend their requests first)",
    )
    _operator_option(redrive)

    schedule = _command(
        commands,
        "schedule",
        "run the scheduled pass now (reminders, expiry, notices due)",
        "Run one pass of the scheduled function, as EventBridge runs it every 15 minutes: "
        "remind admins of requests whose reminder is due (one email per admin), expire the "
        "requests past their organization's expiry (their requesters are emailed), and close "
        "the notices due (digests), which the stream then emails. --now runs it as if it were "
        "that moment, e.g. to see expiry and reminders locally without waiting a month; a "
        "pass only changes what is due at its now, so running it twice does nothing twice.",
        _epilog(None),
    )
    schedule.add_argument(
        "--now",
        type=_moment,
        metavar="ISO",
        help="the pass's moment, ISO 8601 with a time zone (e.g. 2027-01-05T10:00:00Z; default: now)",
    )

    audit = _command(
        commands,
        "audit",
        "the operator actions recorded, newest first",
        "List the operator actions recorded in the table, newest first: those on one "
        "organization (ORG_ID), or every one of a month (--month, default: this month).",
        _epilog("organization_not_found, invalid_cursor, invalid_request (a month not YYYY-MM)"),
    )
    audit.add_argument("org_id", metavar="ORG_ID", nargs="?", help="only the actions on this organization")
    audit.add_argument("--month", metavar="YYYY-MM", help="every action of this month (UTC)")
    audit.add_argument(
        "--limit", type=_limit, default=DEFAULT_LIMIT, help=f"items per page, 1 to {MAX_LIMIT} (default: 25)"
    )
    audit.add_argument("--cursor", help="the next page, from a previous audit")
    return parser


def main(
    argv: list[str] | None = None,
    *,
    container=None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Run one command; ``container`` (tests) replaces the one built from the settings."""
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "audit" and args.org_id and args.month:
            parser.error("audit: give ORG_ID or --month, not both")
    except SystemExit as exit_:
        return int(exit_.code or 0)
    _log_to(err)
    try:
        source = _source(args, container)
        source.require(*_needs(args))
        with source.applied():
            result = _COMMANDS[args.command](args, source, container or _container(source))
    except ConfigurationMissing as e:
        print(f"configuration: {e}", file=err)
        return CONFIGURATION
    except DomainError as e:
        print(f"refused: {e.code}: {e.message}", file=err)
        return REFUSED
    except Exception as e:
        if _is_aws_error(e):
            print(f"AWS error: {type(e).__name__}: {e}{_aws_advice(e, args)}", file=err)
            return AWS
        raise
    code, payload, text = result
    print(json.dumps(payload, indent=2, default=str) if args.json else text, file=out)
    return code


def _log_to(err: IO[str]) -> None:
    """Warnings of every library; the operator actions (``ops.*``) from INFO up."""
    logging.basicConfig(level=logging.WARNING, stream=err, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("ops").setLevel(logging.INFO)


def _needs(args) -> list[str]:
    """The settings a command needs (``Settings`` attributes), all checked before it starts."""
    needs = ["table_name", "region"]
    if args.command == "resend" or (args.command == "redrive" and not args.dry_run):
        needs += ["mail_sender", "frontend_base_url"]
    if args.command == "redrive" and not args.queue_url:
        needs.append("notify_failure_queue_url")
    return needs


def _source(args, container) -> Source:
    if container is not None:
        return Source(container.settings, local=args.local)
    if args.local:
        return from_local_stack(args.state_dir)
    return from_environment()


def _container(source: Source):
    from chalicelib.bootstrap import Container

    return Container(source.settings)


def _is_aws_error(error: Exception) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    return isinstance(error, BotoCoreError | ClientError | PynamoDBException)


def _aws_advice(error: Exception, args) -> str:
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    # PynamoDB wraps botocore's error in its own (``cause``).
    error = getattr(error, "cause", None) or error
    if isinstance(error, NoCredentialsError):
        return " (set AWS_PROFILE or sign in with `aws sso login`; for the local stack, use --local)"
    if isinstance(error, EndpointConnectionError) and args.local:
        return " (is `make run` still running?)"
    return ""


def _support(container, operator_name: str | None = None):
    from chalicelib.bootstrap import new_id
    from chalicelib.persistence.membership import OperatorMembershipRepository
    from ops.support import Operator, SupportService

    def who() -> Operator:
        # The identity IAM vouches for, and CloudTrail names for the same calls: an operator
        # cannot choose it. GetCallerIdentity needs no permission. The name is theirs to give.
        actor = container.aws.sts.get_caller_identity()["Arn"]
        return Operator(actor=actor, name=operator_name or _login_name())

    repository = OperatorMembershipRepository(container.aws.tables, container.aws.dynamodb)
    return SupportService(repository, container.notifier, container.clock, who, new_id)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except OSError:
        return "unknown"


def _again(args, *options: str) -> str:
    """The command line that prints the next page."""
    local = " --local" if args.local else ""
    state = f" --state-dir {args.state_dir}" if args.local and args.state_dir != DEFAULT_STATE_DIR else ""
    limit = f" --limit {args.limit}" if args.limit != DEFAULT_LIMIT else ""
    return f"python -m ops{local}{state} {' '.join(options)}{limit}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# -- commands: each returns (exit code, JSON payload, text) ----------------------------


def _show(args, source, container):
    role = Role(args.role) if args.role else None
    overview = _support(container).overview(
        args.org_id, args.limit, args.cursor, args.pending_cursor, role, with_profiles=args.emails
    )
    org = overview.organization

    def person(user_id: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"user_id": user_id}
        if args.emails:
            profile = overview.profiles.get(user_id)
            entry["email"] = profile.email if profile else None
        return entry

    def email(entry: dict[str, Any]) -> str:
        return f"  <{entry['email'] or 'no address'}>" if args.emails else ""

    payload: dict[str, Any] = {
        "organization": {
            "id": org.id,
            "name": org.name,
            "members_count": org.members_count,
            "admins_count": org.admins_count,
            "pending_count": org.pending_count,
        }
    }
    lines = [
        f"{org.name} ({org.id}): {_plural(org.members_count, 'member')}, "
        f"{_plural(org.admins_count, 'admin')}, {_plural(org.pending_count, 'pending request')}"
    ]
    if overview.members is not None:
        members = [
            person(m.user_id) | {"name": m.name, "role": m.role.value, "since": isoformat(m.since)}
            for m in overview.members.items
        ]
        payload |= {"members": members, "members_next_cursor": overview.members.next_cursor}
        title = {None: "Members, by user id:", Role.ADMIN: "Admins, oldest first:"}.get(
            role, "Editors, oldest first:"
        )
        lines += ["", title]
        width = max((len(m["name"]) for m in members), default=0)
        lines += [
            f"  {m['role']:<6}  {m['user_id']:<36}  {m['name']:<{width}}  since {m['since']}{email(m)}"
            for m in members
        ] or ["  (none)"]
        if overview.members.next_cursor:
            role_option = f" --role {role.value}" if role else ""
            lines.append(
                "  Next page: "
                + _again(args, "show", org.id, f"--cursor {overview.members.next_cursor}{role_option}")
            )
    if overview.pending is not None:
        pending = [
            person(r.user.id)
            | {
                "request_id": r.id,
                "name": r.user.name,
                "created_at": isoformat(r.created_at),
                "comment": r.comment,
            }
            for r in overview.pending.items
        ]
        payload |= {"pending_requests": pending, "pending_next_cursor": overview.pending.next_cursor}
        lines += ["", "Pending requests, oldest first:"]
        width = max((len(r["name"]) for r in pending), default=0)
        lines += [
            f"  {r['request_id']}  {r['user_id']:<36}  {r['name']:<{width}}  {r['created_at']}{email(r)}"
            for r in pending
        ] or ["  (none)"]
        if overview.pending.next_cursor:
            lines.append(
                "  Next page: "
                + _again(args, "show", org.id, f"--pending-cursor {overview.pending.next_cursor}")
            )
    if org.admins_count == 0:
        lines += ["", f"This organization has no admin: {_again(args, 'grant-admin', org.id, 'USER_ID')}"]
    return OK, payload, "\n".join(lines)


def _admin_change(method_name: str):
    def command(args, source, container):
        support = _support(container, args.operator)
        change = getattr(support, method_name)(args.org_id, args.user_id)
        member = change.member
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
            "unchanged": f"Nothing to do: {member.user_id} "
            f"{'is already an admin' if member.role is Role.ADMIN else 'is not an admin'}.",
        }[change.action]
        return OK, payload, text

    return command


def _resend(args, source, container):
    support = _support(container, args.operator)
    transition = Transition(args.transition) if args.transition else None
    transition, outcome = support.resend(
        args.org_id, args.request_id, transition, again=args.again, force=args.force
    )
    payload = {"transition": transition.value} | asdict(outcome)
    text = (
        f"{transition.value}: {outcome.sent} sent, {outcome.already_sent} had already gone out, "
        f"{outcome.failed} failed permanently (see the log lines above)."
    )
    return OK, payload, text


def _redrive(args, source, container):
    from chalicelib.stream import process_records
    from ops.redrive import FailureQueueRedriver

    support = _support(container, args.operator)
    queue_url = args.queue_url or container.settings.notify_failure_queue_url
    if not args.dry_run:
        support.identify()
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
    if not args.dry_run:
        outcomes = [entry.outcome for entry in report.ranges]
        support.redriven(
            queue_url,
            replayed=outcomes.count("replayed"),
            dropped=outcomes.count("dropped"),
            records=report.records,
            remaining=report.remaining,
            requests=[
                f"{q['organization_id']}/{q['request_id']}"
                for entry in report.ranges
                if entry.outcome == "replayed"
                for q in entry.requests
            ],
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


def _audit(args, source, container):
    from chalicelib.bootstrap import utc_now

    support = _support(container)
    if args.org_id:
        page = support.history(args.org_id, args.limit, args.cursor)
        scope, where = args.org_id, f"on {args.org_id}"
    else:
        month = args.month or utc_now().strftime("%Y-%m")
        page = support.log(month, args.limit, args.cursor)
        scope, where = f"--month {month}", f"in {month}"
    actions = [
        {
            "id": a.id,
            "at": isoformat(a.at),
            "action": a.action,
            "organization_id": a.organization_id,
            "subject": a.subject,
            "operator": a.operator,
            "actor": a.actor,
            "details": a.details,
        }
        for a in page.items
    ]
    lines = [f"Operator actions {where}, newest first:"]
    for a in actions:
        details = ", ".join(f"{k}={v}" for k, v in a["details"].items() if k != "requests")
        org = f" in {a['organization_id']}" if not args.org_id and a["organization_id"] else ""
        lines += [
            f"  {a['at']}  {a['action']} {a['subject'] or ''}{org}: {details}",
            f"      by {a['operator']} as {a['actor']}",
        ]
    if not actions:
        lines.append("  (none)")
    if page.next_cursor:
        lines.append("  Next page: " + _again(args, "audit", scope, f"--cursor {page.next_cursor}"))
    return OK, {"actions": actions, "next_cursor": page.next_cursor}, "\n".join(lines)


def _schedule(args, source, container):
    from chalicelib.bootstrap import utc_now

    report = container.schedule.run(args.now or utc_now())
    logging.getLogger("ops.schedule").info(
        "scheduled pass at %s: %s", isoformat(report.now), report.summary()
    )
    days = f"{report.days[0]}..{report.days[-1]}" if report.days else "none"
    lines = [report.summary(), f"days read: {days}; next pass starts at {report.checkpoint}"]
    if report.deferred:
        lines.append(f"{_plural(report.deferred, 'request')} changed meanwhile: left to the next pass")
    return OK, report.as_dict(), "\n".join(lines)


_COMMANDS = {
    "show": _show,
    "grant-admin": _admin_change("grant_admin"),
    "revoke-admin": _admin_change("revoke_admin"),
    "resend": _resend,
    "redrive": _redrive,
    "audit": _audit,
    "schedule": _schedule,
}
