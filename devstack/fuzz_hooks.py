"""schemathesis hooks for ``python -m devstack fuzz`` (named in schemathesis.toml).

Who calls. The contract's links chain real objects (an organization, a request to join
it, the member it made), but each step needs its own caller: only a non-member may ask
to join, only the requester may withdraw, only an admin may decide. ``devstack.fuzz``
creates one admin, requesters and a member in the emulator's Cognito pool and
names them in ``$ADHESION_FUZZ_DIR/users.json``; :class:`FuzzUsers` signs them in (again
before their ID tokens expire) and :class:`Cast` picks the caller of each request. Asking
goes to the requester with the fewest pending requests who has not asked that
organization yet (the service caps each user's pending requests and makes a user wait
before asking the same organization again); withdrawing goes to the request's own
requester; the member lists their own requests, and is the caller when a case removes
them (schemathesis reuses ids it saw answered); everything else goes to the admin, who
creates every organization.

What was reached. Every answer's operation, status, caller and phase is appended to
``$ADHESION_FUZZ_DIR/responses.jsonl`` (:func:`reached` reads it back), so a run shows
that each operation of the contract got at least one 2xx.

Text fields follow the contract's plain-text rule (``x-plain-text``); their ``pattern``
can state it for the Basic Multilingual Plane only, which is all an ECMA-262 pattern
without the ``u`` flag can name. A body holding a character beyond that plane which the
rule refuses (a tag character, an unassigned or private-use code point...) is left out
of the run: the contract refuses it, but schemathesis, reading only the pattern, would
take it for valid input and report the service's 400 as a fault.

The rule is not registered as a string ``format``: schemathesis treats a value that
misses a custom format as invalid input whatever the value, and would expect ordinary
text drawn without the format to be refused.

Unsubscribe links. ``/unsubscribe`` takes a link the service signed: any other token,
however well-formed, is rightly refused (400 ``invalid_link``). A schema-valid case gets
a fresh link of the member's, signed with the key the emulator holds
(:func:`before_call`), so that the operation is reached with a 2xx; the cases drawn
invalid keep what was drawn.

Tokens the authorizer denies. Deployed, API Gateway answers them in the contract's error
shape (``ACCESS_DENIED`` in infra/app-merge.yaml, proven by
tests/infra/test_packaged_app.py); chalice local, which plays API Gateway here, answers
with API Gateway's default body instead. That body is not the application's answer, so
its schema failure, and only that one, is dropped (:func:`filter_failure`); its status
is still checked.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation

from chalicelib.api.validation import refuses

_LAST_BMP = 0xFFFF
FUZZ_DIR = "ADHESION_FUZZ_DIR"
USERS_FILE = "users.json"
RESPONSES_FILE = "responses.jsonl"
ADMIN = "admin"
MEMBER = "member"
# Local ID tokens last an hour; a long `make fuzz` signs everyone in again well before.
TOKEN_REFRESH_SECONDS = 1800
# chalice local's answer, API Gateway's default, when the authorizer denies a token.
LOCAL_GATEWAY_REFUSAL = {"Message": "User is not authorized to access this resource"}
# schemathesis's stable code for "Response violates schema".
SCHEMA_VIOLATION = "ST108"
DECISIONS = ("acceptMembershipRequest", "refuseMembershipRequest", "withdrawMembershipRequest")


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def beyond_the_pattern(body: Any) -> bool:
    """Whether the body holds a character the pattern cannot refuse but the rule does."""
    return any(
        ord(char) > _LAST_BMP and refuses(char, multiline=True) for text in _strings(body) for char in text
    )


@schemathesis.hook
def filter_body(context, body) -> bool:
    return not beyond_the_pattern(body)


def local_gateway_refusal(status: int, body: Any) -> bool:
    """Whether this is chalice local standing in for API Gateway's denial of a token."""
    return status == 403 and body == LOCAL_GATEWAY_REFUSAL


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    if failure.code != SCHEMA_VIOLATION:
        return True
    try:
        body = response.json()
    except ValueError:
        return True
    return not local_gateway_refusal(response.status_code, body)


@dataclass
class Cast:
    """The run's callers, and what the answers told of the requests they made."""

    requesters: list[str]
    member_sub: str | None = None
    pending: Counter = field(default_factory=Counter)
    asked: dict[str, set[str]] = field(default_factory=dict)
    requester_of: dict[str, str] = field(default_factory=dict)

    def caller_for(self, operation_id: str | None, path: dict[str, Any]) -> str:
        if operation_id == "askToJoin":
            org_id = str(path.get("org_id"))
            return min(
                self.requesters,
                key=lambda user: (org_id in self.asked.get(user, ()), self.pending[user], user),
            )
        if operation_id == "withdrawMembershipRequest":
            return self.requester_of.get(str(path.get("request_id")), self.requesters[0])
        if self.member_sub is not None and (
            operation_id == "listMyRequests"
            or (operation_id == "removeMember" and path.get("member_id") == self.member_sub)
        ):
            return MEMBER
        return ADMIN

    def answered(
        self, operation_id: str | None, caller: str | None, path: dict[str, Any], status: int, body: Any
    ):
        if operation_id == "askToJoin" and caller in self.requesters:
            if status in (201, 409, 429):
                # Asked, already asked, or told to wait: someone else asks here next.
                self.asked.setdefault(caller, set()).add(str(path.get("org_id")))
            if status == 201:
                self.pending[caller] += 1
                self.requester_of[str(body["id"])] = caller
        elif operation_id in DECISIONS and status == 200:
            requester = self.requester_of.get(str(path.get("request_id")))
            if requester is not None:
                self.pending[requester] -= 1


