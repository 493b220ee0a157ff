"""Sends email through Amazon SES v2, and says what each SES failure calls for.

The client comes from :mod:`chalicelib.aws` with botocore's own retries turned off:
the notifier retries, within the stream function's time budget, and counts each retry.
"""

from __future__ import annotations

from email.utils import formataddr

from chalicelib.mail.port import Disposition, EmailMessage, MailError
from chalicelib.mail.rendering import breaks_a_header
from chalicelib.observability import redact

RETRY, REPORT, ACKNOWLEDGE = Disposition.RETRY, Disposition.REPORT, Disposition.ACKNOWLEDGE

#: SES v2 ``SendEmail`` error codes (botocore's sesv2 model) and what each calls for.
#: docs/reliability.md explains each row; codes not listed fall back on the HTTP status
#: (5xx: RETRY) or on REPORT, so that an error nobody foresaw is retried later and
#: reaches the failure queue rather than being dropped.
SES_ERRORS: dict[str, Disposition] = {
    # SES asks us to slow down: the sending rate or the quota.
    "TooManyRequestsException": RETRY,
    "LimitExceededException": RETRY,
    "Throttling": RETRY,
    "ThrottlingException": RETRY,
    # SES's own faults and timeouts.
    "InternalFailure": RETRY,
    "InternalServerError": RETRY,
    "ServiceUnavailable": RETRY,
    "RequestTimeout": RETRY,
    "RequestTimeoutException": RETRY,
    # This message can never go out as it is.
    "MessageRejected": ACKNOWLEDGE,  # invalid content, or a sender/recipient not verified
    "MailFromDomainNotVerifiedException": ACKNOWLEDGE,
    "BadRequestException": ACKNOWLEDGE,  # e.g. a malformed address
    "InvalidParameterValue": ACKNOWLEDGE,  # the same, as SES v1 and the emulator name it
    # Nothing can go out from this account until a person acts.
    "AccountSuspendedException": REPORT,
    "SendingPausedException": REPORT,
    "NotFoundException": REPORT,  # the configuration set is missing
}


def classify(error: Exception) -> MailError:
    """The :class:`MailError` that a botocore exception from ``SendEmail`` amounts to."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code") or "Unknown"
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        disposition = SES_ERRORS.get(code) or (RETRY if status >= 500 or status == 429 else REPORT)
        # SES error messages quote addresses; they never reach a log in clear.
        return MailError(code, disposition, redact(details.get("Message") or ""))
    if isinstance(error, ConnectionError | HTTPClientError):
        # Network trouble: connection refused or reset, DNS, timeouts. A read timeout may
        # follow a send that SES accepted; retrying it risks one duplicate, never a loss.
        return MailError(type(error).__name__, RETRY, redact(str(error)))
    return MailError(type(error).__name__, REPORT, redact(str(error)))


def from_address(address: str, display_name: str = "") -> str:
    """``address`` with the name recipients see, as SES v2's ``FromEmailAddress`` takes
    it: ``Name <address>``, the name quoted where RFC 5322 asks and written in RFC 2047
    encoded words when it is not ASCII (SES refuses raw non-ASCII there). The sending
    policy's ``ses:FromAddress`` condition still sees the bare address."""
    if not display_name:
        return address
    if any(breaks_a_header(char) for char in display_name):
        # A header of ours: one line, whatever the configuration says.
        raise ValueError(f"the sender's name must be one line of visible characters: {display_name!r}")
    return formataddr((display_name, address), charset="utf-8")


class SesMailer:
    """The SES v2 adapter; the client comes from :mod:`chalicelib.aws`."""

    def __init__(self, client, sender: str, configuration_set: str = "", sender_name: str = "") -> None:
        self._client = client
        self._sender = from_address(sender, sender_name)
        self._configuration_set = configuration_set

    def send(self, message: EmailMessage) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        request = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [message.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": message.text, "Charset": "UTF-8"},
                        "Html": {"Data": message.html, "Charset": "UTF-8"},
                    },
                }
            },
        }
        if message.headers:
            # SES v2 adds these to the message it builds from simple content.
            request["Content"]["Simple"]["Headers"] = [
                {"Name": name, "Value": value} for name, value in message.headers
            ]
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            return self._client.send_email(**request)["MessageId"]
        except (ClientError, BotoCoreError) as e:
            raise classify(e) from e
