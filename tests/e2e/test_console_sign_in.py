"""The web console's local sign-in: its form posts the password to the emulator's Cognito
as a browser does (InitiateAuth USER_PASSWORD_AUTH, unsigned, from the console's origin),
and the ID token it gets is the API's to accept."""

from __future__ import annotations

import json
import urllib.request

from devstack.provision import LOCAL_AUTH_FLOWS
from tests.e2e.test_seed_flow import call

CONSOLE = "http://127.0.0.1:8001"
TARGET = "AWSCognitoIdentityProviderService.InitiateAuth"


def _initiate_auth(stack, body: dict) -> tuple[int, dict]:
    """The request the console's sign-in form sends: JSON over HTTP, no AWS signature."""
    request = urllib.request.Request(  # noqa: S310 (the emulator on 127.0.0.1)
        stack.info["aws_endpoint_url"] + "/",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET, "Origin": CONSOLE},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # nosec B310
        return response.status, json.loads(response.read())


def test_the_local_client_allows_the_consoles_password_flow_and_refresh(seeded_stack):
    client = seeded_stack.cognito().describe_user_pool_client(
        UserPoolId=seeded_stack.info["user_pool_id"], ClientId=seeded_stack.info["user_pool_client_id"]
    )["UserPoolClient"]
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", *LOCAL_AUTH_FLOWS} <= set(
        client["ExplicitAuthFlows"]
    )
    # The console is a public client: a secret could not be kept in a browser.
    assert "ClientSecret" not in client


def test_a_demo_user_signs_in_as_the_console_does_and_calls_the_api(seeded_stack):
    nora = seeded_stack.info["demo"]["users"]["nora"]

    # WHEN Nora types her email and password into the console's form
    status, answer = _initiate_auth(
        seeded_stack,
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": seeded_stack.info["user_pool_client_id"],
            "AuthParameters": {"USERNAME": nora["email"], "PASSWORD": nora["password"]},
        },
    )

    # THEN she gets tokens, and the ID token is accepted by the API
    assert status == 200
    tokens = answer["AuthenticationResult"]
    assert {"IdToken", "AccessToken", "RefreshToken"} <= set(tokens)
    assert call(seeded_stack, "GET", "/me/membership-requests", tokens["IdToken"]) == (
        200,
        {"items": [], "next_cursor": None},
    )


def test_the_emulator_lets_the_consoles_page_post_to_cognito(seeded_stack):
    # A browser asks first, as the form's request carries X-Amz-Target and a JSON type.
    request = urllib.request.Request(  # noqa: S310 (the emulator on 127.0.0.1)
        seeded_stack.info["aws_endpoint_url"] + "/",
        method="OPTIONS",
        headers={
            "Origin": CONSOLE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # nosec B310
        allowed_origin = response.headers.get("Access-Control-Allow-Origin")
        allowed_headers = (response.headers.get("Access-Control-Allow-Headers") or "").lower()
    assert allowed_origin in ("*", CONSOLE)
    assert {"content-type", "x-amz-target"} <= {h.strip() for h in allowed_headers.split(",")}
