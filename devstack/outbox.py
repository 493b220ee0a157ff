"""Every email the local stack sends, as files a person can open.

The emulator files each message its SES accepts, whoever sent it (the stream function,
``python -m ops resend``, any script with a boto3 client): :class:`SesCapture` sits in
front of the emulator's HTTP server and reads SES's own wire format, SES v2
``SendEmail`` (simple or raw content) and SES v1 ``SendEmail`` and ``SendRawEmail``.
It reads the request as AWS documents it, not moto's records of it: moto keeps one
body of a simple message (the HTML part, the text part lost), and its storage is its
own business.

Each message becomes ``<stamp>-<n>-<recipient>.eml`` (headers, text and HTML parts: a
mail reader opens it) and, beside it, the same name in ``.html``: the HTML part as the
recipient's mail reader shows it (most browsers download an ``.eml`` instead of
showing it).
"""

from __future__ import annotations

import base64
import email.policy
import html
import io
import itertools
import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: SES v2 ``SendEmail``: ``POST /v2/email/outbound-emails`` (REST-JSON).
SES_V2_SEND_PATH = "/v2/email/outbound-emails"
#: SES v1's actions that send (query protocol: a form-encoded ``POST /``).
SES_V1_SEND_ACTIONS = frozenset({"SendEmail", "SendRawEmail"})


class Outbox:
    """The outbox folder: one ``.eml`` and one ``.html`` per message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def file(self, message: MimeMessage) -> Path:
        """Write ``message``; return the path of its ``.eml``. The ``.html`` is written
        first and each file appears whole (renamed into place), so whoever sees an
        ``.eml`` finds it complete and its ``.html`` beside it."""
        with self._lock:
            number = next(self._numbers)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        recipient = re.sub(r"[^A-Za-z0-9.@_-]", "_", _first_recipient(message))[:100]
        self.folder.mkdir(parents=True, exist_ok=True)
        eml = self.folder / f"{stamp}-{number:05d}-{recipient}.eml"
        _write(eml.with_suffix(".html"), html_copy(message).encode("utf-8"))
        # Unix line ends: every mail reader opens them, and so do `less` and `grep`.
        _write(eml, message.as_bytes(policy=email.policy.default))
        return eml

    def clear(self) -> None:
        for pattern in ("*.eml", "*.html"):
            for old in self.folder.glob(pattern):
                old.unlink()


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def _first_recipient(message: MimeMessage) -> str:
    for header in ("To", "Cc", "Bcc"):
        if message[header]:
            return str(message[header]).split(",")[0].strip()
    return "unknown"


def html_copy(message: MimeMessage) -> str:
    """What a browser shows of ``message``: its HTML part, or its text in a ``<pre>``."""
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return part.get_content()
    text = message.get_body(preferencelist=("plain",))
    content = text.get_content() if text is not None else ""
    return f'<!DOCTYPE html>\n<meta charset="utf-8">\n<pre>{html.escape(content)}</pre>\n'


def simple_message(
    sender: str,
    to: Iterable[str],
    subject: str,
    text: str | None,
    html_part: str | None,
    message_id: str,
    cc: Iterable[str] = (),
    headers: Iterable[tuple[str, str]] = (),
) -> MimeMessage:
    """A message as SES builds one from simple content: the text part, the HTML part as
    its alternative."""
    mime = MimeMessage(policy=email.policy.SMTP)
    mime["From"] = sender
    mime["To"] = ", ".join(to)
    if cc := list(cc):
        mime["Cc"] = ", ".join(cc)
    mime["Subject"] = subject
    mime["Date"] = datetime.now(UTC)
    mime["Message-ID"] = f"<{message_id}@adhesion.local>"
    for name, value in headers:
        mime[name] = value
    if text is not None:
        mime.set_content(text)
        if html_part is not None:
            mime.add_alternative(html_part, subtype="html")
    else:
        mime.set_content(html_part or "", subtype="html")
    return mime


def raw_message(data: bytes) -> MimeMessage:
    return BytesParser(policy=email.policy.default).parsebytes(data)


def _message_id(response: bytes) -> str:
    """The MessageId of SES's answer: JSON (v2) or XML (v1)."""
    found = re.search(rb'"MessageId"\s*:\s*"([^"]+)"|<MessageId>([^<]+)</MessageId>', response)
    return (found.group(1) or found.group(2)).decode() if found else "unknown"


