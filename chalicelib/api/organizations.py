"""Routes on organizations and their members."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import representations as rep
from chalicelib.api.http import caller_of, cursor_param, json_body, limit_param, object_id, route, user_id
from chalicelib.bootstrap import container
from chalicelib.domain import Role
from chalicelib.errors import OrganizationNotFound

bp = Blueprint(__name__)


@route(bp, "/organizations", methods=["POST"], status=201, location=lambda org: f"/organizations/{org['id']}")
def create_organization():
    request = bp.current_request
    data = json_body(request, "OrganizationCreate")
    view = container().organizations.create(caller_of(request), data["name"], data.get("description", ""))
    return rep.organization(view.organization, view)


@route(bp, "/me/organizations", methods=["GET"])
def list_my_organizations():
    request = bp.current_request
    result = container().organizations.mine(caller_of(request), limit_param(request), cursor_param(request))
    return rep.page(result, rep.my_organization)


@route(bp, "/organizations/{org_id}", methods=["GET"])
def get_organization(org_id):
    view = container().organizations.view(
        caller_of(bp.current_request), object_id(org_id, OrganizationNotFound)
    )
    return rep.organization(view.organization, view)


@route(bp, "/organizations/{org_id}/settings", methods=["GET"])
def get_settings(org_id):
    view = container().organizations.settings(
        caller_of(bp.current_request), object_id(org_id, OrganizationNotFound)
    )
    return rep.settings(view)


@route(bp, "/organizations/{org_id}/settings", methods=["PUT"])
def change_settings(org_id):
    request = bp.current_request
    changes = json_body(request, "OrganizationSettingsChange", required=True)
    view = container().organizations.change_settings(
        caller_of(request), object_id(org_id, OrganizationNotFound), changes
    )
    return rep.settings(view)


@route(bp, "/organizations/{org_id}/members", methods=["GET"])
def list_members(org_id):
    request = bp.current_request
    result = container().organizations.members(
        object_id(org_id, OrganizationNotFound), limit_param(request), cursor_param(request)
    )
    return rep.page(result, rep.member)


@route(bp, "/organizations/{org_id}/members/{member_id}", methods=["PUT"])
def change_member_role(org_id, member_id):
    request = bp.current_request
    data = json_body(request, "RoleChange")
    membership = container().organizations.change_role(
        caller_of(request), object_id(org_id, OrganizationNotFound), user_id(member_id), Role(data["role"])
    )
    return rep.member(membership)


@route(bp, "/organizations/{org_id}/members/{member_id}", methods=["DELETE"], status=204)
def remove_member(org_id, member_id):
    container().organizations.remove_member(
        caller_of(bp.current_request), object_id(org_id, OrganizationNotFound), user_id(member_id)
    )
