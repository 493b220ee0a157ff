"""The stream function: who is emailed, in which language, and never twice."""

from __future__ import annotations

import html

import boto3
import pytest

from tests.conftest import REGION, SENDER


def _by_recipient(emails):
    return {message.destinations["ToAddresses"][0]: message for message in emails}


def test_a_new_request_emails_each_admin_in_their_language(api, world, flows, make_user, stream, aws):
    # GIVEN a second admin whose token says French (Alice's says English)
    fanny = make_user("fanny", locale="fr-FR", name="Fanny Admin")
    flows.member(world.admin, fanny, world.org_id, "admin")
    stream.deliver()
    already = len(aws.emails())
    # WHEN Paul asks to join with a motivation that contains markup
    paul = make_user("paul", name="Paul Petit")
    request = flows.ask(paul, world.org_id, "I <script>alert(1)</script> love data & maps")
    stream.deliver()
    # THEN each admin receives one message of their own, in their language
    emails = aws.emails()[already:]
    assert len(emails) == 2
    by_to = _by_recipient(emails)
    assert set(by_to) == {"alice@example.org", "fanny@example.org"}
    for message in emails:
        # from the sender, under its default display name
        assert message.source == f"Adhesion <{SENDER}>"
        assert list(message.destinations) == ["ToAddresses"]
        assert len(message.destinations["ToAddresses"]) == 1
    assert by_to["alice@example.org"].subject == 'New request to join "Etalab"'
    assert by_to["fanny@example.org"].subject == "Nouvelle demande d'adhésion à « Etalab »"
    body = by_to["alice@example.org"].body
    assert "Hello Alice Admin" in body and "Paul Petit" in body and "paul@example.org" in body
    assert "<script>" not in body
    assert html.escape("I <script>alert(1)</script> love data & maps") in body
    assert f"https://adhesion.test/organizations/{world.org_id}/membership-requests/{request['id']}" in body
    assert "Bonjour Fanny Admin" in by_to["fanny@example.org"].body


def test_acceptance_emails_the_requester_with_the_role(api, world, flows, stream, aws):
    stream.deliver()
    already = len(aws.emails())
    flows.accept(world.admin, world.org_id, world.request["id"], "admin")
    stream.deliver()
    emails = aws.emails()[already:]
    assert [message.destinations["ToAddresses"] for message in emails] == [["rita@example.org"]]
    assert emails[0].subject == "Votre demande d'adhésion à « Etalab » a été acceptée"
    assert "administrateur" in emails[0].body
    assert "Etalab" in emails[0].body


def test_refusal_emails_the_requester_with_the_reason(api, world, flows, stream, aws):
    stream.deliver()
    already = len(aws.emails())
    flows.refuse(world.admin, world.org_id, world.request["id"], "Use <b>your</b> work address")
    stream.deliver()
    emails = aws.emails()[already:]
    assert len(emails) == 1
    assert emails[0].destinations["ToAddresses"] == ["rita@example.org"]
    assert emails[0].subject == "Votre demande d'adhésion à « Etalab » a été refusée"
    assert "Use &lt;b&gt;your&lt;/b&gt; work address" in emails[0].body


@pytest.mark.parametrize("action", ["withdraw", "second_request", "role_change", "removal"])
def test_other_changes_send_nothing(api, world, stream, aws, action):
    stream.deliver()
    already = len(aws.emails())
    path = f"/organizations/{world.org_id}"
    if action == "withdraw":
        assert api.delete(f"{path}/membership-requests/{world.request['id']}", world.requester).status == 200
    elif action == "second_request":
        reply = api.post(f"{path}/membership-requests", world.requester, {"comment": "again"})
        assert reply.status == 409
    elif action == "role_change":
        assert api.put(f"{path}/members/erin", world.admin, {"role": "admin"}).status == 200
    else:
        assert api.delete(f"{path}/members/erin", world.admin).status == 204
    stream.deliver()
    assert [(m.destinations, m.subject) for m in aws.emails()[already:]] == []


def test_redelivered_records_send_nothing_new(api, world, flows, chalice_client, aws):
    from devstack.streams import StreamReader

    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    flows.accept(world.admin, world.org_id, world.request["id"])
    records = StreamReader(streams, aws.stream_arn).read()
    event = {"Records": records}
    # WHEN the same batch is delivered three times, as streams may do
    for _ in range(3):
        response = chalice_client.lambda_.invoke("notify", event).payload
        assert response == {"batchItemFailures": []}
    # THEN each email went out once: Erin's and Rita's acceptances, Oscar's request to the
    # other organization (Erin's and Rita's requests were decided before the stream saw
    # them: no admin is told of a request no longer pending)
    recipients = sorted(message.destinations["ToAddresses"][0] for message in aws.emails())
    assert recipients == ["erin@example.org", "rita@example.org", "zoe@example.org"]


