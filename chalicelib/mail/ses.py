"""Sends email through Amazon SES v2."""
from __future__ import annotations

from chalicelib.mail.port import EmailMessage


class SesMailer:
    """The SES v2 adapter; the client comes from :mod:`chalicelib.aws`."""

    def __init__(self, client, sender: str, configuration_set: str = "") -> None:
        self._client = client
        self._sender = sender
        self._configuration_set = configuration_set

    def send(self, message: EmailMessage) -> str:
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
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return self._client.send_email(**request)["MessageId"]
