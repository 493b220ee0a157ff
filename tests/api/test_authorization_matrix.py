"""Every route × every kind of caller × every way of pointing at an object gives the
contracted status; refused calls change nothing and send nothing.

The matrix is checked against the app's route table, so a new route cannot be
forgotten, and the run prints "N of N cases as expected".
"""

from __future__ import annotations

import time

import pytest

ORG = "/organizations/{org_id}"
REQS = ORG + "/membership-requests"
REQ = REQS + "/{request_id}"

# Callers in the order they are tried: refusals first, so that a success cannot
# change what a later caller should see. "anonymous" sends no token, "bad_token" an
# expired one; "demoted" was an admin until a moment ago and is an editor now.
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("POST", "/organizations"): {"anonymous": 401, "bad_token": 403, "outsider": 201, "admin": 201},
    ("GET", ORG): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 200,
        "requester": 200,
        "editor": 200,
        "demoted": 200,
        "admin": 200,
        "other_admin": 200,
    },
    ("GET", ORG + "/members"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 200,
        "requester": 200,
        "editor": 200,
        "demoted": 200,
        "admin": 200,
        "other_admin": 200,
    },
    # Members read the settings; admins alone change them, re-checked in the transaction
    # (the demoted admin is refused although the authorizer's answer may be cached).
    ("GET", ORG + "/settings"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 403,
        "requester": 403,
        "other_admin": 403,
        "editor": 200,
        "demoted": 200,
        "admin": 200,
    },
    ("PUT", ORG + "/settings"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 403,
        "requester": 403,
        "editor": 403,
        "demoted": 403,
        "other_admin": 403,
        "admin": 200,
    },
    ("PUT", ORG + "/members/{member_id}"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 403,
        "requester": 403,
        "editor": 403,
        "demoted": 403,
        "other_admin": 403,
        "admin": 200,
    },
    ("DELETE", ORG + "/members/{member_id}"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 403,
        "requester": 403,
        "editor": 403,
        "demoted": 403,
        "other_admin": 403,
        "admin": 204,
    },
    ("POST", REQS): {
        "anonymous": 401,
        "bad_token": 403,
        "requester": 409,
        "editor": 409,
        "demoted": 409,
        "admin": 409,
        "outsider": 201,
        "other_admin": 201,
    },
    ("GET", REQS): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 403,
        "requester": 403,
        "other_admin": 403,
        "editor": 200,
        "demoted": 200,
        "admin": 200,
    },
    ("GET", REQ): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 404,
        "other_admin": 404,
        "requester": 200,
        "editor": 200,
        "demoted": 200,
        "admin": 200,
    },
    ("POST", REQ + "/accept"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 403,
        "requester": 403,
        "editor": 403,
        "demoted": 403,
        "other_admin": 403,
        "admin": 200,
    },
    ("POST", REQ + "/refuse"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 403,
        "requester": 403,
        "editor": 403,
        "demoted": 403,
        "other_admin": 403,
        "admin": 200,
    },
    ("DELETE", REQ): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 404,
        "other_admin": 404,
        "editor": 403,
        "demoted": 403,
        "admin": 403,
        "requester": 200,
    },
    ("GET", "/me/membership-requests"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 200,
        "requester": 200,
        "editor": 200,
        "admin": 200,
    },
    ("GET", "/me/organizations"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 200,
        "requester": 200,
        "editor": 200,
        "demoted": 200,
        "admin": 200,
    },
    ("GET", "/me/notifications"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 200,
        "requester": 200,
        "editor": 200,
        "admin": 200,
    },
    ("GET", "/me/preferences"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 200,
        "requester": 200,
        "editor": 200,
        "demoted": 200,
        "admin": 200,
    },
    ("PUT", "/me/preferences"): {
        "anonymous": 401,
        "bad_token": 403,
        "outsider": 200,
        "requester": 200,
        "editor": 200,
        "demoted": 200,
        "admin": 200,
    },
    # Public: the signed link in the URL (the admin's, for the organization) is the
    # authority, whoever calls and whatever token they send. It works once.
    ("GET", "/unsubscribe"): {"anonymous": 200, "bad_token": 200, "outsider": 200, "admin": 200},
    ("POST", "/unsubscribe"): {"anonymous": 200, "bad_token": 409, "outsider": 409, "admin": 409},
    ("GET", "/health"): {"anonymous": 200, "bad_token": 200, "outsider": 200},
    ("GET", "/openapi.json"): {"anonymous": 200, "bad_token": 200, "outsider": 200},
}
# Every path answers its CORS preflight to anyone, token or not (tests/api/test_cors.py).
EXPECTED |= {
    ("OPTIONS", path): {"anonymous": 204, "bad_token": 204, "outsider": 204}
    for path in sorted({path for _, path in EXPECTED})
}

