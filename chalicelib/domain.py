"""Plain domain objects, free of persistence and HTTP concerns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Transition(StrEnum):
    """Status changes that someone must be told about by email."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REFUSED = "refused"


def language_of(locale: str) -> str:
    """The language Adhesion speaks to someone of ``locale``: English for any English
    locale, French (its first language) for every other."""
    return "en" if locale.lower().startswith("en") else "fr"


def isoformat(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Caller:
    """The authenticated user, as the authorizer vouched for them. ``email_verified``
    is true only when the token says the issuer verified ``email`` (never assumed)."""

    user_id: str
    name: str
    email: str
    locale: str
    email_verified: bool = False


@dataclass(frozen=True)
class UserRef:
    id: str
    name: str


@dataclass(frozen=True)
class UserProfile:
    """What Adhesion remembers of a user so that emails can reach them later."""

    user_id: str
    name: str
    email: str
    locale: str


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    description: str
    created_at: datetime
    members_count: int
    admins_count: int
    pending_count: int


@dataclass(frozen=True)
class Membership:
    """A user's place in an organization: ``name`` is the member's, ``organization_name``
    the organization's (what the member's list of organizations shows)."""

    organization_id: str
    user_id: str
    name: str
    role: Role
    since: datetime
    organization_name: str


@dataclass(frozen=True)
class MembershipRequest:
    id: str
    organization_id: str
    user: UserRef
    comment: str
    status: RequestStatus
    created_at: datetime
    role: Role | None = None
    reason: str | None = None
    decided_at: datetime | None = None
    decided_by: UserRef | None = None

    @property
    def is_pending(self) -> bool:
        return self.status is RequestStatus.PENDING


@dataclass(frozen=True)
class Page[T]:
    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None


@dataclass(frozen=True)
class OrganizationView:
    """An organization as one caller sees it."""

    organization: Organization
    my_membership: Membership | None
    my_pending_request: MembershipRequest | None


@dataclass(frozen=True)
class InboxItem:
    organization_id: str
    organization_name: str
    request: MembershipRequest


@dataclass(frozen=True)
class Inbox:
    count: int
    items: list[InboxItem]


@dataclass(frozen=True)
class OperatorAction:
    """What an operator did with ``python -m ops``, kept for audits (never expires).

    ``actor`` is the AWS identity the command ran as (an ARN: what IAM vouches for, and
    what CloudTrail names for the same calls); ``operator`` the name and reason the
    operator gave (``--operator "sam (ticket 1234)"``). ``action`` is the command
    (``grant-admin``, ``revoke-admin``, ``resend``, ``redrive``), ``organization_id``
    the organization it concerns (None for a re-drive, which spans organizations),
    ``subject`` the user or request acted on, ``details`` what happened.
    """

    id: str
    at: datetime
    actor: str
    operator: str
    action: str
    organization_id: str | None = None
    subject: str | None = None
    details: dict[str, str | int | list[str]] = field(default_factory=dict)
