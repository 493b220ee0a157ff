"""Verified addresses only, through the running stack: the emulator's Cognito issues the
token, chalice local runs the authorizer and hands its context to the API as a gateway
does (issue 11, defect 2)."""

from __future__ import annotations

import uuid

from devstack.outbox import read_outbox
from devstack.stack import sign_in
from tests.e2e.test_seed_flow import _Pool, call, user


def _unverified(stack, name: str) -> dict:
    """A self-registered user who never entered the code sent to their address."""
    cognito = stack.cognito()
    email = f"maire-{uuid.uuid4().hex[:8]}@lyon.fr"
    cognito.admin_create_user(
        UserPoolId=stack.info["user_pool_id"],
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "name", "Value": name},
            {"Name": "locale", "Value": "fr"},
            {"Name": "email_verified", "Value": "false"},
        ],
    )
    password = f"Unverified-{uuid.uuid4().hex[:8]}1a"
    cognito.admin_set_user_password(
        UserPoolId=stack.info["user_pool_id"], Username=email, Password=password, Permanent=True
    )
    return {"email": email, "token": sign_in(cognito, stack.info, email, password)}


def test_an_unverified_cognito_user_can_neither_ask_nor_create_and_is_never_emailed(stack):
    # GIVEN an organization of a verified admin, and a user of the pool whose address is unverified
    admin = user(stack, "Agnès Admin", "fr")
    status, org = call(stack, "POST", "/organizations", admin["token"], {"name": "Ville de Lyon"})
    assert status == 201
    impostor = _unverified(stack, "Maire de Lyon (official)")
    # WHEN they ask to join, and try to create an organization
    asked = call(
        stack,
        "POST",
        f"/organizations/{org['id']}/membership-requests",
        impostor["token"],
        {"comment": "Mairie"},
    )
    created = call(stack, "POST", "/organizations", impostor["token"], {"name": "Mairie de Lyon"})
    # THEN both are refused with the contract's code
    for status, body in (asked, created):
        assert (status, body["code"]) == (403, "email_not_verified")
    # AND the admin has nothing to review, and nobody was emailed about it or at that address
    status, inbox = call(stack, "GET", "/me/notifications", admin["token"])
    assert (status, inbox["count"]) == (200, 0)
    recipients = {message["To"] for _, message in read_outbox(stack.state_dir / "outbox")}
    assert impostor["email"] not in recipients and admin["email"] not in recipients


def test_the_local_pool_is_the_templates_one_for_addresses(stack):
    # The pool devstack provisioned from infra/template.yaml asks for a changed address to
    # be confirmed before it replaces the verified one, and its users are verified.
    cognito = stack.cognito()
    pool = cognito.describe_user_pool(UserPoolId=stack.info["user_pool_id"])["UserPool"]
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    client = cognito.describe_user_pool_client(
        UserPoolId=stack.info["user_pool_id"], ClientId=stack.info["user_pool_client_id"]
    )["UserPoolClient"]
    assert "email_verified" not in client["WriteAttributes"]
    member = user(stack, "Vera Verified", "en")
    attributes = cognito.admin_get_user(UserPoolId=_Pool(stack.info).user_pool_id, Username=member["email"])[
        "UserAttributes"
    ]
    assert {"Name": "email_verified", "Value": "true"} in attributes