# Ways of pointing at an object, beyond the plain path: another organization's
# request under this organization's path (every caller must get what they would
# for a request that does not exist), and ids smuggled in the body (always refused).
FOREIGN_REQUEST: dict[tuple[str, str], dict[str, int]] = {
    ("GET", REQ): {"outsider": 404, "requester": 404, "editor": 404, "admin": 404, "other_admin": 404},
    ("POST", REQ + "/accept"): {
        "outsider": 403,
        "requester": 403,
        "editor": 403,
        "other_admin": 403,
        "admin": 404,
    },
    ("POST", REQ + "/refuse"): {
        "outsider": 403,
        "requester": 403,
        "editor": 403,
        "other_admin": 403,
        "admin": 404,
    },
    ("DELETE", REQ): {"outsider": 404, "requester": 404, "editor": 404, "admin": 404, "other_admin": 404},
}
SMUGGLED = {
    "user_id": "oscar",
    "organization_id": "0" * 32,
    "status": "accepted",
    "decided_by": {"id": "alice"},
    "created_at": "2020-01-01T00:00:00Z",
    "role": "admin",
}
BODY_ROUTES = {
    ("POST", "/organizations"),
    ("PUT", "/me/preferences"),
    ("PUT", ORG + "/members/{member_id}"),
    ("PUT", ORG + "/settings"),
    ("POST", REQS),
    ("POST", REQ + "/accept"),
    ("POST", REQ + "/refuse"),
}


def _body(method: str, path: str) -> dict | None:
    if path == "/organizations":
        return {"name": "New org"}
    if path == REQS and method == "POST":
        return {"comment": "Please"}
    if path.endswith("/settings") and method == "PUT":
        return {"request_guidance": "Say which datasets you maintain.", "reminder_days": [2]}
    if path == "/me/preferences":
        return {"language": "en"}
    if method == "PUT":
        return {"role": "admin"}
    if path.endswith(("/accept", "/refuse")):
        return {}
    return None


def test_the_matrix_covers_every_route_of_the_app():
    from app import app

    routes = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert routes == set(EXPECTED)
    assert set(FOREIGN_REQUEST) == {
        route for route in EXPECTED if "{request_id}" in route[1] and route[0] != "OPTIONS"
    }
    # The one-click unsubscribe takes no JSON body: its link is in the URL.
    assert {route for route in EXPECTED if route[0] in ("POST", "PUT")} - {
        ("POST", "/unsubscribe")
    } == BODY_ROUTES


def _callers(world, flows, make_user, api, issuer):
    from tests.factories import User

    demoted = make_user("dora", name="Dora Demoted")
    flows.member(world.admin, demoted, world.org_id, "admin")
    assert (
        api.put(f"/organizations/{world.org_id}/members/dora", world.admin, {"role": "editor"}).status == 200
    )
    expired = issuer.token("alice", exp=int(time.time()) - 3600)
    return {
        "anonymous": None,
        "bad_token": User("alice", "", "", "fr", expired),
        "outsider": world.outsider,
        "requester": world.requester,
        "editor": world.editor,
        "demoted": demoted,
        "admin": world.admin,
        "other_admin": world.other_admin,
    }


def _run_cases(api, stream, aws, items, callers, url, method, body, expected, label):
    """Call the route as each caller; return the cases that did not go as expected."""
    surprises = []
    for caller_name, status in expected.items():
        before, emails_before = items(), len(aws.emails())
        reply = api.call(method, url, callers[caller_name], body=body)
        stream.deliver()
        problems = []
        if reply.status != status:
            problems.append(f"status {reply.status}")
        if reply.status >= 400:
            if items() != before:
                problems.append("the table changed")
            if len(aws.emails()) != emails_before:
                problems.append("an email was sent")
            # Refusals by the gateway itself (no or bad token) have the gateway's body;
            # every other refusal is in the contract's shape.
            gateway = caller_name in ("anonymous", "bad_token") and reply.status in (401, 403)
            if not gateway and not (isinstance(reply.body, dict) and set(reply.body) == {"code", "message"}):
                problems.append(f"error body {reply.body!r}")
        if problems:
            surprises.append(f"{label} as {caller_name}: expected {status}, {', '.join(problems)}")
    return surprises


SCENARIOS = (
    [("path", route, expected) for route, expected in sorted(EXPECTED.items())]
    + [("foreign request", route, expected) for route, expected in sorted(FOREIGN_REQUEST.items())]
    + [("smuggled ids", route, {"admin": 400, "outsider": 400}) for route in sorted(BODY_ROUTES)]
)
# Filled by the scenarios below and summed up by tests/api/conftest.py at the end of the run.
RESULTS: list[tuple[int, int]] = []


@pytest.mark.parametrize(
    ("kind", "route", "expected"),
    SCENARIOS,
    ids=[f"{kind}-{method}-{path}" for kind, (method, path), _ in SCENARIOS],
)
def test_route_answers_each_caller_as_contracted(
    api, world, make_user, flows, stream, aws, items, issuer, kind, route, expected
):
    method, path = route
    callers = _callers(world, flows, make_user, api, issuer)
    flows.member(world.admin, make_user("mia"), world.org_id)
    stream.deliver()
    request_id = world.other_request["id"] if kind == "foreign request" else world.request["id"]
    url = path.format(org_id=world.org_id, request_id=request_id, member_id="mia")
    if path == "/unsubscribe" and method != "OPTIONS":
        from chalicelib.bootstrap import container

        url += "?token=" + container().unsubscribe_links.token(world.admin.sub, world.org_id)
    body = _body(method, path)
    if kind == "smuggled ids":
        body = {**(body or {}), **{key: value for key, value in SMUGGLED.items() if key not in (body or {})}}
    surprises = _run_cases(
        api, stream, aws, items, callers, url, method, body, expected, f"{kind} {method} {path}"
    )
    RESULTS.append((len(expected) - len(surprises), len(expected)))
    assert surprises == []
