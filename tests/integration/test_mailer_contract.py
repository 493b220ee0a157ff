"""SesMailer and FakeMailer take the same message and say the same thing back."""

from __future__ import annotations

import email.header
import email.utils

import boto3
import pytest

from chalicelib.config import Settings
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


def _sent_requests(client) -> list[dict]:
    captured: list[dict] = []
    client.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: captured.append(params)
    )
    return captured


def test_the_configured_mailer_sends_under_the_senders_display_name(aws):
    # GIVEN the mailer the functions build from an environment without MAIL_SENDER_NAME
    from chalicelib.bootstrap import Container

    container = Container(Settings.from_env({"MAIL_SENDER": SENDER, "AWS_REGION": REGION}))
    captured = _sent_requests(container.aws.sesv2)
    # WHEN it sends a message
    container.mailer.send(MESSAGE)
    # THEN SES is asked to send it from "Adhesion <address>", and accepts it
    assert [request["FromEmailAddress"] for request in captured] == [f"Adhesion <{SENDER}>"]
    assert [sent.source for sent in aws.emails()] == [f"Adhesion <{SENDER}>"]


def test_a_non_ascii_display_name_goes_to_ses_as_encoded_words(aws):
    # GIVEN a display name with accents and a comma (RFC 5322 special)
    client = boto3.client("sesv2", region_name=REGION)
    captured = _sent_requests(client)
    # WHEN a message is sent under it
    SesMailer(client, SENDER, sender_name="Adhésion, équipe").send(MESSAGE)
    # THEN FromEmailAddress holds only ASCII: the name in RFC 2047 encoded words, which
    # decode back to it
    [request] = captured
    assert request["FromEmailAddress"] == f"=?utf-8?b?QWRow6lzaW9uLCDDqXF1aXBl?= <{SENDER}>"
    name, address = email.utils.parseaddr(request["FromEmailAddress"])
    assert (str(email.header.make_header(email.header.decode_header(name))), address) == (
        "Adhésion, équipe",
        SENDER,
    )
    assert len(aws.emails()) == 1


def test_an_empty_display_name_sends_from_the_bare_address(aws):
    client = boto3.client("sesv2", region_name=REGION)
    captured = _sent_requests(client)
    settings = Settings.from_env({"MAIL_SENDER": SENDER, "MAIL_SENDER_NAME": ""})

    SesMailer(client, settings.mail_sender, sender_name=settings.mail_sender_name).send(MESSAGE)

    assert [request["FromEmailAddress"] for request in captured] == [SENDER]


@pytest.mark.parametrize("name", ["Adhesion\r\nBcc: victim@example.org", "Adhesion\u2028X", "Ad\u202ehesion"])
def test_a_display_name_that_is_not_one_visible_line_is_refused_before_any_send(aws, name):
    with pytest.raises(ValueError, match="one line of visible characters"):
        SesMailer(boto3.client("sesv2", region_name=REGION), SENDER, sender_name=name)
    assert aws.emails() == []
