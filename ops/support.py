"""The support tasks operators do from a terminal, as plain use cases over the project's
own repository and notifier (no boto3, no argparse here).

Every action that changes something is logged at INFO with who did what, and recorded
in the table (:class:`~chalicelib.domain.OperatorAction`): in the same transaction as the
change when the change is a write to the table, right after it otherwise (emails sent,
a queue drained). An action that changes nothing is neither.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain import (
    Membership,
    MembershipRequest,
    OperatorAction,
    Organization,
    Page,
    RequestStatus,
    Role,
    Transition,
    UserProfile,
    UserRef,
)
from chalicelib.errors import DomainError, InvalidRequest, MemberNotFound, RequestNotFound

logger = logging.getLogger(__name__)

_REQUESTS_KEPT = 1000

# The transition whose emails a request in each status calls for.
_TRANSITION_OF_STATUS = {
    RequestStatus.PENDING: Transition.REQUESTED,
    RequestStatus.ACCEPTED: Transition.ACCEPTED,
    RequestStatus.REFUSED: Transition.REFUSED,
    RequestStatus.EXPIRED: Transition.EXPIRED,
}


@dataclass(frozen=True)
class Operator:
    """Who acts: ``actor``, the AWS identity the command runs as (an ARN, from STS);
    ``name``, the name (and reason) the operator gives, e.g. ``sam (ticket 1234)``."""

    actor: str
    name: str


@dataclass(frozen=True)
class Overview:
    """An organization's counters and one page of each listing asked for (None: not asked)."""

    organization: Organization
    members: Page[Membership] | None
    pending: Page[MembershipRequest] | None
    profiles: dict[str, UserProfile]


@dataclass(frozen=True)
class AdminChange:
    """What ``grant_admin`` or ``revoke_admin`` did: ``promoted``, ``accepted`` (a pending
    request accepted with the admin role), ``demoted`` or ``unchanged``."""

    action: str
    member: Membership


