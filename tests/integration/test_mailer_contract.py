"""SesMailer and FakeMailer take the same message and say the same thing back."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.mail.port import EmailMessage
from chalicelib.mail.ses import SesMailer
from devstack.fakes import FakeMailer
from tests.conftest import REGION, SENDER

MESSAGE = EmailMessage(to="alice@example.org", subject="Sujet é", text="Texte", html="<p>HTML</p>")


@pytest.fixture(params=["ses", "fake"])
def mailer(request, aws):
    if request.param == "ses":
        return SesMailer(boto3.client("sesv2", region_name=REGION), SENDER)
    return FakeMailer()


def test_send_returns_a_message_id(mailer):
    message_id = mailer.send(MESSAGE)
    assert isinstance(message_id, str) and message_id


def test_each_send_is_a_distinct_message(mailer):
    assert mailer.send(MESSAGE) != mailer.send(MESSAGE)


def test_ses_receives_one_recipient_and_both_parts(aws):
    captured = []
    client = boto3.client("sesv2", region_name=REGION)
    client.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: captured.append(params)
    )
    SesMailer(client, SENDER).send(MESSAGE)
    assert captured == [
        {
            "FromEmailAddress": SENDER,
            "Destination": {"ToAddresses": ["alice@example.org"]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": "Sujet é", "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": "Texte", "Charset": "UTF-8"},
                        "Html": {"Data": "<p>HTML</p>", "Charset": "UTF-8"},
                    },
                }
            },
        }
    ]
    [sent] = aws.emails()
    assert (sent.subject, sent.body, sent.destinations) == (
        "Sujet é",
        "<p>HTML</p>",
        {"ToAddresses": ["alice@example.org"]},
    )


def test_an_unverified_sender_is_an_error_not_silence(aws):
    mailer = SesMailer(boto3.client("sesv2", region_name=REGION), "stranger@elsewhere.test")
    with pytest.raises(Exception, match="not verified"):
        mailer.send(MESSAGE)
