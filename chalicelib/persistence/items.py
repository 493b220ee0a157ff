"""Items <-> domain objects: what each kind of item holds, with the keys of its index
entries (formats from :mod:`chalicelib.persistence.keys`).

The builders take the model class to instantiate: the repository passes its bound
classes (``Tables``), which can be written; the default, unbound ones build items that
are only serialized (the benchmarks' seed) and read stream images.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pynamodb.expressions.update import Action

from chalicelib import domain
from chalicelib.persistence import keys
from chalicelib.persistence.models import (
    LastAskedModel,
    MembershipModel,
    MembershipRequestModel,
    NoticeModel,
    OperatorActionModel,
    OrganizationModel,
    PendingRequestModel,
    UserProfileModel,
)

# -- item -> domain -----------------------------------------------------------------------


def organization_of(item: OrganizationModel) -> domain.Organization:
    return domain.Organization(
        id=item.organization_id,
        name=item.name,
        description=item.description,
        created_at=item.created_at,
        members_count=int(item.members_count),
        admins_count=int(item.admins_count),
        pending_count=int(item.pending_count),
        settings=settings_of(item),
        settings_version=int(item.settings_version or 0),
    )


def settings_of(item: OrganizationModel) -> domain.OrganizationSettings:
    """An organization's settings; those never set read as their defaults."""
    default = domain.OrganizationSettings()
    return domain.OrganizationSettings(
        requests_open=default.requests_open if item.requests_open is None else item.requests_open,
        request_guidance=item.request_guidance or "",
        auto_accept_domains=tuple(sorted(item.auto_accept_domains or ())),
        auto_accept_role=domain.Role(item.auto_accept_role or default.auto_accept_role),
        request_expiry_days=int(item.request_expiry_days or default.request_expiry_days),
        reminder_days=(
            default.reminder_days if item.reminder_days is None else tuple(int(d) for d in item.reminder_days)
        ),
    )


def membership_of(item: MembershipModel) -> domain.Membership:
    return domain.Membership(
        organization_id=item.organization_id,
        user_id=item.user_id,
        name=item.name,
        role=domain.Role(item.role),
        since=item.since,
        # Items written before memberships named their organization have none.
        organization_name=item.organization_name or "",
    )


def request_of(item: MembershipRequestModel) -> domain.MembershipRequest:
    decided_by = None
    if item.decided_by_id:
        decided_by = domain.UserRef(id=item.decided_by_id, name=item.decided_by_name or "")
    return domain.MembershipRequest(
        id=item.request_id,
        organization_id=item.organization_id,
        user=domain.UserRef(id=item.user_id, name=item.user_name),
        comment=item.comment,
        status=domain.RequestStatus(item.status),
        created_at=item.created_at,
        role=domain.Role(item.role) if item.role else None,
        reason=item.reason,
        decided_at=item.decided_at,
        decided_by=decided_by,
        schedule=schedule_of(item),
        auto_accepted=bool(item.auto_accepted),
    )


def schedule_of(item: MembershipRequestModel) -> domain.RequestSchedule | None:
    if item.expires_at is None:
        return None
    return domain.RequestSchedule(
        expires_at=item.expires_at,
        reminder_days=tuple(int(d) for d in item.reminder_days or ()),
        reminders_sent=int(item.reminders_sent or 0),
    )


def request_from_image(image: Mapping[str, Any]) -> domain.MembershipRequest:
    """A request rebuilt from its stream image (DynamoDB JSON) with the table's own model."""
    return request_of(MembershipRequestModel.from_raw_data(dict(image)))


def notice_of(item: NoticeModel) -> domain.Notice:
    user_id, kind, key = keys.notice_key_of({"PK": {"S": item.pk}, "SK": {"S": item.sk}}) or ("", "", "")
    return domain.Notice(
        user_id=user_id,
        kind=domain.NoticeKind(kind),
        key=key,
        status=domain.NoticeStatus(item.status),
        created_at=item.created_at,
        entries={
            name: _plain(entry) for name, entry in (item.entries.as_dict() if item.entries else {}).items()
        },
    )


def notice_from_image(image: Mapping[str, Any]) -> domain.Notice:
    """A notice rebuilt from its stream image (DynamoDB JSON) with the table's own model."""
    return notice_of(NoticeModel.from_raw_data(dict(image)))


