"""The regression guard of bench/RESULTS.md: how many DynamoDB calls (by operation) and SES
calls each route and each kind of stream record makes, counted at the botocore level on every
client. Counts, not times: a change that adds a round trip fails here, and the benchmark
(`make bench`) says what it costs."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from tests.conftest import REGION, TABLE

ONE_READ = {"BatchGetItem": 1}
READ_AND_COMMIT = {"BatchGetItem": 1, "TransactWriteItems": 1}
COMMIT = {"TransactWriteItems": 1}
ASK = {"GetItem": 1, "TransactWriteItems": 1}


@pytest.fixture
def meter(aws):
    """Listed first by the tests, so that every client the app creates is metered."""
    from bench.meter import Meter

    with Meter(items=None) as meter:
        yield meter


@pytest.fixture
def tables(meter):
    """Models bound afresh, after the meter: it sees their clients being created."""
    from chalicelib.persistence.tables import bind

    return bind(TABLE, region=REGION)


@pytest.fixture
def records(aws):
    """The stream's new records of membership requests, in Lambda's format."""
    from devstack.streams import StreamReader

    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    reader = StreamReader(streams, aws.stream_arn)
    return lambda: [
        record for record in reader.read() if record["dynamodb"]["Keys"]["SK"]["S"].startswith("REQ#")
    ]


def _notify(records) -> None:
    """The stream function's own handler, with its deployed timeout (300 s): Chalice's test
    client gives it 3 s, which creating the fresh models' clients may use up."""
    from app import app
    from devstack.stack import LambdaContext

    assert app.handler_map["notify"]({"Records": records}, LambdaContext()) == {"batchItemFailures": []}


def _calls(measure) -> dict[str, int]:
    return dict(measure.operations())


def test_each_route_makes_the_fewest_calls_it_can(meter, api, world, make_user):
    # GIVEN an organization with an admin, an editor and a pending request
    org = f"/organizations/{world.org_id}"
    request = f"{org}/membership-requests/{world.request['id']}"
    newcomer = make_user("nina")
    routes = [
        ("GET", "/health", None, None, {}),
        ("POST", "/organizations", world.outsider, {"name": "Nouvelle"}, COMMIT),
        ("GET", org, world.admin, None, ONE_READ),
        ("GET", org, world.requester, None, {"BatchGetItem": 1, "GetItem": 1}),
        ("GET", f"{org}/members", world.editor, None, {"Query": 1}),
        ("GET", f"{org}/membership-requests", world.admin, None, {"GetItem": 1, "Query": 1}),
        ("GET", request, world.admin, None, ONE_READ),
        ("GET", "/me/membership-requests", world.requester, None, {"Query": 1}),
        ("GET", "/me/membership-requests?status=pending", world.requester, None, {"Query": 1}),
        ("GET", "/me/notifications", world.admin, None, {"Query": 2, "BatchGetItem": 1}),
        # The member items name their organizations: one Query of the caller's index partition.
        ("GET", "/me/organizations", world.admin, None, {"Query": 1}),
        ("GET", "/me/organizations", world.requester, None, {"Query": 1}),
        # The settings, the caller's membership; the admins (GSI1) and their preferences.
        ("GET", f"{org}/settings", world.editor, None, {"BatchGetItem": 2, "Query": 1}),
        ("PUT", f"{org}/settings", world.editor, {"requests_open": False}, ONE_READ),  # refused: no write
        (
            "PUT",
            f"{org}/settings",
            world.admin,
            {"request_guidance": "Say who you are."},
            {"BatchGetItem": 2, "Query": 1, "TransactWriteItems": 1},
        ),
        # The organization's settings (one consistent GetItem), then one transaction.
        ("POST", f"{org}/membership-requests", newcomer, {"comment": "Hello"}, ASK),
        ("POST", f"{request}/accept", world.editor, {"role": "editor"}, ONE_READ),  # refused: no write
        ("POST", f"{request}/accept", world.admin, {"role": "editor"}, READ_AND_COMMIT),
        ("PUT", f"{org}/members/erin", world.admin, {"role": "admin"}, READ_AND_COMMIT),
        ("DELETE", f"{org}/members/erin", world.admin, None, READ_AND_COMMIT),
    ]
    for method, path, user, body, expected in routes:
        # WHEN the route is called
        with meter.measure() as measured:
            reply = api.call(method, path, user, body=body)
        # THEN it made exactly its calls, and sent no email
        assert reply.status < 500, (method, path, reply)
        assert (_calls(measured), measured.ses_calls) == (expected, 0), (method, path, reply.status)


