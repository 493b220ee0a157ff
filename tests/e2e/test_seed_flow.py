"""The seed flow over HTTP against the running local stack, with Cognito tokens,
asserting the emails that arrived in the outbox."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from devstack.emulator import free_port
from devstack.outbox import html_of, read_outbox, text_of
from devstack.stack import create_user, sign_in
from tests.e2e.conftest import start_stack


def call(stack, method, path, token=None, body=None):
    request = urllib.request.Request(  # noqa: S310 (127.0.0.1)
        stack.api_url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def user(stack, name, locale):
    """A new user in the emulator's Cognito pool, signed in with the standard API."""
    cognito = stack.cognito()
    email = f"user-{uuid.uuid4().hex[:12]}@example.org"
    _, password = create_user(cognito, _Pool(stack.info), name, email, locale)
    return {"email": email, "name": name, "token": sign_in(cognito, stack.info, email, password)}


class _Pool:
    def __init__(self, info):
        self.user_pool_id = info["user_pool_id"]


def emails_to(stack, address, count=1, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        found = [
            message for _, message in read_outbox(stack.state_dir / "outbox") if message["To"] == address
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_the_seed_flow_emails_admins_and_requesters(stack):
    # GIVEN an admin whose token says French, and two people who want to join
    admin = user(stack, "Agnès Admin", "fr")
    accepted = user(stack, "Ada Lovelace", "en")
    refused = user(stack, "Rémi Refusé", "fr")
    status, org = call(stack, "POST", "/organizations", admin["token"], {"name": "Cadastre"})
    assert status == 201 and org["my_role"] == "admin"

    # WHEN Ada asks to join with a motivation
    status, request = call(
        stack,
        "POST",
        f"/organizations/{org['id']}/membership-requests",
        accepted["token"],
        {"comment": "I map <b>parcels</b> & roads."},
    )
    assert (status, request["status"]) == (201, "pending")
    # THEN the admin is emailed, in French, with the motivation (escaped in HTML)
    [to_admin] = emails_to(stack, admin["email"])
    assert to_admin["Subject"] == "Nouvelle demande d'adhésion à « Cadastre »"
    assert "I map <b>parcels</b> & roads." in text_of(to_admin)
    assert "I map &lt;b&gt;parcels&lt;/b&gt; &amp; roads." in html_of(to_admin)
    assert accepted["email"] in text_of(to_admin)

    # AND the admin's envelope shows it
    status, inbox = call(stack, "GET", "/me/notifications", admin["token"])
    assert (status, inbox["count"]) == (200, 1)
    assert inbox["items"][0]["request"]["id"] == request["id"]

    # WHEN the admin accepts her
    status, decision = call(
        stack,
        "POST",
        f"/organizations/{org['id']}/membership-requests/{request['id']}/accept",
        admin["token"],
        {"role": "editor"},
    )
    assert (status, decision["member"]["role"]) == (200, "editor")
    # THEN Ada is told, in English
    [to_ada] = emails_to(stack, accepted["email"])
    assert to_ada["Subject"] == 'Your request to join "Cadastre" was accepted'

    # WHEN Rémi asks and is refused with a reason
    _, second = call(
        stack,
        "POST",
        f"/organizations/{org['id']}/membership-requests",
        refused["token"],
        {"comment": "Je veux aider."},
    )
    emails_to(stack, admin["email"], count=2)
    status, _ = call(
        stack,
        "POST",
        f"/organizations/{org['id']}/membership-requests/{second['id']}/refuse",
        admin["token"],
        {"reason": "Merci de passer par votre mairie."},
    )
    assert status == 200
    # THEN he is told why, in French
    [to_remi] = emails_to(stack, refused["email"])
    assert to_remi["Subject"] == "Votre demande d'adhésion à « Cadastre » a été refusée"
    assert "Merci de passer par votre mairie." in text_of(to_remi)
    # AND nobody received anything twice
    ours = {admin["email"], accepted["email"], refused["email"]}
    recipients = [
        message["To"] for _, message in read_outbox(stack.state_dir / "outbox") if message["To"] in ours
    ]
    assert sorted(recipients) == sorted([admin["email"], admin["email"], accepted["email"], refused["email"]])


def test_calls_without_a_valid_token_are_refused_in_the_deployed_gateways_shape(stack):
    # The gateway's own answers, as infra/app-merge.yaml's GatewayResponses give them.
    assert call(stack, "GET", "/me/notifications") == (
        401,
        {"code": "unauthorized", "message": "Unauthorized"},
    )
    assert call(stack, "GET", "/me/notifications", "not-a-token") == (
        403,
        {"code": "forbidden", "message": "User is not authorized to access this resource"},
    )
    assert call(stack, "GET", "/no/such/route") == (404, {"code": "not_found", "message": "No such route."})
    assert call(stack, "GET", "/health") == (200, {"status": "ok"})


def test_tokens_from_another_pool_client_are_refused(stack):
    cognito = stack.cognito()
    other = cognito.create_user_pool_client(
        UserPoolId=stack.info["user_pool_id"],
        ClientName="other",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        ReadAttributes=["email", "name", "locale"],
    )
    member = user(stack, "Someone Else", "en")
    token = sign_in(
        cognito,
        stack.info | {"user_pool_client_id": other["UserPoolClient"]["ClientId"]},
        member["email"],
        _password_of(stack, member),
    )
    assert call(stack, "GET", "/me/notifications", token)[0] == 403


def _password_of(stack, member):
    cognito = stack.cognito()
    password = "Another-password-1a"
    cognito.admin_set_user_password(
        UserPoolId=stack.info["user_pool_id"], Username=member["email"], Password=password, Permanent=True
    )
    return password


@pytest.mark.usefixtures("stack")
def test_a_taken_port_gets_a_clear_message_not_a_traceback(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_stack(tmp_path, port, free_port(), "--no-seed")
        process.wait(timeout=60)
        output = (tmp_path / "stack.log").read_text()
    assert process.returncode == 2
    assert f"port {port} on 127.0.0.1 (API) is already in use" in output
    assert "Traceback" not in output


def test_make_run_prints_the_console_the_demo_sign_ins_and_curl_lines(seeded_stack):
    """The seeded demo: three users, an organization, the console to sign in to with
    their passwords, ready-to-paste commands."""
    info = seeded_stack.info
    assert set(info["demo"]["users"]) == {"alice", "eric", "nora"}
    assert {
        "api_url",
        "console_url",
        "aws_endpoint_url",
        "region",
        "table_name",
        "user_pool_id",
        "user_pool_client_id",
    } <= set(info)
    outbox = read_outbox(seeded_stack.state_dir / "outbox")
    assert sorted(message["To"] for _, message in outbox) == ["alice@example.org", "eric@example.org"]
    # (the banner follows stack.json)
    deadline = time.monotonic() + 30
    while "make outbox" not in (output := (seeded_stack.state_dir / "stack.log").read_text()):
        assert time.monotonic() < deadline, output
        time.sleep(0.2)
    assert "export NORA=" in output and "curl -s" in output
    console = info["console_url"]
    assert f"  Console      {console}\n" in output
    assert f"Sign in at {console} as a demo user (email, password):" in output
    for user in info["demo"]["users"].values():
        [line] = [line for line in output.splitlines() if f" {user['email']} " in line]
        assert line.split()[-1] == user["password"]