def from_ses_v2(body: bytes, response: bytes) -> MimeMessage | None:
    """The message of an accepted SES v2 ``SendEmail`` request (None: templated)."""
    request = json.loads(body)
    content = request.get("Content", {})
    destination = request.get("Destination", {})
    if "Raw" in content:
        return raw_message(base64.b64decode(content["Raw"]["Data"]))
    if "Simple" not in content:
        return None
    simple = content["Simple"]
    parts = simple.get("Body", {})
    return simple_message(
        request.get("FromEmailAddress", ""),
        destination.get("ToAddresses", []),
        simple.get("Subject", {}).get("Data", ""),
        parts.get("Text", {}).get("Data"),
        parts.get("Html", {}).get("Data"),
        _message_id(response),
        destination.get("CcAddresses", []),
        # SES v2's own headers of simple content (List-Unsubscribe, say).
        [(header["Name"], header["Value"]) for header in simple.get("Headers", [])],
    )


def from_ses_v1(form: dict[str, str], response: bytes) -> MimeMessage:
    """The message of an accepted SES v1 ``SendEmail`` or ``SendRawEmail`` request."""
    if form["Action"] == "SendRawEmail":
        return raw_message(base64.b64decode(form["RawMessage.Data"]))

    def members(prefix: str) -> list[str]:
        return [value for key, value in sorted(form.items()) if key.startswith(prefix + ".member.")]

    return simple_message(
        form.get("Source", ""),
        members("Destination.ToAddresses"),
        form.get("Message.Subject.Data", ""),
        form.get("Message.Body.Text.Data"),
        form.get("Message.Body.Html.Data"),
        _message_id(response),
        members("Destination.CcAddresses"),
    )


type WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SesCapture:
    """WSGI middleware in front of the emulator: each send its SES accepts (an HTTP 200)
    is filed in ``outbox`` before the sender gets the answer, so that an email is in the
    outbox as soon as its ``SendEmail`` returns. Every other request passes untouched."""

    def __init__(self, app: WsgiApp, outbox: Outbox) -> None:
        self._app = app
        self._outbox = outbox

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not self._may_be_a_send(environ):
            return self._app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        environ["wsgi.input"] = io.BytesIO(body)
        statuses: list[str] = []

        def recording(status: str, headers, exc_info=None):
            statuses.append(status)
            return start_response(status, headers, exc_info)

        answer = self._app(environ, recording)
        try:
            response = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        if statuses and statuses[-1].startswith("200 "):
            self._file(environ, body, response)
        return [response]

    @staticmethod
    def _may_be_a_send(environ: dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD") != "POST" or not environ.get("CONTENT_LENGTH"):
            return False
        if environ.get("PATH_INFO") == SES_V2_SEND_PATH:
            return True
        # SES v1 requests are signed for the "ses" service; their action is in the body.
        return "/ses/aws4_request" in environ.get("HTTP_AUTHORIZATION", "")

    def _file(self, environ: dict[str, Any], body: bytes, response: bytes) -> None:
        try:
            if environ.get("PATH_INFO") == SES_V2_SEND_PATH:
                message = from_ses_v2(body, response)
            else:
                form = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
                if form.get("Action") not in SES_V1_SEND_ACTIONS:
                    return
                message = from_ses_v1(form, response)
            if message is not None:
                self._outbox.file(message)
        except Exception:
            # SES accepted the message: the sender gets its answer whatever the copy does.
            logger.exception("outbox: could not file a message SES accepted")


def read_outbox(outbox: Path) -> list[tuple[Path, MimeMessage]]:
    """The messages in the outbox, oldest first."""
    parser = BytesParser(policy=email.policy.default)
    return [(path, parser.parsebytes(path.read_bytes())) for path in sorted(outbox.glob("*.eml"))]


def text_of(message: MimeMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: MimeMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