def test_a_request_accepted_at_once_costs_what_a_pending_one_does(meter, api, world, make_user):
    # GIVEN example.org's verified addresses accepted at once
    reply = api.put(
        f"/organizations/{world.org_id}/settings", world.admin, {"auto_accept_domains": ["example.org"]}
    )
    assert reply.status == 200
    # WHEN a user of that domain asks
    with meter.measure() as measured:
        reply = api.post(
            f"/organizations/{world.org_id}/membership-requests", make_user("nina"), {"comment": "Hi"}
        )
    # THEN the same read and one transaction, which makes the member too
    assert reply.body["status"] == "accepted"
    assert (_calls(measured), measured.ses_calls) == (ASK, 0)


def test_refusing_and_withdrawing_read_once_and_commit_once(meter, api, world, flows, make_user):
    # GIVEN two pending requests
    org = f"/organizations/{world.org_id}"
    pat = make_user("pat")
    withdrawn = flows.ask(pat, world.org_id)
    # WHEN one is refused and the other withdrawn
    with meter.measure() as refusing:
        flows.refuse(world.admin, world.org_id, world.request["id"], "No")
    with meter.measure() as withdrawing:
        reply = api.delete(f"{org}/membership-requests/{withdrawn['id']}", pat)
    # THEN each is one read and one transaction
    assert reply.status == 200
    assert _calls(refusing) == _calls(withdrawing) == READ_AND_COMMIT


def test_a_new_request_costs_a_round_check_its_lookups_and_one_ledger_write_per_email(
    meter, api, world, flows, make_user, chalice_client, records
):
    # GIVEN a second admin, and the setup's records already handled
    flows.member(world.admin, make_user("fanny"), world.org_id, "admin")
    _notify(records())
    # WHEN a new request's record reaches the stream function
    flows.ask(make_user("paul"), world.org_id)
    new = records()
    with meter.measure() as first:
        _notify(new)
    with meter.measure() as again:
        _notify(new)
    # THEN: round check, organization, admins, profiles read with the request's status (one
    # consistent BatchGetItem: is it still pending?); one SES call per admin, each followed by
    # one ledger write (the last one closes the round)
    assert _calls(first) == {"GetItem": 2, "Query": 1, "BatchGetItem": 1, "PutItem": 2}
    assert first.ses_calls == 2
    # AND a redelivery reads the round and nothing else
    assert (_calls(again), again.ses_calls) == ({"GetItem": 1}, 0)


def test_a_request_closed_before_the_stream_saw_it_costs_the_same_reads_and_one_write(
    meter, api, world, flows, make_user, chalice_client, records
):
    # GIVEN the setup's records handled, then Paul's request accepted before the stream saw it
    _notify(records())
    request = flows.ask(make_user("paul"), world.org_id)
    flows.accept(world.admin, world.org_id, request["id"])
    inserted = [record for record in records() if record["eventName"] == "INSERT"]
    # WHEN the record of its creation reaches the stream function
    with meter.measure() as measured:
        _notify(inserted)
    # THEN the same reads as for a pending request (the status comes with the profiles),
    # no email, and one write that closes the round
    assert _calls(measured) == {"GetItem": 2, "Query": 1, "BatchGetItem": 1, "PutItem": 1}
    assert measured.ses_calls == 0


