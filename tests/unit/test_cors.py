"""The CORS setting: one origin per stage, read once, and what it makes each answer say."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.api.cors import CorsPolicy
from chalicelib.config import Settings

CONSOLE = "https://console.example.org"


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("", ""),
        ("https://console.example.org", CONSOLE),
        # What browsers send in Origin: lower case, no trailing slash.
        ("  HTTPS://Console.Example.org/ ", CONSOLE),
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
    ],
)
def test_the_setting_is_read_as_the_origin_a_browser_sends(value, origin):
    assert Settings.from_env({"CORS_ALLOW_ORIGIN": value}).cors_allow_origin == origin


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "https://*.example.org",
        "https://a.example.org,https://b.example.org",
        "https://console.example.org/app",
        "console.example.org",
        "null",
        "ftp://console.example.org",
    ],
)
def test_anything_but_one_origin_is_refused_at_start(value):
    # A wildcard, a list or a page's address would let other pages read the API, or none.
    with pytest.raises(ValueError, match="CORS_ALLOW_ORIGIN"):
        Settings.from_env({"CORS_ALLOW_ORIGIN": value})


def test_the_consoles_origin_is_named_and_may_read_retry_after_and_location():
    assert CorsPolicy(CONSOLE).headers(CONSOLE) == {
        "Vary": "Origin",
        "Access-Control-Allow-Origin": CONSOLE,
        "Access-Control-Expose-Headers": "Retry-After, Location",
    }


@pytest.mark.parametrize("origin", [None, "https://elsewhere.example", "null", CONSOLE + "."])
def test_any_other_origin_is_named_nowhere(origin):
    policy = CorsPolicy(CONSOLE)
    assert policy.headers(origin) == {"Vary": "Origin"}
    assert policy.preflight_headers(origin, ["GET", "OPTIONS"]) == {"Vary": "Origin"}


def test_a_preflight_from_the_console_allows_the_paths_methods_its_token_and_json():
    headers = CorsPolicy(CONSOLE).preflight_headers(CONSOLE, ["GET", "DELETE", "OPTIONS"])

    assert headers == {
        "Vary": "Origin",
        "Access-Control-Allow-Origin": CONSOLE,
        "Access-Control-Expose-Headers": "Retry-After, Location",
        "Access-Control-Allow-Methods": "GET, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "7200",
    }
    # No cookie is ever part of a call: credentials are not allowed.
    assert "Access-Control-Allow-Credentials" not in headers


def test_without_a_console_nothing_is_said_of_origins():
    assert CorsPolicy("").headers(CONSOLE) == {}
    assert CorsPolicy("").preflight_headers(CONSOLE, ["GET"]) == {}


def _local_stack():
    from devstack.provision import LocalStack

    return LocalStack(**{field.name: f"<{field.name}>" for field in dataclasses.fields(LocalStack)})


@pytest.mark.parametrize(
    ("console_url", "origin"),
    [
        (None, ""),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("http://127.0.0.1:8001/organizations/abc", "http://127.0.0.1:8001"),
        ("http://LOCALHOST:5173/", "http://localhost:5173"),
    ],
)
def test_the_local_stack_lets_its_console_url_call_the_api(console_url, origin):
    from devstack.stack import app_environment

    # WHEN the local stack's functions get their environment, given where the console is served
    environment = app_environment(_local_stack(), "http://127.0.0.1:8001", console_url)

    # THEN the API lets that origin, and only it, read its answers
    assert environment["CORS_ALLOW_ORIGIN"] == origin
    assert Settings.from_env(environment).cors_allow_origin == origin


def test_a_tool_beside_the_local_stack_gets_the_same_origin_from_stack_json():
    from devstack.stack import environment_of

    stack_json = _local_stack().to_json() | {
        "frontend_base_url": "http://127.0.0.1:8001",
        "console_url": "http://127.0.0.1:8001",
    }
    assert environment_of(stack_json)["CORS_ALLOW_ORIGIN"] == "http://127.0.0.1:8001"
    # A stack.json of a stack without a console names none.
    del stack_json["console_url"]
    assert environment_of(stack_json)["CORS_ALLOW_ORIGIN"] == ""
