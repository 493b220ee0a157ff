"""Domain errors. Each carries a stable ``code``; the HTTP status is chosen in
``chalicelib.api.http`` and nowhere else."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    message = "The operation could not be completed."
    #: When trying again may succeed, in seconds (HTTP sends it as Retry-After).
    retry_after_seconds: int | None = None

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class InvalidRequest(DomainError):
    code = "invalid_request"
    message = "The request is not valid."


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    message = "The cursor is not valid for this listing."


class Forbidden(DomainError):
    code = "forbidden"
    message = "You are not allowed to do this."


class EmailNotVerified(DomainError):
    """The token does not vouch for the caller's email address: the service would then
    show admins, and later email, an address nobody proved they own."""

    code = "email_not_verified"
    message = "Verify your email address with your identity provider, then sign in again."


class OrganizationNotFound(DomainError):
    code = "organization_not_found"
    message = "No such organization."


class MemberNotFound(DomainError):
    code = "member_not_found"
    message = "No such member in this organization."


class RequestNotFound(DomainError):
    code = "request_not_found"
    message = "No such membership request."


class AlreadyMember(DomainError):
    code = "already_member"
    message = "This user is already a member of the organization."


class RequestPending(DomainError):
    code = "request_pending"
    message = "You already have a pending request for this organization."


class TooManyPendingRequests(DomainError):
    code = "too_many_pending_requests"
    message = "You have too many pending membership requests."
    # A slot frees when an admin decides one of the requests, which takes people hours,
    # or at once when the requester withdraws one: an hour is the wait worth suggesting.
    retry_after_seconds = 3600


class AskedTooRecently(DomainError):
    """The per-organization pause between two requests (REQUEST_COOLDOWN_SECONDS)."""

    code = "request_cooldown"
    message = "You asked to join this organization a moment ago; please wait a few minutes."

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)


class RequestNotPending(DomainError):
    code = "request_not_pending"
    message = "This membership request has already been closed."


class LastAdmin(DomainError):
    code = "last_admin"
    message = "An organization must keep at least one admin."


class Conflict(DomainError):
    """Concurrent writers kept colliding; the caller may simply try again."""

    code = "conflict"
    message = "The resource changed while you were updating it; please retry."


class SettingsChanged(Conflict):
    """The organization's settings changed between the read a change relied on and its
    transaction: the service reads them again once, then answers as any conflict."""


class RequestsClosed(DomainError):
    """The organization's admins turned requests to join off (``requests_open``)."""

    code = "requests_closed"
    message = "This organization does not take membership requests at the moment."


class EmailsInProgress(DomainError):
    """An operator asked to resend emails the stream may still be sending."""

    code = "emails_in_progress"
    message = (
        "The stream may still be sending these emails: their round is not finished "
        "and its record is younger than the stream's retry window."
    )


class InvalidToken(Exception):
    """Raised by token verification; the authorizer turns it into a denial."""


class InvalidLink(DomainError):
    """An unsubscribe link that is not one of ours as it was sent: forged, altered,
    cut, or past its expiry."""

    code = "invalid_link"
    message = (
        "This unsubscribe link is not valid (altered or expired); change your preferences in the console."
    )


class LinkUsed(DomainError):
    """An unsubscribe link works once."""

    code = "link_used"
    message = "This unsubscribe link was already used."
