"""Every route × every kind of caller gives the contracted status; refused calls change
nothing and send nothing. The matrix is checked against the app's route table, so a
new route cannot be forgotten."""
from __future__ import annotations

import pytest

ORG = "/organizations/{org_id}"
REQS = ORG + "/membership-requests"
REQ = REQS + "/{request_id}"

# Callers in the order they are tried: refusals first, so that a success cannot
# change what a later caller should see. "anonymous" sends no token.
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("POST", "/organizations"): {"anonymous": 401, "outsider": 201, "admin": 201},
    ("GET", ORG): {"anonymous": 401, "outsider": 200, "requester": 200, "editor": 200, "admin": 200,
                   "other_admin": 200},
    ("GET", ORG + "/members"): {"anonymous": 401, "outsider": 200, "requester": 200, "editor": 200,
                                "admin": 200, "other_admin": 200},
    ("PUT", ORG + "/members/{member_id}"): {"anonymous": 401, "outsider": 403, "requester": 403,
                                            "editor": 403, "other_admin": 403, "admin": 200},
    ("DELETE", ORG + "/members/{member_id}"): {"anonymous": 401, "outsider": 403, "requester": 403,
                                               "editor": 403, "other_admin": 403, "admin": 204},
    ("POST", REQS): {"anonymous": 401, "requester": 409, "editor": 409, "admin": 409,
                     "outsider": 201, "other_admin": 201},
    ("GET", REQS): {"anonymous": 401, "outsider": 403, "requester": 403, "other_admin": 403,
                    "editor": 200, "admin": 200},
    ("GET", REQ): {"anonymous": 401, "outsider": 404, "other_admin": 404, "requester": 200,
                   "editor": 200, "admin": 200},
    ("POST", REQ + "/accept"): {"anonymous": 401, "outsider": 403, "requester": 403, "editor": 403,
                                "other_admin": 403, "admin": 200},
    ("POST", REQ + "/refuse"): {"anonymous": 401, "outsider": 403, "requester": 403, "editor": 403,
                                "other_admin": 403, "admin": 200},
    ("DELETE", REQ): {"anonymous": 401, "outsider": 404, "other_admin": 404, "editor": 403,
                      "admin": 403, "requester": 200},
    ("GET", "/me/membership-requests"): {"anonymous": 401, "outsider": 200, "requester": 200,
                                         "editor": 200, "admin": 200, "other_admin": 200},
    ("GET", "/me/notifications"): {"anonymous": 401, "outsider": 200, "requester": 200, "editor": 200,
                                   "admin": 200, "other_admin": 200},
    ("GET", "/health"): {"anonymous": 200, "outsider": 200},
    ("GET", "/openapi.json"): {"anonymous": 200, "outsider": 200},
}
BODIES = {"POST": {"name": "New org", "comment": "Please"}, "PUT": {"role": "admin"}}


def test_the_matrix_covers_every_route_of_the_app():
    from app import app

    routes = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert routes == set(EXPECTED)


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED), ids=lambda value: str(value))
def test_route_answers_each_caller_as_contracted(api, world, flows, make_user, stream, aws, items,
                                                 method, path):
    # GIVEN a second editor, the target of member changes
    mia = make_user("mia")
    flows.member(world.admin, mia, world.org_id)
    stream.deliver()
    callers = {"anonymous": None, "outsider": world.outsider, "requester": world.requester,
               "editor": world.editor, "admin": world.admin, "other_admin": world.other_admin}
    url = path.format(org_id=world.org_id, request_id=world.request["id"], member_id="mia")
    body = BODIES.get(method)
    if path == "/organizations":
        body = {"name": "New org"}
    elif path == REQS and method == "POST":
        body = {"comment": "Please"}
    elif path.endswith(("/accept", "/refuse")):
        body = {}
    outcomes = {}
    for caller_name in EXPECTED[(method, path)]:
        before, emails_before = items(), len(aws.emails())
        reply = api.call(method, url, callers[caller_name], body=body)
        stream.deliver()
        outcomes[caller_name] = reply.status
        if reply.status >= 400:
            # THEN a refusal changes nothing and sends nothing
            assert items() == before, caller_name
            assert len(aws.emails()) == emails_before, caller_name
            if reply.status != 401:
                assert set(reply.body) == {"code", "message"}, caller_name
    assert outcomes == EXPECTED[(method, path)]
