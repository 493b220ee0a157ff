"""Plain domain objects, free of persistence and HTTP concerns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    #: Nobody answered within the organization's ``request_expiry_days``.
    EXPIRED = "expired"


class Transition(StrEnum):
    """Status changes that someone must be told about by email."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"


class AdminEmails(StrEnum):
    """How an admin hears of new requests (``/me/preferences``): the inbox always."""

    IMMEDIATE = "immediate"
    DAILY_DIGEST = "daily_digest"
    OFF = "off"


class DueKind(StrEnum):
    """What the scheduled function does with an item once its moment has come."""

    #: a pending request: remind its organization's admins, or expire it
    REQUEST = "REQ"
    #: an admin's open notice (reminders, digest): close it, so that the stream emails it
    NOTICE = "NOTICE"


class NoticeKind(StrEnum):
    """The emails that list several requests to one admin."""

    REMINDER = "REMINDER"
    DIGEST = "DIGEST"


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
class Preferences:
    """How a user wants to be emailed (``/me/preferences``). ``language`` None: the
    token's locale. ``muted_organizations``: organizations whose admin emails the user
    turned off (the one-click unsubscribe), whatever ``admin_emails`` says."""

    admin_emails: AdminEmails = AdminEmails.IMMEDIATE
    language: str | None = None
    muted_organizations: frozenset[str] = frozenset()

    def admin_emails_for(self, org_id: str) -> AdminEmails:
        return AdminEmails.OFF if org_id in self.muted_organizations else self.admin_emails


@dataclass(frozen=True)
class UserProfile:
    """What Adhesion remembers of a user so that emails can reach them later."""

    user_id: str
    name: str
    email: str
    locale: str
    preferences: Preferences = Preferences()

    @property
    def language(self) -> str:
        """The language of this user's emails: their choice, else their token's locale's."""
        return self.preferences.language or language_of(self.locale)


@dataclass(frozen=True)
class OrganizationSettings:
    """What an organization's admins decide of requests to join it.

    ``auto_accept_domains`` are lower-case email domains: a caller whose *verified*
    address is in one is accepted at once with ``auto_accept_role``. Each request keeps
    the expiry and reminder days of the moment it was made (``RequestSchedule``).
    """

    requests_open: bool = True
    request_guidance: str = ""
    auto_accept_domains: tuple[str, ...] = ()
    auto_accept_role: Role = Role.EDITOR
    request_expiry_days: int = 30
    reminder_days: tuple[int, ...] = (3, 7)


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    description: str
    created_at: datetime
    members_count: int
    admins_count: int
    pending_count: int
    settings: OrganizationSettings = OrganizationSettings()
    #: incremented by every change of ``settings``; a transaction that relied on the
    #: settings it read is conditioned on it
    settings_version: int = 0


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
class RequestSchedule:
    """When a pending request is due: reminders to its organization's admins at
    ``created_at + reminder_days[i]`` (those before expiry), then expiry. Fixed when the
    request is made; ``reminders_sent`` counts the reminders already handled."""

    expires_at: datetime
    reminder_days: tuple[int, ...] = ()
    reminders_sent: int = 0

    @classmethod
    def for_new_request(cls, created_at: datetime, settings: OrganizationSettings) -> RequestSchedule:
        expires_at = created_at + timedelta(days=settings.request_expiry_days)
        reminders = tuple(
            sorted(d for d in set(settings.reminder_days) if created_at + timedelta(days=d) < expires_at)
        )
        return cls(expires_at=expires_at, reminder_days=reminders)

    def next_reminder(self, created_at: datetime) -> datetime | None:
        if self.reminders_sent >= len(self.reminder_days):
            return None
        return created_at + timedelta(days=self.reminder_days[self.reminders_sent])

    def next_due(self, created_at: datetime) -> datetime:
        """The next moment the scheduled function must look at the request."""
        return self.next_reminder(created_at) or self.expires_at


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
    #: None for requests made before requests expired (they never do)
    schedule: RequestSchedule | None = None
    #: accepted at once: the caller's verified address is in an auto-accepted domain
    auto_accepted: bool = False

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
class SettingsView:
    """An organization's settings as its members see them, with how many of its admins
    are emailed about requests (0: requests only show in the admins' inbox)."""

    organization: Organization
    admins_emailed: int


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


class NoticeStatus(StrEnum):
    """An admin's notice: ``open`` while requests are added to it; ``ready`` once closed,
    when the stream emails it (once)."""

    OPEN = "open"
    READY = "ready"


@dataclass(frozen=True)
class Notice:
    """One email to one admin that lists several requests (reminders, a day's digest).

    ``entries`` maps ``<org_id>#<request_id>`` to what the email says of the request
    (organization and requester names, comment, ``kind``
    ``new`` | ``auto_accepted`` | ``reminder``, ``days_pending`` for reminders)."""

    user_id: str
    kind: NoticeKind
    key: str
    status: NoticeStatus
    created_at: datetime
    entries: dict[str, dict] = field(default_factory=dict)
