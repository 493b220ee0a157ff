"""The emulator's outbox (devstack/outbox.py): every send its SES accepts, whoever makes
it, is filed as an ``.eml`` with an ``.html`` copy beside it; what it refuses is not.

The emulator runs as the local stack runs it (a moto server on 127.0.0.1, in this
process) and is reached over HTTP by plain boto3 clients, as another process would."""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage

import boto3
import pytest

from devstack.emulator import Emulator, free_port
from devstack.outbox import html_of, read_outbox, text_of
from tests.conftest import REGION

DOMAIN = "outbox.test"
SENDER = f"no-reply@{DOMAIN}"


@pytest.fixture
def emulator(tmp_path):
    running = Emulator("127.0.0.1", free_port(), outbox=tmp_path / "outbox")
    running.start()
    boto3.client("sesv2", **_at(running)).create_email_identity(EmailIdentity=DOMAIN)
    yield running
    running.stop()


def _at(emulator: Emulator) -> dict:
    return {
        "region_name": REGION,
        "endpoint_url": emulator.endpoint,
        "aws_access_key_id": "someone",
        "aws_secret_access_key": "else",
    }


def _filed(emulator: Emulator) -> list[MimeMessage]:
    return [message for _, message in read_outbox(emulator.outbox)]


def test_a_ses_v2_send_is_filed_with_both_parts_and_an_html_copy(emulator):
    # GIVEN any SES v2 client of the emulator (not the application's mailer)
    client = boto3.client("sesv2", **_at(emulator))
    # WHEN it sends a simple message under a display name
    message_id = client.send_email(
        FromEmailAddress=f"=?utf-8?b?QWRow6lzaW9u?= <{SENDER}>",
        Destination={"ToAddresses": ["ada@example.org"]},
        Content={
            "Simple": {
                "Subject": {"Data": "Nouvelle demande d'adhésion à « Cadastre »", "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": "Bonjour Ada,\n\n-- \nPied de page\n", "Charset": "UTF-8"},
                    "Html": {"Data": "<p>Bonjour <b>Ada</b>,</p>", "Charset": "UTF-8"},
                },
            }
        },
    )["MessageId"]
    # THEN the outbox holds it, as SES was asked to send it, by the time the send returns
    [(eml, message)] = read_outbox(emulator.outbox)
    assert (message["From"], message["To"]) == (f"Adhésion <{SENDER}>", "ada@example.org")
    assert message["Subject"] == "Nouvelle demande d'adhésion à « Cadastre »"
    assert message["Message-ID"].strip() == f"<{message_id}@adhesion.local>"
    assert text_of(message) == "Bonjour Ada,\n\n-- \nPied de page\n"
    assert html_of(message) == "<p>Bonjour <b>Ada</b>,</p>\n"
    # AND beside it, its HTML part for a browser
    assert eml.name.endswith("-ada@example.org.eml")
    assert eml.with_suffix(".html").read_text(encoding="utf-8") == html_of(message)
    assert sorted(path.suffix for path in emulator.outbox.iterdir()) == [".eml", ".html"]


