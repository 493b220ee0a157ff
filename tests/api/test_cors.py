"""The web console's pages call the API from their own origin: every route answers its
preflight and names that origin in its answers, successes and errors alike; any other
origin is named nowhere."""

from __future__ import annotations

import pytest

from tests.conftest import CONSOLE

ELSEWHERE = "https://elsewhere.example"
ORDER = ("GET", "POST", "PUT", "DELETE")


def _routes() -> list[tuple[str, str]]:
    from app import app

    return sorted(
        (method, path) for path, methods in app.routes.items() for method in methods if method != "OPTIONS"
    )


def _path_methods(path: str) -> str:
    from app import app

    return ", ".join([m for m in ORDER if m in app.routes[path]] + ["OPTIONS"])


def _concrete(path: str, world) -> str:
    return path.format(org_id=world.org_id, request_id=world.request["id"], member_id="erin")


def _cors(reply) -> dict[str, str]:
    """The reply's CORS headers (and Vary), by lower-case name."""
    return {
        name.lower(): value
        for name, value in reply.headers.items()
        if name.lower().startswith("access-control-") or name.lower() == "vary"
    }


def _preflight(api, path: str, origin: str, method: str):
    return api.call(
        "OPTIONS",
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


@pytest.mark.parametrize(("method", "path"), _routes(), ids=lambda value: value)
def test_every_route_answers_the_consoles_preflight_without_a_token(api, world, method, path):
    # WHEN the console's page asks, as a browser does before the call (no token)
    reply = _preflight(api, _concrete(path, world), CONSOLE, method)

    # THEN the answer lets it call this path with its token and a JSON body, and read
    # Retry-After and Location; it names no credentials and is kept two hours
    assert (reply.status, reply.body) == (204, None)
    assert _cors(reply) == {
        "access-control-allow-origin": CONSOLE,
        "access-control-allow-methods": _path_methods(path),
        "access-control-allow-headers": "Authorization, Content-Type",
        "access-control-expose-headers": "Retry-After, Location",
        "access-control-max-age": "7200",
        "vary": "Origin",
    }
    assert method in reply.headers["Access-Control-Allow-Methods"].split(", ")


@pytest.mark.parametrize(("method", "path"), _routes(), ids=lambda value: value)
def test_a_preflight_from_another_origin_is_allowed_nothing(api, world, method, path):
    # WHEN a page of another origin asks
    reply = _preflight(api, _concrete(path, world), ELSEWHERE, method)

    # THEN the answer names no origin, method or header: its browser refuses the call
    assert reply.status == 204
    assert _cors(reply) == {"vary": "Origin"}
    # ... though, as HTTP has it, OPTIONS says which methods the path takes
    assert reply.headers["Allow"] == _path_methods(path)


def _answers(api, world, make_user, origin: str) -> dict[str, object]:
    """A success and each kind of error, called from ``origin``."""
    headers = {"Origin": origin}
    org = f"/organizations/{world.org_id}"
    return {
        "200": api.get(org, world.admin, headers=headers),
        "201": api.post("/organizations", make_user("olga"), {"name": "Olga's"}, headers=headers),
        "204": api.delete(f"{org}/members/erin", world.admin, headers=headers),
        "public 200": api.get("/health", headers=headers),
        "400": api.post(org + "/membership-requests", world.outsider, {"comment": 3}, headers=headers),
        "403": api.get(org + "/membership-requests", world.outsider, headers=headers),
        "404": api.get("/organizations/" + "0" * 32, world.admin, headers=headers),
        "405": api.call("PATCH", org, world.admin, headers=headers),
        "409": api.post(org + "/membership-requests", world.requester, {"comment": "Again"}, headers=headers),
    }


def test_the_consoles_origin_reads_every_answer_successes_and_errors(api, world, make_user):
    # WHEN the console's page calls the API, with success and without
    answers = _answers(api, world, make_user, CONSOLE)

    # THEN each answer names the console's origin and lets it read Retry-After and Location
    assert {kind: reply.status for kind, reply in answers.items()} == {
        kind: int(kind.split()[-1]) for kind in answers
    }
    for kind, reply in answers.items():
        assert _cors(reply) == {
            "access-control-allow-origin": CONSOLE,
            "access-control-expose-headers": "Retry-After, Location",
            "vary": "Origin",
        }, kind
    # AND what it may read is there: the created organization's address, the error's code
    assert answers["201"].headers["Location"].endswith(f"/organizations/{answers['201'].body['id']}")
    assert answers["409"].body["code"] == "request_pending"


def test_a_429_from_the_console_lets_it_read_when_to_retry(api, flows, make_user):
    # GIVEN Paul withdrew his request a moment ago
    paul = make_user("paul")
    org_id = flows.organization(make_user("founder"))
    request = flows.ask(paul, org_id)
    api.delete(f"/organizations/{org_id}/membership-requests/{request['id']}", paul)

    # WHEN the console asks again for him
    reply = api.post(
        f"/organizations/{org_id}/membership-requests",
        paul,
        {"comment": "Again"},
        headers={"Origin": CONSOLE},
    )

    # THEN the 429 names the console's origin and exposes its Retry-After
    assert (reply.status, reply.body["code"]) == (429, "request_cooldown")
    assert int(reply.headers["Retry-After"]) > 0
    assert "Retry-After" in reply.headers["Access-Control-Expose-Headers"].split(", ")
    assert reply.headers["Access-Control-Allow-Origin"] == CONSOLE


def test_another_origin_is_named_in_no_answer(api, world, make_user):
    # WHEN a page of another origin calls the API (a token stolen or not)
    answers = _answers(api, world, make_user, ELSEWHERE)

    # THEN no answer names an origin or exposes a header: its browser reads none
    for kind, reply in answers.items():
        assert _cors(reply) == {"vary": "Origin"}, kind


def test_a_call_without_origin_gets_no_cors_header(api, world):
    # WHEN a client that is no browser page calls (curl, the operators' tools)
    reply = api.get(f"/organizations/{world.org_id}", world.admin)

    # THEN it gets the resource and nothing about origins, bar the answer's dependence on one
    assert reply.status == 200
    assert _cors(reply) == {"vary": "Origin"}


def test_an_origin_is_matched_whole_not_by_prefix_or_suffix(api):
    for origin in (
        CONSOLE + ".evil.example",
        "http" + CONSOLE.removeprefix("https"),
        "null",
        CONSOLE + ":444",
    ):
        reply = api.get("/health", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in reply.headers, origin


def test_without_a_console_the_api_names_no_origin_at_all(api, container, world):
    from chalicelib.api.cors import CorsPolicy

    # GIVEN a stage without CORS_ALLOW_ORIGIN
    container.cors = CorsPolicy("")

    # WHEN the console's origin sends a preflight, then a call
    preflight = _preflight(api, f"/organizations/{world.org_id}", CONSOLE, "GET")
    reply = api.get(f"/organizations/{world.org_id}", world.admin, headers={"Origin": CONSOLE})

    # THEN neither answer says anything of origins: no browser page may read the API
    assert (preflight.status, _cors(preflight)) == (204, {})
    assert (reply.status, _cors(reply)) == (200, {})


def test_a_crash_still_names_the_consoles_origin(api, world, monkeypatch):
    from chalicelib.services.organizations import OrganizationService

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    # GIVEN a view that crashes
    monkeypatch.setattr(OrganizationService, "view", explode)

    # WHEN the console calls it
    reply = api.get(f"/organizations/{world.org_id}", world.admin, headers={"Origin": CONSOLE})

    # THEN the console can read the 500's code
    assert (reply.status, reply.body["code"]) == (500, "internal_error")
    assert reply.headers["Access-Control-Allow-Origin"] == CONSOLE