def test_an_outcome_costs_its_checks_and_one_email(meter, api, world, flows, chalice_client, records):
    # GIVEN the admins' round of Rita's request handled
    _notify(records())
    flows.accept(world.admin, world.org_id, world.request["id"])
    accepted = records()
    # WHEN the acceptance reaches the stream function
    with meter.measure() as measured:
        _notify(accepted)
    # THEN: round check, admins' round (ordering), organization, profile; one ledger write
    assert _calls(measured) == {"GetItem": 3, "BatchGetItem": 1, "PutItem": 1}
    assert measured.ses_calls == 1


def test_a_batch_looks_each_organization_up_once(meter, api, flows, make_user, chalice_client, records):
    # GIVEN two organizations of two admins, and six new requests interleaved between them
    orgs = []
    for name in ("ana", "ben"):
        admin = make_user(name)
        org_id = flows.organization(admin, f"Org {name}")
        flows.member(admin, make_user(f"{name}2"), org_id, "admin")
        orgs.append(org_id)
    _notify(records())
    for k in range(3):
        for org_id in orgs:
            flows.ask(make_user(f"asker{k}{org_id[:4]}"), org_id)
    batch = records()
    assert len(batch) == 6
    # WHEN the six records arrive in one batch
    with meter.measure() as measured:
        _notify(batch)
    # THEN one organization read and one admin lookup per organization, not per record
    calls = Counter(measured.operations())
    admin_lookups = sum(1 for call in measured.dynamodb() if call.operation == "Query")
    assert admin_lookups == 2
    assert calls["GetItem"] == 6 + 2  # a round check per record, an organization read each
    # each record's request status, with the profiles not read yet: the first record's admins
    # and requester, then the requesters
    assert calls["BatchGetItem"] == 6
    # AND one email per admin and request, and one ledger write per email: no more
    assert measured.ses_calls == 12
    assert (calls["PutItem"], calls["UpdateItem"]) == (12, 0)


def _ops(container, *argv: str) -> dict:
    import io
    import json

    from ops.cli import main

    out = io.StringIO()
    assert main(["--json", *argv], container=container, out=out, err=io.StringIO()) == 0
    return json.loads(out.getvalue())


def test_ops_show_reads_the_counters_and_one_page_whatever_the_organization_size(meter, container):
    # GIVEN an organization of 10 members and 10 pending requests, and one of 2,000 and 2,000
    from bench import seed
    from devstack.emulator import put_items

    small, large = (
        seed.organization(1, members=10, pending=10),
        seed.organization(2, members=2000, pending=2000),
    )
    put_items(TABLE, [*small.items, *large.items], region=REGION)
    measured = {}
    for org in (small, large):
        # WHEN an operator shows each
        with meter.measure() as measure:
            shown = _ops(container, "show", org.id, "--limit", "5")
        measured[org.id] = measure
        # THEN the counters say how many there are, from the organization's item
        counters = shown["organization"]
        assert (counters["members_count"], counters["pending_count"]) == (len(org.admins + org.editors),) * 2
        assert len(shown["members"]) == len(shown["pending_requests"]) == 5
    # AND each costs the organization's item and one page of each listing: no member is
    # read to be counted (reading them all took a Query per 100 members)
    for measure in measured.values():
        assert _calls(measure) == {"GetItem": 1, "Query": 2}
    assert measured[small.id].items_read == measured[large.id].items_read == 1 + 5 + 5
    # AND the next page of members alone is one more Query
    with meter.measure() as paging:
        _ops(container, "show", large.id, "--limit", "5", "--cursor", shown["members_next_cursor"])
    assert _calls(paging) == {"GetItem": 1, "Query": 1}


