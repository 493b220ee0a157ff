"""Hostile text in motivations, reasons and display names never reaches an email
unescaped, and never reaches a header; the organization's name, the one user text in a
header (the subject), reaches it as one line. The assertions read the exact request that
SES receives."""

from __future__ import annotations

import re

import boto3
import pytest

from chalicelib.persistence.keys import ORG_SK, org_pk
from tests.conftest import REGION, SENDER, TABLE

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def ses_requests(container):
    captured = []
    container.aws.sesv2.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: captured.append(params)
    )
    return captured


def _headers(request: dict) -> list[str]:
    """Everything SES turns into a header: sender, recipients, subject."""
    return [
        request["FromEmailAddress"],
        *request["Destination"]["ToAddresses"],
        request["Content"]["Simple"]["Subject"]["Data"],
    ]


def test_hostile_names_and_motivations_are_escaped_and_kept_out_of_headers(
    api, flows, make_user, stream, ses_requests
):
    # GIVEN an admin and a requester whose display names try header injection and markup
    admin = make_user("adm", locale="en", name="Adm\r\nBcc: victim@example.org")
    org_id = flows.organization(admin, f"Org {PAYLOAD}")
    mallory = make_user("mallory", name=f"Mallory {PAYLOAD}\r\nSubject: pwned")
    # WHEN she asks to join with markup in her motivation
    flows.ask(mallory, org_id, f"Hello {PAYLOAD}\nsecond line")
    stream.deliver()
    # THEN the one message SES receives carries the payload only as escaped text
    [request] = ses_requests
    assert request["FromEmailAddress"] == f"Adhesion <{SENDER}>"
    assert request["Destination"] == {"ToAddresses": ["adm@example.org"]}
    # (a subject is plain text: the organization's name is in it as it was typed)
    assert request["Content"]["Simple"]["Subject"]["Data"] == f'New request to join "Org {PAYLOAD}"'
    for header in _headers(request):
        assert "\r" not in header and "\n" not in header
        assert "Bcc" not in header and "pwned" not in header
    html = request["Content"]["Simple"]["Body"]["Html"]["Data"]
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "onerror=alert(1)&gt;" in html
    # Control characters never made it out of the token: the name is on one line.
    text = request["Content"]["Simple"]["Body"]["Text"]["Data"]
    assert "Mallory " in text and "\rSubject" not in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text + html)


def test_an_organization_name_stored_with_line_breaks_reaches_the_subject_on_one_line(
    api, flows, make_user, stream, ses_requests
):
    # GIVEN an organization whose stored name holds line breaks and invisible characters
    # (the API refuses them; an operator or an older rule might not have)
    admin = make_user("adm", locale="en", name="Adm")
    org_id = flows.organization(admin, "Placeholder")
    boto3.client("dynamodb", region_name=REGION).update_item(
        TableName=TABLE,
        Key={"PK": {"S": org_pk(org_id)}, "SK": {"S": ORG_SK}},
        UpdateExpression="SET #name = :name",
        ExpressionAttributeNames={"#name": "name"},
        ExpressionAttributeValues={":name": {"S": "Org\r\nBcc: victim@example.org\u2028\u202eX"}},
    )
    # WHEN someone asks to join it
    flows.ask(make_user("mallory", name="Mallory"), org_id, "Hello")
    stream.deliver()
    # THEN the subject SES receives is one line, no header added
    [request] = ses_requests
    subject = request["Content"]["Simple"]["Subject"]["Data"]
    assert subject == 'New request to join "Org Bcc: victim@example.org X"'
    for header in _headers(request):
        assert not re.search(r"[\x00-\x1f\x7f\x85\u2028\u2029\u202a-\u202e]", header)


def test_a_hostile_refusal_reason_is_escaped(api, world, stream, ses_requests):
    stream.deliver()
    ses_requests.clear()
    reply = api.post(
        f"/organizations/{world.org_id}/membership-requests/{world.request['id']}/refuse",
        world.admin,
        {"reason": f"No {PAYLOAD}"},
    )
    assert reply.status == 200
    stream.deliver()
    [request] = ses_requests
    assert request["Destination"] == {"ToAddresses": ["rita@example.org"]}
    html = request["Content"]["Simple"]["Body"]["Html"]["Data"]
    assert "<script>" not in html and "No &lt;script&gt;" in html


@pytest.mark.parametrize("field", ["comment", "reason"])
def test_bidi_overrides_and_line_separators_never_get_in(api, world, field):
    text = "pay\u202eyap \u2066x\u2069"
    if field == "comment":
        reply = api.post(
            f"/organizations/{world.org_id}/membership-requests", world.outsider, {"comment": text}
        )
    else:
        reply = api.post(
            f"/organizations/{world.org_id}/membership-requests/{world.request['id']}/refuse",
            world.admin,
            {"reason": text},
        )
    assert (reply.status, reply.body["code"]) == (400, "invalid_request")
