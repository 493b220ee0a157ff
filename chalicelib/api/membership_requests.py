"""Routes on membership requests, seen from an organization and from the requester."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import representations as rep
from chalicelib.api.http import (
    caller_of,
    cursor_param,
    json_body,
    limit_param,
    object_id,
    route,
    status_param,
)
from chalicelib.bootstrap import container
from chalicelib.domain import RequestStatus, Role
from chalicelib.errors import OrganizationNotFound, RequestNotFound

bp = Blueprint(__name__)

_REQUESTS = "/organizations/{org_id}/membership-requests"
_REQUEST = _REQUESTS + "/{request_id}"


def _created_request(body: dict) -> str:
    return f"/organizations/{body['organization_id']}/membership-requests/{body['id']}"


@route(bp, _REQUESTS, methods=["POST"], status=201, location=_created_request)
def ask_to_join(org_id):
    request = bp.current_request
    data = json_body(request, "MembershipRequestCreate")
    created = container().membership_requests.ask(
        caller_of(request), object_id(org_id, OrganizationNotFound), data["comment"]
    )
    return rep.membership_request(created)


@route(bp, _REQUESTS, methods=["GET"])
def list_organization_requests(org_id):
    request = bp.current_request
    result = container().membership_requests.list_for_organization(
        caller_of(request),
        object_id(org_id, OrganizationNotFound),
        status_param(request, RequestStatus.PENDING),
        limit_param(request),
        cursor_param(request),
    )
    return rep.page(result, rep.membership_request)


@route(bp, _REQUEST, methods=["GET"])
def get_membership_request(org_id, request_id):
    found = container().membership_requests.get(
        caller_of(bp.current_request),
        object_id(org_id, RequestNotFound),
        object_id(request_id, RequestNotFound),
    )
    return rep.membership_request(found)


@route(bp, _REQUEST + "/accept", methods=["POST"])
def accept_membership_request(org_id, request_id):
    request = bp.current_request
    data = json_body(request, "AcceptDecision")
    accepted, member = container().membership_requests.accept(
        caller_of(request),
        object_id(org_id, RequestNotFound),
        object_id(request_id, RequestNotFound),
        Role(data.get("role", Role.EDITOR.value)),
    )
    return {"request": rep.membership_request(accepted), "member": rep.member(member)}


@route(bp, _REQUEST + "/refuse", methods=["POST"])
def refuse_membership_request(org_id, request_id):
    request = bp.current_request
    data = json_body(request, "RefuseDecision")
    refused = container().membership_requests.refuse(
        caller_of(request),
        object_id(org_id, RequestNotFound),
        object_id(request_id, RequestNotFound),
        data.get("reason"),
    )
    return {"request": rep.membership_request(refused)}


@route(bp, _REQUEST, methods=["DELETE"])
def withdraw_membership_request(org_id, request_id):
    withdrawn = container().membership_requests.withdraw(
        caller_of(bp.current_request),
        object_id(org_id, RequestNotFound),
        object_id(request_id, RequestNotFound),
    )
    return {"request": rep.membership_request(withdrawn)}


@route(bp, "/me/membership-requests", methods=["GET"])
def list_my_requests():
    request = bp.current_request
    result = container().membership_requests.mine(
        caller_of(request), status_param(request, None), limit_param(request), cursor_param(request)
    )
    return rep.page(result, rep.membership_request)


@route(bp, "/me/notifications", methods=["GET"])
def my_notifications():
    return rep.inbox(container().membership_requests.inbox(caller_of(bp.current_request)))
