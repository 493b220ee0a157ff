"""The API as ``make run`` serves it (``devstack.api``: chalice local's gateway) answers the
console's preflights and names its origin in every answer, the gateway's own refusals
included, as the deployed stage does."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request

import pytest

from devstack.api import CORS_HEADERS, gateway_responses, response_headers
from devstack.emulator import free_port
from devstack.stack import start_api, stop_api, wait_for_health

CONSOLE = "http://127.0.0.1:8001"
ELSEWHERE = "http://127.0.0.1:9999"


@pytest.fixture(scope="module")
def local_api():
    """``python -m devstack.api`` with the console's origin in its environment, as
    ``devstack.stack.app_environment`` sets it; no storage is reached by these calls."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_api(
        "127.0.0.1",
        port,
        {"CORS_ALLOW_ORIGIN": CONSOLE},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_health(url, process)
        yield url
    finally:
        stop_api(process)


def _call(method: str, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310 (127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # nosec B310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _cors(headers: dict[str, str]) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in headers.items()
        if name.lower().startswith("access-control-") or name.lower() == "vary"
    }


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}
PATH = "/organizations/" + "0" * 32 + "/membership-requests"


def test_chalice_local_answers_the_consoles_preflight(local_api):
    # WHEN the console's page asks before posting a request to join
    status, headers, body = _call("OPTIONS", local_api + PATH, {"Origin": CONSOLE, **PREFLIGHT})

    # THEN chalice local hands it to the app's preflight route, without a token
    assert (status, body) == (204, b"")
    assert _cors(headers) == {
        "access-control-allow-origin": CONSOLE,
        "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": "Authorization, Content-Type",
        "access-control-expose-headers": "Retry-After, Location",
        "access-control-max-age": "7200",
        "vary": "Origin",
    }


def test_chalice_local_allows_another_origin_nothing(local_api):
    status, headers, _ = _call("OPTIONS", local_api + PATH, {"Origin": ELSEWHERE, **PREFLIGHT})
    assert status == 204
    assert _cors(headers) == {"vary": "Origin"}
    status, headers, _ = _call("GET", local_api + "/health", {"Origin": ELSEWHERE})
    assert (status, _cors(headers)) == (200, {"vary": "Origin"})


def test_the_app_and_the_local_gateway_name_the_console_in_successes_and_errors(local_api, make_user):
    token = {"Authorization": f"Bearer {make_user('nora').token}"}
    calls = {
        # the app's success
        "health": ("GET", "/health", {}),
        # the app's own refusal, after the authorizer let the caller in (an id of no
        # organization's shape is refused before any storage is read)
        "organization_not_found": ("GET", "/organizations/not-an-id", token),
        # the gateway's refusals: no token, then a token the authorizer denies
        "unauthorized": ("GET", "/organizations/" + "0" * 32, {}),
        "forbidden": ("GET", "/organizations/" + "0" * 32, {"Authorization": "Bearer not-a-token"}),
        "not_found": ("GET", "/no/such/route", {}),
    }
    for name, (method, path, headers) in calls.items():
        # WHEN the console calls
        status, answered, body = _call(method, local_api + path, {"Origin": CONSOLE, **headers})

        # THEN it can read the answer: the console's origin is named, and the body says why
        assert _cors(answered) == {
            "access-control-allow-origin": CONSOLE,
            "access-control-expose-headers": "Retry-After, Location",
            "vary": "Origin",
        }, name
        parsed = json.loads(body)
        assert parsed.get("code", parsed.get("status")) == ("ok" if name == "health" else name), (
            status,
            parsed,
        )


def test_without_a_console_the_local_gateways_errors_name_no_origin():
    # GIVEN the deployed gateway's answer to a missing token
    unauthorized = gateway_responses()["UNAUTHORIZED"]

    # WHEN the local stack runs without a console
    headers = response_headers(unauthorized, origin="")

    # THEN the answer keeps its own headers and carries no CORS header
    assert headers == {"WWW-Authenticate": "Bearer"}
    assert not CORS_HEADERS & set(response_headers(gateway_responses()["DEFAULT_4XX"], origin=""))
    # ... and with one, the origin the template's parameter stands for
    assert response_headers(unauthorized, origin=CONSOLE)["Access-Control-Allow-Origin"] == CONSOLE
