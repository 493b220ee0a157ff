"""The email port: what the notifier hands to whichever mailer is plugged in, and the
one error type a mailer raises, which says what the failure calls for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class EmailMessage:
    """One message to one recipient. User-written text only ever appears in the bodies."""

    to: str
    subject: str
    text: str
    html: str
    #: extra headers, (name, value), e.g. ``List-Unsubscribe``; never user-written text
    headers: tuple[tuple[str, str], ...] = ()


class Disposition(StrEnum):
    """What a failed send calls for. The mail adapter decides (it knows its provider's
    errors); the notifier acts on it without knowing the provider."""

    #: Transient (throttling, quota, network, provider fault): back off and try again
    #: within the function's time budget, then report the record so the stream retries it.
    RETRY = "retry"
    #: Sending cannot work right now for any message (account paused, unknown error):
    #: no point retrying at once, and dropping would lose mail, so report the record.
    REPORT = "report"
    #: This message can never be sent as it is (rejected content, bad address,
    #: unverified sender): log it, count it, acknowledge it; never block the stream.
    ACKNOWLEDGE = "acknowledge"


class MailError(Exception):
    """A send that failed; ``code`` is the provider's error code (never an address)."""

    def __init__(self, code: str, disposition: Disposition, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.disposition = disposition
        self.detail = detail


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send the message and return the provider's message id; raise
        :class:`MailError` on failure."""
