"""Every email the local stack sends, as a file a person can open.

The stream function still sends through SES on the emulator; this wrapper also
writes each accepted message to ``<state dir>/outbox/`` as an ``.eml`` file (headers,
text and HTML parts) that any mail reader or browser opens.
"""

from __future__ import annotations

import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from email.parser import BytesParser
from pathlib import Path

from chalicelib.mail.port import EmailMessage, Mailer


class OutboxMailer:
    def __init__(self, inner: Mailer, outbox: Path, sender: str) -> None:
        self._inner = inner
        self._outbox = outbox
        self._sender = sender

    def send(self, message: EmailMessage) -> str:
        message_id = self._inner.send(message)
        mime = MimeMessage(policy=email.policy.SMTP)
        mime["From"] = self._sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = datetime.now(UTC)
        mime["Message-ID"] = f"<{message_id}@adhesion.local>"
        mime.set_content(message.text)
        mime.add_alternative(message.html, subtype="html")
        self._outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        recipient = re.sub(r"[^A-Za-z0-9.@_-]", "_", message.to)
        (self._outbox / f"{stamp}-{recipient}.eml").write_bytes(bytes(mime))
        return message_id


def read_outbox(outbox: Path) -> list[tuple[Path, MimeMessage]]:
    """The messages in the outbox, oldest first."""
    parser = BytesParser(policy=email.policy.default)
    return [(path, parser.parsebytes(path.read_bytes())) for path in sorted(outbox.glob("*.eml"))]


def text_of(message: MimeMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: MimeMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
