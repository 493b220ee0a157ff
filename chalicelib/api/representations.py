"""How domain objects look on the wire. Email addresses never appear here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain import (
    Inbox,
    Membership,
    MembershipRequest,
    Organization,
    OrganizationView,
    Page,
    SettingsView,
    UserRef,
    isoformat,
)

if TYPE_CHECKING:
    from chalicelib.services.preferences import PreferencesView


def _user(user: UserRef | None) -> dict[str, str] | None:
    return None if user is None else {"id": user.id, "name": user.name}


def organization(org: Organization, view: OrganizationView | None = None) -> dict[str, Any]:
    body = {
        "id": org.id,
        "name": org.name,
        "description": org.description,
        "created_at": isoformat(org.created_at),
        "members_count": org.members_count,
        # What a requester's dialog shows, before asking.
        "requests_open": org.settings.requests_open,
        "request_guidance": org.settings.request_guidance,
    }
    if view is not None:
        body["my_role"] = view.my_membership.role.value if view.my_membership else None
        body["my_pending_request"] = (
            membership_request(view.my_pending_request) if view.my_pending_request else None
        )
    return body


def member(membership: Membership) -> dict[str, Any]:
    return {
        "user_id": membership.user_id,
        "name": membership.name,
        "role": membership.role.value,
        "since": isoformat(membership.since),
    }


def my_organization(membership: Membership) -> dict[str, Any]:
    """An organization as its member's list shows it: the member's role and since when."""
    return {
        "id": membership.organization_id,
        "name": membership.organization_name,
        "role": membership.role.value,
        "since": isoformat(membership.since),
    }


def membership_request(request: MembershipRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "organization_id": request.organization_id,
        "user": _user(request.user),
        "comment": request.comment,
        "status": request.status.value,
        "role": request.role.value if request.role else None,
        "reason": request.reason,
        "created_at": isoformat(request.created_at),
        "decided_at": isoformat(request.decided_at) if request.decided_at else None,
        "decided_by": _user(request.decided_by),
        "expires_at": isoformat(request.schedule.expires_at) if request.schedule else None,
        "auto_accepted": request.auto_accepted,
    }


def settings(view: SettingsView) -> dict[str, Any]:
    org = view.organization
    chosen = org.settings
    return {
        "requests_open": chosen.requests_open,
        "request_guidance": chosen.request_guidance,
        "auto_accept_domains": list(chosen.auto_accept_domains),
        "auto_accept_role": chosen.auto_accept_role.value,
        "request_expiry_days": chosen.request_expiry_days,
        "reminder_days": list(chosen.reminder_days),
        "admins_emailed": view.admins_emailed,
        "admins_count": org.admins_count,
    }


def page(result: Page, render) -> dict[str, Any]:
    return {"items": [render(item) for item in result.items], "next_cursor": result.next_cursor}


def inbox(result: Inbox) -> dict[str, Any]:
    return {
        "count": result.count,
        "items": [
            {
                "kind": "membership_request",
                "organization": {"id": item.organization_id, "name": item.organization_name},
                "request": membership_request(item.request),
            }
            for item in result.items
        ],
    }


def preferences(view: PreferencesView) -> dict[str, Any]:
    """The caller's email preferences; ``language`` null: their token's locale decides."""
    return {
        "admin_emails": view.preferences.admin_emails.value,
        "language": view.preferences.language,
        "muted_organizations": [{"id": org.id, "name": org.name} for org in view.muted],
    }
