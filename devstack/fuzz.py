"""Fuzzes the running local stack with schemathesis, from its own /openapi.json.

A fresh user is created in the emulator's Cognito pool and signed in; it creates an
organization and a second user asks to join it, so that the fuzzer reaches real
objects as well as random ids. The run is bounded by ``max_examples`` per operation.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

CONFIG = Path(__file__).with_name("schemathesis.toml")
# The hooks the configuration names are imported from here (schemathesis adds its cwd).
ROOT = Path(__file__).resolve().parent.parent


def fuzz(state_dir: Path, max_examples: int, seed: int | None = None, output=None) -> int:
    import boto3

    from devstack.stack import api_request, create_user, sign_in

    stack = json.loads((state_dir / "stack.json").read_text(encoding="utf-8"))
    cognito = boto3.client(
        "cognito-idp",
        region_name=stack["region"],
        endpoint_url=stack["aws_endpoint_url"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106
    )

    class Pool:
        user_pool_id = stack["user_pool_id"]

    tokens = []
    for name in ("Fuzz Admin", "Fuzz Requester"):
        email = f"fuzz-{secrets.token_hex(6)}@example.org"
        _, password = create_user(cognito, Pool, name, email, "fr")
        tokens.append(sign_in(cognito, stack, email, password))
    api = stack["api_url"]
    _, org = api_request("POST", f"{api}/organizations", tokens[0], {"name": "Fuzzed organization"})
    api_request(
        "POST", f"{api}/organizations/{org['id']}/membership-requests", tokens[1], {"comment": "Fuzz me"}
    )
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{api}/openapi.json",
        "--header",
        f"Authorization: Bearer {tokens[0]}",
        "--checks",
        "all",
        "--mode",
        "all",
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(max_examples),
        "--request-timeout",
        "10",
        "--wait-for-schema",
        "30",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    # chalice local serves one request at a time per app object; one worker keeps the
    # fuzzer from measuring the local server instead of the service.
    return subprocess.run(  # noqa: S603 (our own command line)
        command,
        check=False,
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    ).returncode