def test_the_unsubscribe_headers_of_an_admin_email_are_in_the_filed_message(emulator):
    # GIVEN the application's SES adapter, sending an admin email with its one-click headers
    from chalicelib.mail.port import EmailMessage
    from chalicelib.mail.ses import SesMailer

    url = "https://api.example.org/unsubscribe?token=" + "x" * 150 + "." + "y" * 43
    mailer = SesMailer(boto3.client("sesv2", **_at(emulator)), SENDER)
    # WHEN it sends
    mailer.send(
        EmailMessage(
            to="ada@example.org",
            subject="New request",
            text="Hello",
            html="<p>Hello</p>",
            headers=(
                ("List-Unsubscribe", f"<{url}>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ),
        )
    )
    # THEN the .eml carries both headers as SES was asked to add them (a long one folded,
    # which mail readers unfold)
    [message] = _filed(emulator)
    assert "".join(str(message["List-Unsubscribe"]).split()) == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_raw_ses_v2_send_is_filed_as_it_was_sent(emulator):
    raw = MimeMessage()
    raw["From"], raw["To"], raw["Subject"] = SENDER, "raw@example.org", "Raw"
    raw.set_content("plain words")

    boto3.client("sesv2", **_at(emulator)).send_email(Content={"Raw": {"Data": raw.as_bytes()}})

    [(eml, message)] = read_outbox(emulator.outbox)
    assert (message["To"], message["Subject"], text_of(message)) == (
        "raw@example.org",
        "Raw",
        "plain words\n",
    )
    # a message without HTML still opens in a browser: its text, escaped, as it reads
    assert "<pre>plain words\n</pre>" in eml.with_suffix(".html").read_text(encoding="utf-8")


def test_ses_v1_sends_are_filed_too(emulator):
    client = boto3.client("ses", **_at(emulator))
    client.send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["v1@example.org"], "CcAddresses": ["cc@example.org"]},
        Message={
            "Subject": {"Data": "Version 1"},
            "Body": {"Text": {"Data": "text <1>"}, "Html": {"Data": "<p>html 1</p>"}},
        },
    )
    raw = MimeMessage()
    raw["From"], raw["To"], raw["Subject"] = SENDER, "rawv1@example.org", "Raw v1"
    raw.set_content("raw words")
    client.send_raw_email(RawMessage={"Data": raw.as_bytes()})

    first, second = _filed(emulator)
    assert (first["To"], first["Cc"], first["Subject"]) == ("v1@example.org", "cc@example.org", "Version 1")
    assert (text_of(first), html_of(first)) == ("text <1>\n", "<p>html 1</p>\n")
    assert (second["To"], second["Subject"], text_of(second)) == (
        "rawv1@example.org",
        "Raw v1",
        "raw words\n",
    )


def test_a_send_the_emulator_refuses_is_not_filed(emulator):
    client = boto3.client("sesv2", **_at(emulator))
    with pytest.raises(client.exceptions.MessageRejected):
        client.send_email(
            FromEmailAddress="stranger@unverified.test",
            Destination={"ToAddresses": ["ada@example.org"]},
            Content={"Simple": {"Subject": {"Data": "S"}, "Body": {"Text": {"Data": "T"}}}},
        )
    assert not emulator.outbox.exists() or list(emulator.outbox.iterdir()) == []


def test_other_requests_pass_untouched_and_file_nothing(emulator):
    # an SES call that is not a send, and another service's POST
    identities = boto3.client("sesv2", **_at(emulator)).list_email_identities()["EmailIdentities"]
    queue = boto3.client("sqs", **_at(emulator)).create_queue(QueueName="q")["QueueUrl"]

    assert [identity["IdentityName"] for identity in identities] == [DOMAIN]
    assert queue.endswith("/q")
    assert not emulator.outbox.exists() or list(emulator.outbox.iterdir()) == []


def test_the_outbox_keeps_messages_sent_at_once_apart(emulator):
    # GIVEN one recipient emailed many times at once (the emulator serves each on a thread)
    import concurrent.futures

    def send(number: int) -> str:
        return boto3.client("sesv2", **_at(emulator)).send_email(
            FromEmailAddress=SENDER,
            Destination={"ToAddresses": ["same@example.org"]},
            Content={"Simple": {"Subject": {"Data": f"n{number}"}, "Body": {"Text": {"Data": "x"}}}},
        )["MessageId"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(send, range(16)))
    # THEN each message has its own file
    subjects = sorted(message["Subject"] for message in _filed(emulator))
    assert subjects == sorted(f"n{number}" for number in range(16)) and len(set(ids)) == 16
    assert len(list(emulator.outbox.glob("*.html"))) == 16


def test_a_message_whose_copy_fails_is_still_sent(emulator, caplog):
    # GIVEN an outbox that cannot be written (a file where its folder should be)
    emulator.outbox.parent.mkdir(parents=True, exist_ok=True)
    emulator.outbox.write_text("not a folder")
    # WHEN a message is sent THEN SES's answer reaches the sender and the failure is logged
    message_id = boto3.client("sesv2", **_at(emulator)).send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["ada@example.org"]},
        Content={"Simple": {"Subject": {"Data": "S"}, "Body": {"Text": {"Data": "T"}}}},
    )["MessageId"]
    assert message_id
    assert "could not file a message SES accepted" in caplog.text