class SupportService:
    """Operator use cases. ``repository`` is the operators' membership repository
    (:class:`~chalicelib.persistence.membership.OperatorMembershipRepository`), ``notifier`` the
    stream function's notifier, ``clock`` returns an aware UTC datetime, ``new_id`` a fresh
    id, ``operator`` says who acts (a callable, asked once, on the first change: reading
    needs no identity)."""

    def __init__(
        self,
        repository,
        notifier,
        clock: Callable[[], datetime],
        operator: Callable[[], Operator],
        new_id: Callable[[], str],
    ) -> None:
        self._repository = repository
        self._notifier = notifier
        self._clock = clock
        self._who = operator
        self._operator: Operator | None = None
        self._new_id = new_id

    def identify(self) -> Operator:
        """Who acts (asked once): before a change, so that none is made anonymously."""
        if self._operator is None:
            self._operator = self._who()
        return self._operator

    def overview(
        self,
        org_id: str,
        limit: int,
        members_cursor: str | None = None,
        pending_cursor: str | None = None,
        role: Role | None = None,
        with_profiles: bool = False,
    ) -> Overview:
        """The organization's counters (its item: no member is read to count them), one
        page of its members (of ``role`` only, if given) and one of its pending requests,
        oldest first. A cursor continues its own listing only."""
        organization = self._repository.get_organization(org_id)
        members = pending = None
        if members_cursor is not None or pending_cursor is None:
            if role is None:
                members = self._repository.list_members(org_id, limit, members_cursor)
            else:
                members = self._repository.list_members_by_role(org_id, role, limit, members_cursor)
        if pending_cursor is not None or members_cursor is None:
            pending = self._repository.list_organization_requests(
                org_id, RequestStatus.PENDING, limit, pending_cursor
            )
        profiles = {}
        if with_profiles:
            profiles = self._repository.profiles(
                [member.user_id for member in (members.items if members else [])]
                + [request.user.id for request in (pending.items if pending else [])]
            )
        return Overview(organization, members, pending, profiles)

    def history(self, org_id: str, limit: int, cursor: str | None = None) -> Page[OperatorAction]:
        """The operator actions on an organization, newest first."""
        self._repository.get_organization(org_id)
        return self._repository.operator_actions_of(org_id, limit, cursor)

    def log(self, month: str, limit: int, cursor: str | None = None) -> Page[OperatorAction]:
        """Every operator action of a month (``YYYY-MM``), newest first."""
        try:
            datetime.strptime(month, "%Y-%m")
        except ValueError as e:
            raise InvalidRequest(f"{month!r} is not a month: write it YYYY-MM.") from e
        return self._repository.operator_log(month, limit, cursor)

    def _action(self, action: str, org_id: str | None, subject: str | None, details: dict) -> OperatorAction:
        operator = self.identify()
        return OperatorAction(
            id=self._new_id(),
            at=self._clock(),
            actor=operator.actor,
            operator=operator.name,
            action=action,
            organization_id=org_id,
            subject=subject,
            details=details,
        )

    @staticmethod
    def _log(record: OperatorAction) -> None:
        where = f" in {record.organization_id}" if record.organization_id else ""
        what = ", ".join(f"{key}={value}" for key, value in record.details.items() if key != "requests")
        logger.info(
            "operator %s as %s: %s %s%s: %s",
            record.operator,
            record.actor,
            record.action,
            record.subject or "",
            where,
            what,
            extra={
                "operator_action": record.action,
                "operator": record.operator,
                "actor": record.actor,
                "organization_id": record.organization_id,
                "subject": record.subject,
                "action_id": record.id,
            },
        )

    def grant_admin(self, org_id: str, user_id: str) -> AdminChange:
        """Make ``user_id`` an admin: a member is promoted; a user with a pending request
        has it accepted with the admin role (and is emailed as usual)."""
        # One read: the organization (it exists), the user's membership, their pending request.
        organization, member, pending = self._repository.get_organization_with_caller(org_id, user_id)
        if member is not None and member.role is Role.ADMIN:
            return AdminChange("unchanged", member)
        if member is not None:
            record = self._action("grant-admin", org_id, user_id, {"change": "promoted", "role": "admin"})
            promoted = self._repository.change_role_by_operator(member, Role.ADMIN, record)
            self._log(record)
            return AdminChange("promoted", promoted)
        if pending is None:
            raise MemberNotFound(
                f"{user_id} is neither a member of {org_id} nor has a pending "
                "request there; ask them to request to join first."
            )
        record = self._action(
            "grant-admin", org_id, user_id, {"change": "accepted", "role": "admin", "request_id": pending.id}
        )
        name = self.identify().name
        accepted = replace(
            pending,
            status=RequestStatus.ACCEPTED,
            role=Role.ADMIN,
            decided_at=record.at,
            decided_by=UserRef(f"operator:{name}", f"{name} (support)"),
        )
        new_member = Membership(
            org_id, pending.user.id, pending.user.name, Role.ADMIN, record.at, organization.name
        )
        self._repository.close_request_by_operator(pending, accepted, new_member, record)
        self._log(record)
        return AdminChange("accepted", new_member)

    def revoke_admin(self, org_id: str, user_id: str) -> AdminChange:
        """Make an admin an editor; refused (``last_admin``) if no other admin remains."""
        _, member, _ = self._repository.get_organization_with_caller(org_id, user_id)
        if member is None:
            raise MemberNotFound()
        if member.role is not Role.ADMIN:
            return AdminChange("unchanged", member)
        record = self._action("revoke-admin", org_id, user_id, {"change": "demoted", "role": "editor"})
        demoted = self._repository.change_role_by_operator(member, Role.EDITOR, record)
        self._log(record)
        return AdminChange("demoted", demoted)

    def resend(
        self,
        org_id: str,
        request_id: str,
        transition: Transition | None = None,
        *,
        again: bool = False,
        force: bool = False,
    ):
        """Send the emails of a request's transition that the ledger does not show as
        sent (``again``: every one of them). The transition defaults to the one the
        request's status calls for. Refused while the stream may still be sending them,
        unless ``force``."""
        self._repository.get_organization(org_id)
        request = self._repository.find_request(org_id, request_id)
        if request is None:
            raise RequestNotFound()
        expected = _TRANSITION_OF_STATUS.get(request.status)
        transition = transition or expected
        if transition is None or transition is not expected:
            what = f"{transition.value} " if transition else ""
            raise InvalidRequest(f"A {request.status.value} request has no {what}email to send.")
        details: dict = {"transition": transition.value, "again": again, "force": force}
        self.identify()
        try:
            outcome = self._notifier.resend(request, transition, again=again, force=force)
        except DomainError:
            raise  # refused before anything was sent
        except Exception as error:
            # Some emails may have gone out before the failure: that is recorded too, if
            # the table still answers (the error that stopped the resend is the one to see).
            failed = self._action("resend", org_id, request_id, details | {"error": type(error).__name__})
            with contextlib.suppress(Exception):
                self._record(failed)
            raise
        details |= {"sent": outcome.sent, "already_sent": outcome.already_sent, "failed": outcome.failed}
        if outcome.sent or outcome.failed:
            # Emails went out, or were given up (the ledger says so): a change to record.
            self._record(self._action("resend", org_id, request_id, details))
        return transition, outcome

    def redriven(self, queue_url: str, replayed: int, dropped: int, records: int, remaining: int, requests):
        """Record a re-drive of the failure queue that handled something (``requests``:
        ``org_id/request_id`` of the records replayed)."""
        if not (replayed or dropped):
            return None
        record = self._action(
            "redrive",
            None,
            queue_url,
            {
                "replayed_ranges": replayed,
                "dropped_ranges": dropped,
                "records": records,
                "remaining": remaining,
                # A long outage's re-drive may concern many requests: the item stays far
                # below DynamoDB's 400 KB, and says how many it left out.
                "requests": sorted(set(requests))[:_REQUESTS_KEPT],
                "requests_total": len(set(requests)),
            },
        )
        self._record(record)
        return record

    def _record(self, record: OperatorAction) -> None:
        # Logged first: the emails are out, whatever then happens to the table's record.
        self._log(record)
        self._repository.record_operator_action(record)
