"""The make targets a developer runs beside `make run`, against the running stack."""

from __future__ import annotations

import base64
import json
import os
import shutil

import pytest

from tests.make import make

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _email_in(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["email"]


def _token(stack, *arguments: str, login: str = "jdoe") -> str:
    """`make token ARGUMENTS` from a shell whose USER is ``login`` (a login name, as every
    shell sets it, and no demo user); the email the printed token is for."""
    result = make("token", f"STATE_DIR={stack.state_dir}", *arguments, env=os.environ | {"USER": login})
    assert result.returncode == 0, result.stderr
    return _email_in(result.stdout.strip())


def test_make_token_prints_alices_token_whatever_the_shells_user(seeded_stack):
    # GIVEN the seeded stack, and a shell where USER=jdoe
    # WHEN make token runs without naming anyone THEN it prints Alice's token
    assert _token(seeded_stack) == "alice@example.org"


def test_make_token_prints_the_token_of_the_user_named_on_the_command_line(seeded_stack):
    assert _token(seeded_stack, "USER=eric") == "eric@example.org"
    assert _token(seeded_stack, "WHO=nora") == "nora@example.org"


def test_make_token_names_the_demo_users_when_given_another(seeded_stack):
    result = make("token", f"STATE_DIR={seeded_stack.state_dir}", "WHO=jdoe")

    assert result.returncode != 0
    assert "Unknown demo user 'jdoe'; choose one of: alice, eric, nora" in result.stderr