def _plain(value: Any) -> Any:
    """A raw map's value with DynamoDB's numbers as ints (entries hold whole numbers only)."""
    if isinstance(value, Mapping):
        return {name: _plain(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    if isinstance(value, float | int) and not isinstance(value, bool):
        return int(value)
    if type(value).__name__ == "Decimal":
        return int(value)
    return value


def profile_of(item: UserProfileModel) -> domain.UserProfile:
    return domain.UserProfile(
        keys.user_id_of(item.pk), item.name, item.email, item.locale, preferences=preferences_of(item)
    )


def preferences_of(item: UserProfileModel) -> domain.Preferences:
    return domain.Preferences(
        admin_emails=domain.AdminEmails(item.admin_emails or domain.AdminEmails.IMMEDIATE),
        language=item.language,
        muted_organizations=frozenset(item.muted_organizations or ()),
    )


def operator_action_of(item: OperatorActionModel) -> domain.OperatorAction:
    return domain.OperatorAction(
        id=item.action_id,
        at=item.at,
        actor=item.actor,
        operator=item.operator,
        action=item.action,
        organization_id=item.organization_id,
        subject=item.subject,
        details=item.details.as_dict() if item.details else {},
    )


# -- domain -> item -----------------------------------------------------------------------


def organization_item(
    org: domain.Organization, created_by: str, model=OrganizationModel
) -> OrganizationModel:
    """The item of a new organization (``pending_count`` starts at zero)."""
    return model(
        keys.org_pk(org.id),
        keys.ORG_SK,
        organization_id=org.id,
        name=org.name,
        description=org.description,
        created_at=org.created_at,
        created_by=created_by,
        members_count=org.members_count,
        admins_count=org.admins_count,
        pending_count=0,
    )


def request_item(request: domain.MembershipRequest, model=MembershipRequestModel) -> MembershipRequestModel:
    """The item of a request as it is created, with the keys of its index entries."""
    stamp = keys.request_stamp(request.created_at, request.id)
    return model(
        keys.org_pk(request.organization_id),
        keys.request_sk(request.id),
        request_id=request.id,
        organization_id=request.organization_id,
        user_id=request.user.id,
        user_name=request.user.name,
        comment=request.comment,
        status=request.status.value,
        created_at=request.created_at,
        gsi1sk=stamp,
        gsi2pk=keys.user_pk(request.user.id),
        gsi2sk=keys.user_request_sk(request.created_at, request.id),
        gsi3sk=stamp,
        auto_accepted=request.auto_accepted or None,
        # Only a request accepted at once is created decided.
        role=request.role.value if request.role else None,
        decided_at=request.decided_at,
        **request_status_keys(request.organization_id, request.user.id, request.status),
        **request_schedule_attributes(request),
    )


def request_schedule_attributes(request: domain.MembershipRequest) -> dict[str, Any]:
    """A request's schedule, and while it is pending its entry in the schedule (GSI4)
    at its next due moment."""
    schedule = request.schedule
    if schedule is None:
        return {}
    attributes: dict[str, Any] = {
        "expires_at": schedule.expires_at,
        "reminder_days": list(schedule.reminder_days),
        "reminders_sent": schedule.reminders_sent,
    }
    if request.is_pending:
        attributes["gsi4pk"], attributes["gsi4sk"] = keys.due_keys(
            schedule.next_due(request.created_at), domain.DueKind.REQUEST, request.id
        )
    return attributes


def request_status_keys(org_id: str, user_id: str, status: domain.RequestStatus) -> dict[str, str]:
    """The index keys of a request that change with its status."""
    return {
        "gsi1pk": keys.org_requests_pk(org_id, status),
        "gsi3pk": keys.user_requests_pk(user_id, status),
    }


def membership_item(membership: domain.Membership, model=MembershipModel) -> MembershipModel:
    """The item of a member, with the keys of its two index entries."""
    return model(
        keys.org_pk(membership.organization_id),
        keys.member_sk(membership.user_id),
        organization_id=membership.organization_id,
        user_id=membership.user_id,
        name=membership.name,
        role=membership.role.value,
        since=membership.since,
        organization_name=membership.organization_name,
        **membership_index_keys(membership),
    )


def membership_index_keys(membership: domain.Membership) -> dict[str, str]:
    """The index keys of a member (they change with its role)."""
    org_id, user_id, role = membership.organization_id, membership.user_id, membership.role
    return {
        "gsi1pk": keys.members_by_role_pk(org_id, role),
        "gsi1sk": keys.member_since_sk(membership.since, user_id),
        "gsi2pk": keys.user_pk(user_id),
        "gsi2sk": keys.user_membership_sk(role, org_id),
    }


def profile_item(profile: domain.UserProfile, model=UserProfileModel) -> UserProfileModel:
    """The item of a user's profile (updates only use its key)."""
    user = keys.user_pk(profile.user_id)
    return model(user, keys.PROFILE_SK, name=profile.name, email=profile.email, locale=profile.locale)


def profile_refresh(profile: domain.UserProfile) -> list[Action]:
    """The updates that bring a stored profile up to what the caller's token says."""
    return [
        UserProfileModel.name.set(profile.name),
        UserProfileModel.email.set(profile.email),
        UserProfileModel.locale.set(profile.locale),
    ]


def pending_item(request: domain.MembershipRequest, model=PendingRequestModel) -> PendingRequestModel:
    """The lock that makes a request the only pending one of its user in its organization."""
    return model(
        keys.org_pk(request.organization_id), keys.pending_sk(request.user.id), request_id=request.id
    )


def asked_item(request: domain.MembershipRequest, cooldown: int, model=LastAskedModel) -> LastAskedModel:
    """When the requester last asked the organization; it expires with the cooldown."""
    asked_at = int(request.created_at.timestamp())
    return model(
        keys.org_pk(request.organization_id),
        keys.asked_sk(request.user.id),
        asked_at=asked_at,
        expires_at=datetime.fromtimestamp(asked_at + cooldown, tz=UTC),
    )


def operator_action_item(action: domain.OperatorAction, model=OperatorActionModel) -> OperatorActionModel:
    """The record of an operator action: in its organization's history when it concerns
    one, and in the operators' log of its month."""
    if action.organization_id is not None:
        pk, sk = keys.org_pk(action.organization_id), keys.history_sk(action.at, action.id)
    else:
        pk, sk = keys.operation_pk(action.id), keys.OPERATION_SK
    gsi1pk, gsi1sk = keys.operator_log_keys(action.at, action.id)
    return model(
        pk,
        sk,
        action_id=action.id,
        at=action.at,
        actor=action.actor,
        operator=action.operator,
        action=action.action,
        organization_id=action.organization_id,
        subject=action.subject,
        details=dict(action.details) or None,
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
    )
