"""The email port: what the notifier hands to whichever mailer is plugged in."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class EmailMessage:
    """One message to one recipient. User-written text only ever appears in the bodies."""

    to: str
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send the message and return the provider's message id; raise on failure."""


class FakeMailer:
    """Records messages instead of sending them (unit tests, and the contract test
    that proves it behaves like :class:`~chalicelib.mail.ses.SesMailer`)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> str:
        self.sent.append(message)
        return f"fake-{len(self.sent)}"
