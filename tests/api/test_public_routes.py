"""Routes anyone may call, and what the API says when it is called wrongly."""

from __future__ import annotations

import json

from openapi_spec_validator import validate

from chalicelib.api.validation import OPENAPI_PATH


def test_health_answers_without_a_token(api):
    reply = api.get("/health")
    assert (reply.status, reply.body) == (200, {"status": "ok"})


def test_openapi_document_is_served_valid_and_equal_to_the_repository_copy(api):
    reply = api.get("/openapi.json")
    assert reply.status == 200
    validate(reply.body)
    assert reply.body == json.loads(OPENAPI_PATH.read_text())


def test_openapi_document_describes_every_route_of_the_app(chalice_client):
    from app import app

    served = json.loads(OPENAPI_PATH.read_text())["paths"]
    routes = {path: {method.lower() for method in methods} for path, methods in app.routes.items()}
    documented = {
        path: {verb for verb in operations if verb != "parameters"} for path, operations in served.items()
    }
    assert documented == routes


def test_openapi_document_is_what_its_source_generates():
    from tools.openapi_source import DOCUMENT

    assert json.loads(OPENAPI_PATH.read_text()) == json.loads(json.dumps(DOCUMENT))


def test_protected_routes_refuse_calls_without_a_valid_token(api, world, items):
    before = items()
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer not-a-jwt"}):
        reply = api.call("POST", "/organizations", body={"name": "x"}, headers=headers)
        assert reply.status in (401, 403), headers
    assert items() == before


def test_wrong_method_answers_in_the_contract_shape(api, world):
    reply = api.call("PATCH", f"/organizations/{world.org_id}", world.admin)
    assert reply.status == 405
    assert reply.body["code"] == "method_not_allowed"


def test_unexpected_failures_answer_500_in_the_contract_shape_without_details(api, world, monkeypatch):
    from chalicelib.services.organizations import OrganizationService

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(OrganizationService, "view", explode)
    reply = api.get(f"/organizations/{world.org_id}", world.admin)
    assert reply.status == 500
    assert reply.body["code"] == "internal_error"
    assert "secret" not in json.dumps(reply.body)
