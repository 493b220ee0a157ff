"""Routes anyone may call, and what the API says when it is called wrongly."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from chalicelib.api.validation import OPENAPI_PATH


def test_health_answers_without_a_token(api):
    reply = api.get("/health")
    assert (reply.status, reply.body) == (200, {"status": "ok"})


def test_openapi_document_is_served_valid_and_equal_to_the_repository_copy(api):
    reply = api.get("/openapi.json", headers={"Host": "127.0.0.1:8000"})
    assert reply.status == 200
    validate(reply.body)
    served = dict(reply.body)
    assert served.pop("servers") == [{"url": "http://127.0.0.1:8000"}]
    assert served == json.loads(OPENAPI_PATH.read_text())


def _gateway_event(host: str, context_path: str, stage: str) -> dict:
    """GET /openapi.json as API Gateway's REST proxy integration hands it to the function."""
    return {
        "resource": "/openapi.json",
        "path": "/openapi.json",
        "httpMethod": "GET",
        "headers": {"Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"},
        "multiValueHeaders": {"Host": [host], "X-Forwarded-Proto": ["https"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/openapi.json",
            "httpMethod": "GET",
            "path": context_path,
            "stage": stage,
            "domainName": host,
            "apiId": "abc123defg",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize(
    ("host", "context_path", "server"),
    [
        # The execute-api domain: the stage is the first segment of every path.
        (
            "abc123defg.execute-api.eu-west-3.amazonaws.com",
            "/api/openapi.json",
            "https://abc123defg.execute-api.eu-west-3.amazonaws.com/api",
        ),
        # A custom domain maps a base path (or none) to the stage, which then is no part of the URL.
        ("adhesion.example.org", "/v1/openapi.json", "https://adhesion.example.org/v1"),
        ("adhesion.example.org", "/openapi.json", "https://adhesion.example.org"),
    ],
)
def test_openapi_document_deployed_names_the_stage_it_is_served_from(container, host, context_path, server):
    from app import app

    # WHEN API Gateway passes on a request for the document
    response = app(_gateway_event(host, context_path, stage="api"), None)
    # THEN its one server is the root the caller reached, stage or base path included
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["servers"] == [{"url": server}]


def test_openapi_document_under_chalice_local_names_the_local_server(api):
    # chalice local sends no stage and no forwarding headers: the root is the host itself
    reply = api.get("/openapi.json", headers={"Host": "127.0.0.1:8123"})
    assert reply.body["servers"] == [{"url": "http://127.0.0.1:8123"}]


@pytest.mark.parametrize("host", ['evil.example"/><script>', "", "a b", "x" * 300])
def test_openapi_document_does_not_echo_a_malformed_host(api, host):
    reply = api.get("/openapi.json", headers={"Host": host} if host else {})
    assert reply.body["servers"] == [{"url": "/"}]


def test_openapi_document_describes_every_route_of_the_app(chalice_client):
    from app import app

    served = json.loads(OPENAPI_PATH.read_text())["paths"]
    # Every path's OPTIONS is the CORS preflight (chalicelib/api/cors.py), not an operation.
    routes = {
        path: {method.lower() for method in methods if method != "OPTIONS"}
        for path, methods in app.routes.items()
    }
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
