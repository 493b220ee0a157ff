"""What each SES failure calls for: the table in chalicelib/mail/ses.py."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ReadTimeoutError

from chalicelib.mail.port import Disposition
from chalicelib.mail.ses import SES_ERRORS, classify
from chalicelib.observability import redact


def _client_error(code: str, status: int, message: str = "") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "SendEmail",
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("TooManyRequestsException", 429, Disposition.RETRY),
        ("LimitExceededException", 400, Disposition.RETRY),
        ("MessageRejected", 400, Disposition.ACKNOWLEDGE),
        ("MailFromDomainNotVerifiedException", 400, Disposition.ACKNOWLEDGE),
        ("BadRequestException", 400, Disposition.ACKNOWLEDGE),
        ("SendingPausedException", 400, Disposition.REPORT),
        ("AccountSuspendedException", 400, Disposition.REPORT),
        ("SomethingNew", 503, Disposition.RETRY),
        ("SomethingNew", 429, Disposition.RETRY),
        ("AccessDeniedException", 403, Disposition.REPORT),
    ],
)
def test_ses_error_codes_map_to_what_they_call_for(code, status, expected):
    assert classify(_client_error(code, status)).disposition is expected


def test_every_error_sendemail_declares_is_in_the_table():
    import botocore.session

    model = botocore.session.get_session().get_service_model("sesv2").operation_model("SendEmail")
    assert {shape.name for shape in model.error_shapes} <= set(SES_ERRORS)


@pytest.mark.parametrize(
    "error",
    [EndpointConnectionError(endpoint_url="https://email"), ReadTimeoutError(endpoint_url="https://email")],
)
def test_network_failures_are_retried(error):
    assert classify(error).disposition is Disposition.RETRY


def test_an_error_nobody_foresaw_is_reported_not_dropped():
    assert classify(NoCredentialsError()).disposition is Disposition.REPORT


def test_addresses_in_ses_messages_never_reach_the_error():
    error = classify(
        _client_error(
            "MessageRejected",
            400,
            "Email address is not verified. The following "
            "identities failed the check in region EU-WEST-3: rita.p+x@example.org",
        )
    )
    assert "@" not in str(error) and "<email>" in error.detail


def test_redaction_keeps_the_rest_of_the_text():
    assert redact('{"to": "a.b@c.example", "id": "r1@2"}') == '{"to": "<email>", "id": "r1@2"}'
