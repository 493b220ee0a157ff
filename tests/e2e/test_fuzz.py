"""schemathesis against the running local stack, from the project's own /openapi.json:
no 5xx, no response outside the schema, no invalid input accepted, no valid input
refused, and every operation of the contract reached with a 2xx (its OpenAPI links
chain real organizations, requests and members in the stateful phase)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from schemathesis.config import SchemathesisConfig

from devstack import __main__ as devstack_cli
from devstack import fuzz as fuzz_module
from devstack.fuzz import (
    CONFIG,
    ROOT,
    fuzz,
    operations,
    reached_with_2xx,
    schemathesis_command,
    summary,
)
from devstack.fuzz_hooks import (
    ADMIN,
    LOCAL_GATEWAY_REFUSAL,
    RESPONSES_FILE,
    Cast,
    beyond_the_pattern,
    filter_failure,
)

# Bounded for make test (about two minutes); `make fuzz EXAMPLES=1000` is the long run.
# 25 scenarios of the stateful phase reach the ends of its chains (a withdrawal, a
# removal) ten times or more; 15 reached some only twice (devstack/schemathesis.toml).
MAX_EXAMPLES = 25
SEED = 20261128
SETTINGS = tomllib.loads(CONFIG.read_text())


def test_the_api_survives_fuzzing_and_every_operation_is_reached(stack, tmp_path, capsys):
    # GIVEN the running local stack, which serves its own contract
    log = tmp_path / "schemathesis.log"

    # WHEN schemathesis runs every phase on it, stateful included, bounded and seeded
    with log.open("w") as output:
        status = fuzz(stack.state_dir, MAX_EXAMPLES, SEED, output=output)

    text = log.read_text()
    hit, missed, seen = reached_with_2xx(stack.state_dir / "fuzz")
    cases = next((line.strip() for line in text.splitlines() if " generated" in line), "no summary")
    with capsys.disabled():
        print(f"\nschemathesis: {cases}\n{summary(stack.state_dir / 'fuzz')}")
    # THEN every operation of the contract answered at least one request with a 2xx,
    # as the run itself says, and schemathesis selected them all
    count = len(operations())
    assert missed == [], f"never a 2xx: {missed}\n{json.dumps(seen, indent=1)}"
    assert f"fuzz: {count} of {count} operations reached with a 2xx\n" in text
    assert f"Selected: {count}/{count}" in text
    # (the contract is the app's routes, tests/api/test_public_routes.py, so none is left out)
    assert sorted(hit) == sorted(operations())
    # AND none answered a 5xx, by the fuzzer's own record of every answer
    assert [label for label, statuses in seen.items() if statuses["5xx"]] == []
    # AND every check passed: no answer outside the schema, no input wrongly refused
    # or accepted, no failed sequence (schemathesis exits 0 only then)
    assert status == 0, text[-6000:]


def test_the_fuzzer_knows_the_text_rule_beyond_what_the_patterns_name():
    # GIVEN the hooks the fuzzer's configuration loads
    assert SETTINGS["hooks"] == "devstack.fuzz_hooks"
    # THEN a body is left out only for a character the rule refuses beyond the BMP
    # (the patterns refuse the others, so schemathesis already counts them invalid)
    assert beyond_the_pattern({"comment": "tag \U000e0041"})
    assert beyond_the_pattern({"name": "x", "description": "unassigned \U0003fffe"})
    assert beyond_the_pattern(["private \U0010fffd"])
    assert not beyond_the_pattern({"comment": "Données ouvertes 🎉👍🏽 数据 \u202e"})
    assert not beyond_the_pattern({"role": "admin"})


class _Answer:
    def __init__(self, status: int, body):
        self.status_code = status
        self._body = body

    def json(self):
        if self._body is None:
            raise ValueError("no JSON")
        return self._body


class _Failure:
    def __init__(self, code: str):
        self.code = code


def test_only_the_local_gateways_own_refusal_escapes_the_schema_check():
    # GIVEN chalice local's body when the authorizer denies a token (deployed, API
    # Gateway's ACCESS_DENIED template gives it the contract's shape)
    refusal = _Answer(403, dict(LOCAL_GATEWAY_REFUSAL))
    # THEN its schema failure is dropped, and nothing else is
    assert filter_failure(None, _Failure("ST108"), None, refusal) is False
    assert filter_failure(None, _Failure("ST108"), None, _Answer(403, {"Message": "anything else"})) is True
    assert filter_failure(None, _Failure("ST108"), None, _Answer(200, dict(LOCAL_GATEWAY_REFUSAL))) is True
    assert filter_failure(None, _Failure("ST108"), None, _Answer(403, None)) is True
    # AND its status is still held to the contract
    assert filter_failure(None, _Failure("ST106"), None, refusal) is True


def _names(operation: dict, item: dict) -> set[str]:
    parameters = [*operation.get("parameters", []), *item.get("parameters", [])]
    return {parameter.get("name") for parameter in parameters}


def test_every_listing_with_an_opaque_cursor_may_refuse_a_forged_one():
    # GIVEN the contract's operations that take a cursor, which only the service can issue
    from chalicelib.api.validation import openapi

    paged = {
        f"{method.upper()} {path}"
        for path, item in openapi()["paths"].items()
        for method, operation in item.items()
        if method != "parameters" and "cursor" in _names(operation, item)
    }
    # THEN the fuzzer's configuration lets each answer a well-formed forged one with 400
    allowed = {
        block["include-name"]
        for block in SETTINGS["operations"]
        if "400" in block.get("checks", {}).get("positive_data_acceptance", {}).get("expected-statuses", [])
    }
    assert paged and paged <= allowed, sorted(paged - allowed)


def test_each_step_gets_the_caller_the_service_expects():
    # GIVEN two requesters, one of whom already asked organization A
    cast = Cast(requesters=["requester-0", "requester-1"])
    cast.answered("askToJoin", "requester-0", {"org_id": "A"}, 201, {"id": "R1"})

    # THEN the other one asks A, the first one asks B (fewer pending requests wins
    # only among those who have not asked there yet)
    assert cast.caller_for("askToJoin", {"org_id": "A"}) == "requester-1"
    assert cast.caller_for("askToJoin", {"org_id": "B"}) == "requester-1"
    cast.answered("askToJoin", "requester-1", {"org_id": "B"}, 201, {"id": "R2"})
    assert cast.caller_for("askToJoin", {"org_id": "C"}) == "requester-0"
    # AND a request is withdrawn by its own requester, decided by the admin
    assert cast.caller_for("withdrawMembershipRequest", {"request_id": "R2"}) == "requester-1"
    assert cast.caller_for("acceptMembershipRequest", {"org_id": "A", "request_id": "R1"}) == ADMIN
    assert cast.caller_for("removeMember", {"org_id": "A", "member_id": "x"}) == ADMIN
    # AND a decision frees its requester's pending slot
    cast.answered("refuseMembershipRequest", ADMIN, {"request_id": "R1"}, 200, None)
    assert cast.pending == {"requester-0": 0, "requester-1": 1}
    # AND a refusal to ask (already pending, cooling down) sends the next ask elsewhere
    cast.answered("askToJoin", "requester-0", {"org_id": "D"}, 429, None)
    assert cast.caller_for("askToJoin", {"org_id": "D"}) == "requester-1"


def _document() -> dict:
    return json.loads((ROOT / "chalicelib" / "openapi.json").read_text(encoding="utf-8"))


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_the_contracts_links_name_real_operations_parameters_and_fields():
    # GIVEN every OpenAPI link of the contract
    document = _document()
    where = {
        operation["operationId"]: (path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }
    links = [
        (operation_id, path, response, name, link)
        for operation_id, (path, operation) in where.items()
        for response in operation["responses"].values()
        for name, link in response.get("links", {}).items()
    ]
    # THEN they chain organizations, requests and members through every decision:
    # a new organization is asked to join, listed, its settings read and changed; a new
    # request is read, accepted, refused or withdrawn; the member an acceptance makes gets
    # a role or is removed; the member whose role changed is removed
    assert {(source, link["operationId"]) for source, *_, link in links} == {
        ("createOrganization", "askToJoin"),
        ("createOrganization", "listMembers"),
        ("createOrganization", "getOrganizationSettings"),
        ("createOrganization", "changeOrganizationSettings"),
        ("askToJoin", "getMembershipRequest"),
        ("askToJoin", "acceptMembershipRequest"),
        ("askToJoin", "refuseMembershipRequest"),
        ("askToJoin", "withdrawMembershipRequest"),
        ("acceptMembershipRequest", "changeMemberRole"),
        ("acceptMembershipRequest", "removeMember"),
        ("changeMemberRole", "removeMember"),
    }
    for _, source_path, response, name, link in links:
        # AND each fills exactly its target's path parameters
        target_path, _ = where[link["operationId"]]
        placeholders = {part for part in target_path.split("/") if part.startswith("{")}
        assert {f"{{{parameter}}}" for parameter in link["parameters"]} == placeholders, name
        # AND reads a string the source's request path or answer really holds
        for expression in link["parameters"].values():
            if expression.startswith("$request.path."):
                assert f"{{{expression.removeprefix('$request.path.')}}}" in source_path, name
                continue
            schema = _resolve(response["content"]["application/json"]["schema"], document)
            for field in expression.removeprefix("$response.body#/").split("/"):
                # A JSON pointer's number indexes an array: its items' schema.
                step = schema["items"] if field.isdigit() else schema["properties"][field]
                schema = _resolve(step, document)
            assert schema["type"] == "string", (name, expression)


class _SlowOnce(BaseHTTPRequestHandler):
    """One operation whose first answer takes longer than the fuzzer waits."""

    calls = 0
    delay = 0.0
    document: ClassVar[dict] = {
        "openapi": "3.0.3",
        "info": {"title": "slow", "version": "1"},
        "paths": {
            "/slow": {
                "get": {
                    "operationId": "slow",
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": {}}}}
                    },
                }
            }
        },
    }

    def do_GET(self):
        if self.path == "/openapi.json":
            body = self.document
        else:
            # schemathesis probes the server on other paths before the test cases.
            if self.path == "/slow":
                type(self).calls += 1
                if type(self).calls == 1:
                    time.sleep(self.delay)
            body = {"ok": True}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # The fuzzer hangs up on the slow answer; writing it then fails, as it should.
        pass


@pytest.fixture
def slow_once():
    _SlowOnce.calls, _SlowOnce.delay = 0, 3.0
    server = _QuietServer(("127.0.0.1", 0), _SlowOnce)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _schemathesis(url: str, retries: int, tmp_path: Path) -> subprocess.CompletedProcess:
    # The time-out is shortened from the configuration's to keep the test quick.
    return subprocess.run(  # noqa: S603 (our own command line)
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{url}/openapi.json",
            "--phases",
            "fuzzing",
            "--max-examples",
            "3",
            "--request-timeout",
            "1",
            "--request-retries",
            str(retries),
            "--seed",
            str(SEED),
        ],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_one_slow_answer_is_sent_again_rather_than_failing_the_run(slow_once, tmp_path):
    # GIVEN the retries the fuzzer is configured with, and an operation whose first
    # answer comes after the time-out
    retries = SETTINGS["request-retries"]

    # WHEN schemathesis fuzzes it with those retries
    run = _schemathesis(slow_once, retries, tmp_path)

    # THEN the request is sent again and the run passes
    assert run.returncode == 0, run.stdout[-3000:]
    assert _SlowOnce.calls >= 2


def test_without_retries_the_same_slow_answer_fails_the_run(slow_once, tmp_path):
    # GIVEN the same operation, WHEN schemathesis gives up after one time-out
    run = _schemathesis(slow_once, 0, tmp_path)
    # THEN the run fails, naming the time-out: what the retries above are for; it is
    # reported as a failure (1), not as a run that could not do its job (2)
    assert run.returncode == 1, run.stdout[-3000:]
    assert "read timed out" in run.stdout.lower()


def _option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_the_wait_for_each_answer_is_the_configurations_unless_one_run_sets_it(tmp_path, monkeypatch):
    # GIVEN the fuzzer's configuration, as schemathesis itself reads it
    settings = SchemathesisConfig.from_path(str(CONFIG)).projects.get_default()
    # THEN each answer is awaited generously, and a slow one sent again
    assert settings.request_timeout == SETTINGS["request-timeout"] >= 30
    assert settings.request_retries == SETTINGS["request-retries"] >= 1

    # WHEN a run gives no time-out, THEN the command leaves the configuration's alone
    command = schemathesis_command("http://127.0.0.1:1", 3)
    assert _option(command, "--config-file") == str(CONFIG)
    assert _option(command, "--request-timeout") is None

    # WHEN `python -m devstack fuzz --request-timeout 90` (make fuzz TIMEOUT=90) runs
    calls = []
    monkeypatch.setattr(fuzz_module, "fuzz", lambda *args, **kwargs: calls.append((args, kwargs)) or 0)
    (tmp_path / "stack.json").write_text("{}", encoding="utf-8")
    argv = ["--state-dir", str(tmp_path), "fuzz", "--max-examples", "3", "--request-timeout", "90"]
    assert devstack_cli.main(argv) == 0

    # THEN that run, and only it, waits 90 seconds for each answer
    ((args, kwargs),) = calls
    assert args == (tmp_path, 3, None) and kwargs == {"request_timeout": 90.0}
    command = schemathesis_command("http://127.0.0.1:1", 3, request_timeout=kwargs["request_timeout"])
    assert _option(command, "--request-timeout") == "90.0"


def test_the_summary_names_every_operation_that_never_answered_a_2xx(tmp_path):
    # GIVEN a run in which every operation answered a 2xx but one, which only got 4xx
    labels = operations()
    never = "DELETE /organizations/{org_id}/members/{member_id}"
    answers = [{"operation": label, "status": 404 if label == never else 200} for label in labels]
    answers.append({"operation": labels[0], "status": 500})
    (tmp_path / RESPONSES_FILE).write_text("".join(json.dumps(a) + "\n" for a in answers))

    # WHEN the run is summed up
    hit, missed, seen = reached_with_2xx(tmp_path)

    # THEN the line counts it out and names it, and every status class is kept
    assert missed == [never] and len(hit) == len(labels) - 1
    assert summary(tmp_path) == (
        f"fuzz: {len(labels) - 1} of {len(labels)} operations reached with a 2xx (never: {never})"
    )
    assert seen[labels[0]] == {"2xx": 1, "5xx": 1}
    assert seen[never] == {"4xx": 1}