class _Run:
    """This process's fuzz run, from the directory ``devstack.fuzz`` prepared."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, Any] | None = None
        self._cast: Cast | None = None
        self.callers_by_token: dict[str, str] = {}

    @property
    def directory(self) -> Path:
        value = os.environ.get(FUZZ_DIR)
        if not value:
            raise RuntimeError(f"{FUZZ_DIR} is not set: run the fuzzer with `python -m devstack fuzz`.")
        return Path(value)

    @property
    def users(self) -> dict[str, Any]:
        if self._users is None:
            self._users = json.loads((self.directory / USERS_FILE).read_text(encoding="utf-8"))
        return self._users

    @property
    def cast(self) -> Cast:
        if self._cast is None:
            users = self.users["users"]
            self._cast = Cast(
                requesters=[name for name in users if name not in (ADMIN, MEMBER)],
                member_sub=users[MEMBER]["sub"] if MEMBER in users else None,
            )
        return self._cast

    def sign_in_everyone(self) -> dict[str, str]:
        import boto3

        from devstack.stack import sign_in

        stack = self.users["stack"]
        cognito = boto3.client(
            "cognito-idp",
            region_name=stack["region"],
            endpoint_url=stack["aws_endpoint_url"],
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106
        )
        tokens = {
            name: sign_in(cognito, stack, user["email"], user["password"])
            for name, user in self.users["users"].items()
        }
        self.callers_by_token = {token: name for name, token in tokens.items()}
        return tokens

    @functools.cached_property
    def unsubscribe_links(self):
        """Signs links as the local stack does, with the key its emulator holds."""
        import uuid
        from datetime import UTC, datetime

        import boto3

        from chalicelib.mail.unsubscribe import UnsubscribeLinks

        stack = self.users["stack"]
        secrets = boto3.client(
            "secretsmanager",
            region_name=stack["region"],
            endpoint_url=stack["aws_endpoint_url"],
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106
        )
        key = secrets.get_secret_value(SecretId=stack["unsubscribe_secret_arn"])["SecretString"].encode()
        return UnsubscribeLinks(lambda: key, "", lambda: datetime.now(UTC), lambda: uuid.uuid4().hex)

    def unsubscribe_token(self) -> str:
        """A fresh link (each works once) turning the member's admin emails off."""
        return self.unsubscribe_links.token(self.users["users"][MEMBER]["sub"], None)

    def caller_of(self, case) -> str | None:
        header = (case.headers or {}).get("Authorization", "")
        return self.callers_by_token.get(header.removeprefix("Bearer "))

    def record(self, answer: dict[str, Any]) -> None:
        with self._lock, (self.directory / RESPONSES_FILE).open("a", encoding="utf-8") as out:
            out.write(json.dumps(answer) + "\n")


RUN = _Run()


def _operation_id(case) -> str | None:
    return case.operation.definition.raw.get("operationId")


def _public(context) -> bool:
    return not context.operation.definition.raw.get("security")


# retry_on=[]: a 401 here answers a token the fuzzer broke on purpose, not an expired one.
@schemathesis.auth(refresh_interval=TOKEN_REFRESH_SECONDS, retry_on=[]).skip_for(_public)
class FuzzUsers:
    """Signs the run's users in and gives each request the caller it needs."""

    def get(self, case, context) -> dict[str, str]:
        return RUN.sign_in_everyone()

    def set(self, case, tokens: dict[str, str], context) -> None:
        caller = RUN.cast.caller_for(_operation_id(case), case.path_parameters or {})
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {tokens[caller]}"


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    if case.operation.path != "/unsubscribe" or MEMBER not in RUN.users["users"]:
        return
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.QUERY):
        return
    case.query = {**(case.query or {}), "token": RUN.unsubscribe_token()}


@schemathesis.hook
def after_call(context, case, response) -> None:
    operation_id, caller, status = _operation_id(case), RUN.caller_of(case), response.status_code
    body = response.json() if operation_id == "askToJoin" and status == 201 else None
    RUN.cast.answered(operation_id, caller, case.path_parameters or {}, status, body)
    phase = case.meta.phase.name.value if case.meta is not None else None
    RUN.record({"operation": case.operation.label, "status": status, "caller": caller, "phase": phase})


def reached(directory: Path) -> dict[str, Counter]:
    """Per operation label, how many answers of each status class (``2xx``, ``4xx``...)."""
    seen: dict[str, Counter] = {}
    path = directory / RESPONSES_FILE
    if not path.exists():
        return seen
    for line in path.read_text(encoding="utf-8").splitlines():
        answer = json.loads(line)
        seen.setdefault(answer["operation"], Counter())[f"{answer['status'] // 100}xx"] += 1
    return seen