def test_operator_changes_read_once_and_commit_once_with_their_record(meter, api, world, container):
    # GIVEN Etalab's editor; WHEN an operator promotes, then demotes her
    with meter.measure() as granting:
        granted = _ops(container, "grant-admin", world.org_id, "erin", "--operator", "sam")
    with meter.measure() as revoking:
        _ops(container, "revoke-admin", world.org_id, "erin", "--operator", "sam")
    # THEN each is one read and one transaction, which holds the audit record: no other write
    assert granted["action"] == "promoted"
    assert _calls(granting) == _calls(revoking) == READ_AND_COMMIT
    [transaction] = [call for call in granting.dynamodb() if call.operation == "TransactWriteItems"]
    puts = [entry["Put"]["Item"] for entry in transaction.params["TransactItems"] if "Put" in entry]
    assert [(item["PK"]["S"], item["SK"]["S"].partition("#")[0]) for item in puts] == [
        (f"ORG#{world.org_id}", "HISTORY")
    ]


def test_preferences_and_unsubscribe_routes_make_the_fewest_calls_they_can(meter, api, world, container):
    # GIVEN an admin of two organizations, one muted, and an unsubscribe link for the other
    second = api.post("/organizations", world.admin, {"name": "Second"}).body["id"]
    token = container.unsubscribe_links.token("alice", second)
    routes = [
        # the profile, then (only when some are muted) the muted organizations' names
        ("GET", "/me/preferences", None, {"GetItem": 1}),
        ("PUT", "/me/preferences", {"admin_emails": "daily_digest"}, {"GetItem": 1, "UpdateItem": 1}),
        # newly muted: the caller's memberships of them, then their names for the answer
        (
            "PUT",
            "/me/preferences",
            {"muted_organizations": [world.org_id]},
            {"GetItem": 1, "BatchGetItem": 2, "UpdateItem": 1},
        ),
        ("GET", "/me/preferences", None, {"GetItem": 1, "BatchGetItem": 1}),
        # the link is checked by its signature alone; applying it is one transaction
        ("GET", f"/unsubscribe?token={token}", None, {}),
        ("POST", f"/unsubscribe?token={token}", None, COMMIT),
        ("POST", "/unsubscribe?token=forged.link", None, {}),
    ]
    for method, path, body, expected in routes:
        # WHEN the route is called
        with meter.measure() as measured:
            user = None if path.startswith("/unsubscribe") else world.admin
            headers = {"Content-Type": "application/x-www-form-urlencoded"} if user is None else None
            reply = api.call(method, path, user, body=body, headers=headers)
        # THEN it made exactly its calls, and sent no email
        assert reply.status < 500, (method, path, reply)
        assert (_calls(measured), measured.ses_calls) == (expected, 0), (method, path, reply.status)


def test_a_new_request_files_the_digest_admins_entry_with_one_write(
    meter, api, world, flows, make_user, chalice_client, records
):
    # GIVEN a second admin on the daily digest, and the setup's records handled
    fanny = make_user("fanny")
    flows.member(world.admin, fanny, world.org_id, "admin")
    _notify(records())
    assert api.put("/me/preferences", fanny, {"admin_emails": "daily_digest"}).status == 200
    # WHEN two new requests' records reach the stream function, one after the other
    flows.ask(make_user("paul"), world.org_id)
    first_record = records()
    flows.ask(make_user("quinn"), world.org_id)
    second_record = records()
    with meter.measure() as first:
        _notify(first_record)
    with meter.measure() as second:
        _notify(second_record)
    # THEN the reads of any new request; one email (Alice) and its ledger write; and the
    # digest: the day's first entry finds no notice to append to and creates it (two
    # UpdateItem), the next one appends (one)
    assert _calls(first) == {"GetItem": 2, "Query": 1, "BatchGetItem": 1, "PutItem": 1, "UpdateItem": 2}
    assert _calls(second) == {"GetItem": 2, "Query": 1, "BatchGetItem": 1, "PutItem": 1, "UpdateItem": 1}
    assert first.ses_calls == second.ses_calls == 1
