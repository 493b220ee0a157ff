"""Local stack commands: ``python -m devstack run | token USER | outbox | fuzz``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_STATE = Path(".local")


def _stack_json(state_dir: Path) -> dict:
    from devstack.stack import StackError, read_stack_json

    try:
        return read_stack_json(state_dir)
    except StackError as error:
        raise SystemExit(str(error)) from None


def cmd_run(args) -> int:
    from devstack.stack import StackError, run

    try:
        run(
            args.host,
            args.api_port,
            args.aws_port,
            args.state_dir.resolve(),
            args.frontend_url,
            with_seed=not args.no_seed,
            console_port=args.console_port,
            schedule_seconds=args.schedule_seconds,
        )
    except StackError as error:
        print(f"make run: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_token(args) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from devstack.stack import sign_in

    stack = _stack_json(args.state_dir)
    users = stack.get("demo", {}).get("users", {})
    if args.user not in users:
        print(f"Unknown demo user {args.user!r}; choose one of: {', '.join(users)}", file=sys.stderr)
        return 2
    cognito = boto3.client(
        "cognito-idp",
        region_name=stack["region"],
        endpoint_url=stack["aws_endpoint_url"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106
    )
    try:
        token = sign_in(cognito, stack, users[args.user]["email"], users[args.user]["password"])
    except (BotoCoreError, ClientError) as error:
        print(
            f"The local stack's emulator ({stack['aws_endpoint_url']}) did not sign {args.user} in: "
            f"{error}. Is `make run` still running?",
            file=sys.stderr,
        )
        return 2
    print(token)
    return 0


def cmd_outbox(args) -> int:
    from devstack.outbox import read_outbox

    messages = read_outbox(args.state_dir / "outbox")
    if not messages:
        print("The outbox is empty.")
        return 0
    for path, message in messages:
        # The .html beside each .eml is for a browser (most download an .eml instead).
        print(f"{message['Date']}  to {message['To']:<24} {message['Subject']}")
        print(f"    {path}\n    {path.with_suffix('.html')}")
    return 0


def cmd_fuzz(args) -> int:
    from devstack.fuzz import fuzz

    _stack_json(args.state_dir)
    return fuzz(args.state_dir, args.max_examples, args.seed, request_timeout=args.request_timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE,
        help="where stack.json and the outbox live (default: .local)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the whole service locally")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--api-port", type=int, default=8000)
    run.add_argument("--aws-port", type=int, default=5005)
    run.add_argument(
        "--console-port", type=int, default=8080, help="the web console's port (0: any free one)"
    )
    run.add_argument(
        "--frontend-url",
        default=None,
        help="the front end the links in emails open and the API answers by CORS "
        "(default: the console this stack serves)",
    )
    run.add_argument("--no-seed", action="store_true", help="start empty, without demo data")
    run.add_argument(
        "--schedule-seconds",
        type=float,
        default=60.0,
        help="run the scheduled pass (reminders, expiry, notices due) every this many seconds "
        "(default: 60; 0: never, `python -m ops --local schedule` runs one at will)",
    )
    run.set_defaults(handler=cmd_run)
    token = commands.add_parser("token", help="print a fresh ID token for a demo user")
    token.add_argument("user")
    token.set_defaults(handler=cmd_token)
    outbox = commands.add_parser("outbox", help="list the emails the local stack sent")
    outbox.set_defaults(handler=cmd_outbox)
    fuzzing = commands.add_parser("fuzz", help="fuzz the running stack from its OpenAPI document")
    fuzzing.add_argument("--max-examples", type=int, default=25, help="test cases per operation")
    fuzzing.add_argument("--seed", type=int, default=None)
    fuzzing.add_argument(
        "--request-timeout",
        type=float,
        default=None,
        help="seconds to wait for each answer (default: devstack/schemathesis.toml's)",
    )
    fuzzing.set_defaults(handler=cmd_fuzz)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
