"""The stream honours each admin's preferences: an email now, an entry in tomorrow's
digest, or nothing; requests accepted automatically go to the digests; every email is in
the language its recipient chose."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3

from tests.conftest import REGION, TABLE


def _to(emails) -> list[str]:
    return sorted(message.destinations["ToAddresses"][0] for message in emails)


def _next_six(after: datetime) -> datetime:
    six = after.replace(hour=6, minute=0, second=0, microsecond=0)
    return six if six > after else six + timedelta(days=1)


def _notices(user: str) -> list[dict]:
    """Every notice of ``user``, as stored."""
    client = boto3.client("dynamodb", region_name=REGION)
    return client.query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"NOTICE#{user}"}},
        ConsistentRead=True,
    )["Items"]


def _organization_with_four_admins(api, world, flows, make_user, stream):
    """Alice (immediate), Bea (daily digest), Carl (off), Dan (mutes this organization);
    the emails of their own joining delivered first."""
    admins = {"bea": "daily_digest", "carl": "off", "dan": "immediate"}
    users = {sub: make_user(sub, name=f"{sub.title()} Admin") for sub in admins}
    for user in users.values():
        flows.member(world.admin, user, world.org_id, "admin")
    stream.deliver()
    for sub, choice in admins.items():
        user = users[sub]
        muted = [world.org_id] if sub == "dan" else []
        reply = api.put("/me/preferences", user, {"admin_emails": choice, "muted_organizations": muted})
        assert reply.status == 200, reply


def test_a_new_request_reaches_each_admin_as_they_chose(api, world, flows, make_user, stream, aws):
    # GIVEN four admins: immediate, daily digest, off, and immediate but muting the organization
    _organization_with_four_admins(api, world, flows, make_user, stream)
    stream.deliver()
    already = len(aws.emails())
    # WHEN Paul asks to join
    paul = make_user("paul", name="Paul Petit")
    request = flows.ask(paul, world.org_id, "I publish the address datasets. " * 10)
    stream.deliver()
    # THEN only the immediate admin is emailed
    assert _to(aws.emails()[already:]) == ["alice@example.org"]
    # AND the digest admin's notice for the next 06:00 UTC holds the request, open and due then
    created = datetime.fromisoformat(request["created_at"].replace("Z", "+00:00"))
    due = _next_six(created)
    (notice,) = _notices("bea")
    assert notice["SK"]["S"] == f"DIGEST#{due.date().isoformat()}"
    assert notice["status"]["S"] == "open"
    assert notice["kind"]["S"] == "DIGEST"
    assert notice["GSI4PK"]["S"] == f"DUE#{due.date().isoformat()}"
    assert notice["GSI4SK"]["S"] == f"{due.isoformat(timespec='microseconds')}#NOTICE#bea#DIGEST#{due.date()}"
    entries = notice["entries"]["M"]
    assert list(entries) == [f"{world.org_id}#{request['id']}"]
    entry = {key: value["S"] for key, value in entries[f"{world.org_id}#{request['id']}"]["M"].items()}
    assert entry == {
        "organization_id": world.org_id,
        "organization_name": "Etalab",
        "request_id": request["id"],
        "requester_name": "Paul Petit",
        "comment": ("I publish the address datasets. " * 10)[:200],
        "created_at": request["created_at"],
        "kind": "new",
    }
    # AND nobody else has a notice
    assert [_notices(sub) for sub in ("alice", "carl", "dan")] == [[], [], []]


def test_a_second_request_the_same_day_joins_the_same_digest(api, world, flows, make_user, stream, aws):
    _organization_with_four_admins(api, world, flows, make_user, stream)
    stream.deliver()
    first = flows.ask(make_user("paul"), world.org_id)
    second = flows.ask(make_user("quinn"), world.org_id)
    stream.deliver()
    (notice,) = _notices("bea")
    assert sorted(notice["entries"]["M"]) == sorted(
        f"{world.org_id}#{request['id']}" for request in (first, second)
    )


def _auto_accepted(container, world, make_user):
    """A request accepted at once (the settings' auto-accepted domains), as its INSERT
    record rebuilds it."""
    from chalicelib.domain import MembershipRequest, RequestStatus, Role, UserRef

    now = container.clock()
    return MembershipRequest(
        id="a" * 32,
        organization_id=world.org_id,
        user=UserRef("vic", "Vic Verified"),
        comment="Colleague",
        status=RequestStatus.ACCEPTED,
        created_at=now,
        role=Role.EDITOR,
        decided_at=now,
        auto_accepted=True,
    )


def test_an_automatic_acceptance_goes_to_every_admins_digest_but_the_off_ones(
    api, world, flows, make_user, stream, aws, container
):
    # GIVEN the four admins, and a request accepted automatically
    _organization_with_four_admins(api, world, flows, make_user, stream)
    stream.deliver()
    already = len(aws.emails())
    request = _auto_accepted(container, world, make_user)
    # WHEN the stream hands its INSERT to the notifier, twice (a redelivery)
    for _ in range(2):
        container.notifier.notify(None, request)
    # THEN nobody is emailed, not even the requester
    assert aws.emails()[already:] == []
    # AND the immediate and digest admins have it once in their digest, as joined automatically
    for sub in ("alice", "bea"):
        (notice,) = _notices(sub)
        entries = notice["entries"]["M"]
        assert list(entries) == [f"{world.org_id}#{request.id}"]
        assert entries[f"{world.org_id}#{request.id}"]["M"]["kind"]["S"] == "auto_accepted"
    # AND those who turned emails off, or muted the organization, have nothing
    assert [_notices(sub) for sub in ("carl", "dan")] == [[], []]


def test_a_digest_closed_before_the_record_came_sends_the_request_in_the_next_one(
    api, world, flows, make_user, stream, container
):
    # GIVEN Bea's digest for the request's day was already closed by the scheduled function
    _organization_with_four_admins(api, world, flows, make_user, stream)
    stream.deliver()
    request = replace(
        _auto_accepted(container, world, make_user), created_at=container.clock() - timedelta(days=3)
    )
    day = _next_six(request.created_at)
    client = boto3.client("dynamodb", region_name=REGION)
    client.put_item(
        TableName=TABLE,
        Item={
            "PK": {"S": "NOTICE#bea"},
            "SK": {"S": f"DIGEST#{day.date()}"},
            "user_id": {"S": "bea"},
            "kind": {"S": "DIGEST"},
            "status": {"S": "ready"},
            "created_at": {"S": day.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")},
            "entries": {"M": {}},
        },
    )
    # WHEN the record comes
    container.notifier.notify(None, request)
    # THEN the closed digest is left alone, and the next one carries the request
    notices = {notice["SK"]["S"]: notice for notice in _notices("bea")}
    nxt = _next_six(datetime.now(UTC))
    assert notices[f"DIGEST#{day.date()}"]["entries"]["M"] == {}
    assert list(notices[f"DIGEST#{nxt.date()}"]["entries"]["M"]) == [f"{world.org_id}#{request.id}"]


def test_emails_are_in_the_language_each_recipient_chose(api, world, flows, make_user, stream, aws):
    # GIVEN Alice, whose token says English, chose French; Rita, whose token says French, English
    assert api.put("/me/preferences", world.admin, {"language": "fr"}).status == 200
    assert api.put("/me/preferences", world.requester, {"language": "en"}).status == 200
    stream.deliver()
    already = len(aws.emails())
    # WHEN someone asks to join, and Rita's request is accepted
    flows.ask(make_user("paul", name="Paul Petit"), world.org_id)
    stream.deliver()
    flows.accept(world.admin, world.org_id, world.request["id"], "admin")
    stream.deliver()
    # THEN Alice's email is in French and Rita's in English, role included
    by_to = {message.destinations["ToAddresses"][0]: message for message in aws.emails()[already:]}
    assert by_to["alice@example.org"].subject == "Nouvelle demande d'adhésion à « Etalab »"
    assert by_to["rita@example.org"].subject == 'Your request to join "Etalab" was accepted'
    assert (
        "admin" in by_to["rita@example.org"].body and "administrateur" not in by_to["rita@example.org"].body
    )
