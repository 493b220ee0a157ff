"""The one mapping from domain errors to HTTP: every error has its status, found along
its class hierarchy, and each refusal raises a fresh error."""

from __future__ import annotations

import traceback

import pytest

from chalicelib import errors
from chalicelib.api import http
from chalicelib.api.http import error_response, status_of
from chalicelib.errors import DomainError, RequestNotFound


def _domain_errors(root: type[DomainError] = DomainError) -> list[type[DomainError]]:
    found = []
    for cls in root.__subclasses__():
        found.append(cls)
        found.extend(_domain_errors(cls))
    return found


def _product_errors() -> list[type[DomainError]]:
    # Classes a test defines linger in __subclasses__ until collected; only the product's count.
    return [cls for cls in _domain_errors() if cls.__module__.startswith("chalicelib.")]


def test_the_walk_finds_the_product_errors_including_nested_ones():
    found = _product_errors()
    assert errors.RequestNotFound in found and errors.AskedTooRecently in found
    assert len(found) >= 14


@pytest.mark.parametrize("error_type", _product_errors(), ids=lambda cls: cls.__name__)
def test_every_domain_error_has_a_status_of_its_own(error_type):
    # THEN its status comes from the table, not from the fallback for unmapped errors
    status = status_of(error_type)
    assert status is not None, f"{error_type.__name__} has no HTTP status in STATUS_BY_ERROR"
    assert 400 <= status < 500


def test_a_subclass_answers_with_its_parents_status():
    # GIVEN a refinement of an error that has a status
    class HiddenRequest(RequestNotFound):
        code = "request_not_found"

    # WHEN it is turned into a response
    response = error_response(HiddenRequest())
    # THEN it answers as its parent does, not as a generic 400
    assert response.status_code == 404
    assert response.body == {"code": "request_not_found", "message": RequestNotFound.message}


def test_an_unmapped_domain_error_is_a_server_fault_not_the_clients(caplog):
    class Unmapped(DomainError):
        code = "unmapped"

    response = error_response(Unmapped())
    assert (response.status_code, response.body["code"]) == (500, "unmapped")
    assert "no HTTP status for Unmapped" in caplog.text


def _depth(error: BaseException) -> int:
    return len(traceback.extract_tb(error.__traceback__))


@pytest.mark.parametrize(
    "path",
    [
        "/organizations/not-an-id",
        "/organizations/not-an-id/membership-requests",
        "/organizations/not-an-id/membership-requests/also-not-an-id",
    ],
)
def test_each_refusal_raises_a_fresh_error_whose_traceback_does_not_grow(api, make_user, monkeypatch, path):
    # GIVEN a warm container that records the errors it turns into responses
    raised: list[DomainError] = []

    def recording(error):
        raised.append(error)
        return error_response(error)

    monkeypatch.setattr(http, "error_response", recording)
    paul = make_user("paul")
    # WHEN the same malformed id is refused again and again
    replies = [api.get(path, paul) for _ in range(4)]
    # THEN each answer is the same 404
    assert {(reply.status, reply.body["code"]) for reply in replies} == {
        (404, "request_not_found" if "membership-requests/" in path else "organization_not_found")
    }
    # AND each comes from its own error, whose traceback is as short as the first one's
    assert len({id(error) for error in raised}) == 4
    assert [_depth(error) for error in raised] == [_depth(raised[0])] * 4
