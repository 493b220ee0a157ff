"""Fuzzes the running local stack with schemathesis, from its own /openapi.json.

Fresh users are created in the emulator's Cognito pool: one admin, who creates every
organization, requesters, who ask to join them, and a member, who joined one before the
run and lists their own requests (devstack/fuzz_hooks.py gives each request its caller).
The contract's OpenAPI links let schemathesis's stateful phase chain real objects:
create an organization, list its members, ask to join it, then read, accept, refuse or
withdraw that request, change the new member's role and remove them. The run is bounded
by ``max_examples`` per operation and per stateful suite (scenarios of at most
``max-steps`` steps); the request time-out and retries are settings in schemathesis.toml.
Afterwards it says how many of the contract's operations answered at least one 2xx,
and fails if some never did.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections import Counter
from pathlib import Path

from devstack.fuzz_hooks import ADMIN, FUZZ_DIR, MEMBER, RESPONSES_FILE, USERS_FILE, reached

CONFIG = Path(__file__).with_name("schemathesis.toml")
# The hooks the configuration names are imported from here (schemathesis adds its cwd).
ROOT = Path(__file__).resolve().parent.parent
# The service caps each user's pending requests (MAX_PENDING_REQUESTS, 10 by default)
# and makes a user wait (REQUEST_COOLDOWN_SECONDS) before asking one organization again.
# A stateful scenario asks the organization it created many times: with four requesters,
# a third of a run's asks were refused with 429 and left nothing to withdraw or decide.
REQUESTERS = 8


def operations() -> list[str]:
    """Every operation of the contract, labelled as schemathesis labels them."""
    from chalicelib.api.validation import openapi

    return [
        f"{method.upper()} {path}"
        for path, item in openapi()["paths"].items()
        for method in item
        if method != "parameters"
    ]


def reached_with_2xx(fuzz_dir: Path) -> tuple[list[str], list[str], dict[str, Counter]]:
    """(operations answered 2xx at least once, those never, every operation's statuses)."""
    seen = reached(fuzz_dir)
    labels = operations()
    hit = [label for label in labels if seen.get(label, Counter())["2xx"]]
    return hit, [label for label in labels if label not in hit], seen


def summary(fuzz_dir: Path) -> str:
    hit, missed, _ = reached_with_2xx(fuzz_dir)
    line = f"fuzz: {len(hit)} of {len(hit) + len(missed)} operations reached with a 2xx"
    return line + (f" (never: {', '.join(missed)})" if missed else "")


def _cast(stack: dict, fuzz_dir: Path) -> dict[str, str]:
    """Creates the run's users; writes who they are for the hooks; returns their tokens."""
    import boto3

    from devstack.stack import create_user, sign_in

    cognito = boto3.client(
        "cognito-idp",
        region_name=stack["region"],
        endpoint_url=stack["aws_endpoint_url"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106
    )

    class Pool:
        user_pool_id = stack["user_pool_id"]

    users, tokens = {}, {}
    names = [ADMIN, MEMBER, *(f"requester-{number}" for number in range(REQUESTERS))]
    for name in names:
        email = f"fuzz-{name}-{secrets.token_hex(4)}@example.org"
        sub, password = create_user(cognito, Pool, f"Fuzz {name}", email, "fr")
        users[name] = {"email": email, "password": password, "sub": sub}
        tokens[name] = sign_in(cognito, stack, email, password)
    fuzz_dir.mkdir(parents=True, exist_ok=True)
    connection = {
        key: stack[key]
        for key in (
            "region",
            "aws_endpoint_url",
            "user_pool_id",
            "user_pool_client_id",
            "unsubscribe_secret_arn",
        )
    }
    (fuzz_dir / USERS_FILE).write_text(json.dumps({"stack": connection, "users": users}), encoding="utf-8")
    (fuzz_dir / RESPONSES_FILE).unlink(missing_ok=True)
    return tokens


def prepare(stack: dict, fuzz_dir: Path) -> None:
    """The run's users, and one organization with a member and a pending request, so
    that from the first case on the member's own requests and the admin's inbox
    (/me/notifications) are not empty, and their items are checked against the schema."""
    from devstack.stack import api_request

    tokens = _cast(stack, fuzz_dir)
    api = stack["api_url"]
    _, org = api_request("POST", f"{api}/organizations", tokens[ADMIN], {"name": "Fuzzed organization"})
    requests = f"{api}/organizations/{org['id']}/membership-requests"
    _, joined = api_request("POST", requests, tokens[MEMBER], {"comment": "Fuzz"})
    api_request("POST", f"{requests}/{joined['id']}/accept", tokens[ADMIN], {})
    api_request("POST", requests, tokens["requester-0"], {"comment": "Fuzz"})


def schemathesis_command(
    api: str, max_examples: int, seed: int | None = None, request_timeout: float | None = None
) -> list[str]:
    """The schemathesis command line for the API at ``api``; ``request_timeout`` (seconds)
    overrides schemathesis.toml's for this run."""
    # Every check runs, schemathesis's default; `--checks all` would also turn back on
    # the one the configuration turns off for a single operation.
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{api}/openapi.json",
        # schemathesis leaves out the operation that served the document unless a
        # filter names it; every operation of the contract is under test.
        "--include-path-regex",
        "^/",
        "--mode",
        "all",
        # chalice local serves one request at a time per app object; one worker keeps
        # the fuzzer from measuring the local server instead of the service.
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(max_examples),
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    if request_timeout is not None:
        command += ["--request-timeout", str(request_timeout)]
    return command


def fuzz(
    state_dir: Path,
    max_examples: int,
    seed: int | None = None,
    output=None,
    request_timeout: float | None = None,
) -> int:
    """Runs schemathesis on the stack of ``state_dir``; its exit status, or 1 if some
    operation never answered a 2xx. Says how many did, on ``output`` or stdout."""
    stack = json.loads((state_dir / "stack.json").read_text(encoding="utf-8"))
    fuzz_dir = state_dir / "fuzz"
    prepare(stack, fuzz_dir)
    status = subprocess.run(  # noqa: S603 (our own command line)
        schemathesis_command(stack["api_url"], max_examples, seed, request_timeout),
        check=False,
        cwd=ROOT,
        env={**os.environ, FUZZ_DIR: str(fuzz_dir)},
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    ).returncode
    print(summary(fuzz_dir), file=output or sys.stdout, flush=True)
    _, missed, _ = reached_with_2xx(fuzz_dir)
    # A run that never got past the door of some operation did not fuzz the whole API.
    return status or (1 if missed else 0)