def test_a_failed_send_is_reported_and_retried_from_that_record(
    api, world, stream, aws, container, monkeypatch
):
    # GIVEN SES refuses the first attempt
    calls = {"n": 0}
    real_send = type(container.mailer).send

    def flaky(self, message):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("SES is unavailable")
        return real_send(self, message)

    monkeypatch.setattr(type(container.mailer), "send", flaky)
    # WHEN the stream is delivered
    first = stream.deliver()
    # THEN the failure is reported against the first record, nothing is lost
    failures = first[0]["batchItemFailures"]
    assert len(failures) == 1
    assert aws.emails() == []
    # AND the next delivery retries from that record and sends each email once
    second = stream.deliver()
    assert all(response["batchItemFailures"] == [] for response in second)
    # (Erin's acceptance, Rita's and Oscar's requests; Erin's request was decided before
    # the stream saw it, so no admin is told of it)
    recipients = sorted(message.destinations["ToAddresses"][0] for message in aws.emails())
    assert recipients == sorted(["alice@example.org", "zoe@example.org", "erin@example.org"])


def _records_of(reader, request_id: str) -> dict[str, dict]:
    """The stream's new records of one request, by event name (INSERT, MODIFY)."""
    return {
        record["eventName"]: record
        for record in reader.read()
        if record["dynamodb"]["Keys"]["SK"]["S"] == f"REQ#{request_id}"
    }


@pytest.fixture
def reader(aws, chalice_client):
    """The table's stream, the world's records already handled."""
    from devstack.streams import StreamReader

    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    reader = StreamReader(streams, aws.stream_arn)
    assert chalice_client.lambda_.invoke("notify", {"Records": reader.read()}).payload == {
        "batchItemFailures": []
    }
    return reader


def test_a_requester_accepted_as_admin_before_the_stream_saw_his_request_is_not_told_of_it(
    api, world, flows, make_user, chalice_client, aws, item, reader
):
    # GIVEN Paul's request, accepted with the admin role before the stream got to its creation
    paul = make_user("paul", name="Paul Petit")
    request = flows.ask(paul, world.org_id, "Let me in")
    flows.accept(world.admin, world.org_id, request["id"], "admin")
    records = _records_of(reader, request["id"])
    before = len(aws.emails())
    # WHEN the record of its creation reaches the stream function
    response = chalice_client.lambda_.invoke("notify", {"Records": [records["INSERT"]]}).payload
    # THEN nobody is emailed about a request that is no longer pending: not Paul, now an
    # admin, and not Alice
    assert response == {"batchItemFailures": []}
    assert aws.emails()[before:] == []
    # AND its round is recorded as handled, so that Paul's outcome does not wait for it
    round_item = item(f"EMAIL#{request['id']}#requested", "ROUND")
    assert (round_item["handled"], round_item.get("sent")) == (True, None)
    # WHEN the acceptance's record follows
    response = chalice_client.lambda_.invoke("notify", {"Records": [records["MODIFY"]]}).payload
    # THEN Paul is told he was accepted, and that is the only email
    assert response == {"batchItemFailures": []}
    assert [(m.destinations["ToAddresses"], m.subject) for m in aws.emails()[before:]] == [
        (["paul@example.org"], "Votre demande d'adhésion à « Etalab » a été acceptée")
    ]


def test_a_request_withdrawn_before_the_stream_saw_it_is_announced_to_nobody(
    api, world, flows, make_user, chalice_client, aws, item, reader
):
    # GIVEN Paul's request, withdrawn before the stream got to its creation
    paul = make_user("paul")
    request = flows.ask(paul, world.org_id)
    path = f"/organizations/{world.org_id}/membership-requests/{request['id']}"
    assert api.delete(path, paul).body["request"]["status"] == "withdrawn"
    records = _records_of(reader, request["id"])
    before = len(aws.emails())
    # WHEN both of its records reach the stream function
    event = {"Records": [records["INSERT"], records["MODIFY"]]}
    assert chalice_client.lambda_.invoke("notify", event).payload == {"batchItemFailures": []}
    # THEN no admin is emailed, and the round is closed
    assert aws.emails()[before:] == []
    assert item(f"EMAIL#{request['id']}#requested", "ROUND")["handled"] is True
