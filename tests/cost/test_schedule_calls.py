"""The scheduled pass's calls (the regression guard of its row in bench/RESULTS.md): a
pass costs a checkpoint read and one Query per day read, then per due request one
transaction, and per organization and admin reminded a few lookups and notice writes;
nothing grows with the table."""

from __future__ import annotations

import boto3
import pytest

from tests.conftest import REGION, TABLE
from tests.schedule.conftest import Lifecycle, at


@pytest.fixture
def meter(aws):
    """Listed first, so that every client the app creates is metered."""
    from bench.meter import Meter

    with Meter(items=None) as meter:
        yield meter


@pytest.fixture
def tables(meter):
    from chalicelib.persistence.tables import bind

    return bind(TABLE, region=REGION)


@pytest.fixture
def lifecycle(meter, container, flows, make_user, stream, aws, item) -> Lifecycle:
    return Lifecycle(container, flows, make_user, stream, aws, item)


def _etalab_with_due_requests(lifecycle, expiring: int, reminded: int) -> str:
    """Etalab (Alice admin): ``expiring`` requests that expire on day 30 and ``reminded``
    whose first reminder is due on day 30, with a pass at day 30, 00:00 behind them."""
    alice = lifecycle.user("alice")
    org_id = lifecycle.organization("Etalab", alice)
    for n in range(expiring):
        lifecycle.ask(lifecycle.user(f"old{n}"), org_id, at(0, 1 + n))
    for n in range(reminded):
        lifecycle.ask(lifecycle.user(f"new{n}"), org_id, at(27, 10 + n))
    lifecycle.run(at(0))
    lifecycle.run(at(10))
    lifecycle.run(at(30))
    lifecycle.emails()
    return org_id


def test_a_pass_reads_its_checkpoint_and_each_day_then_one_transaction_per_due_request(meter, lifecycle):
    # GIVEN three requests expiring and two whose reminder is due, all today
    _etalab_with_due_requests(lifecycle, expiring=3, reminded=2)

    # WHEN a pass runs
    with meter.measure() as measured:
        report = lifecycle.run(at(30, 30))

    # THEN: the checkpoint and today's Query; one transaction per request; for the
    # organization reminded, its name, its admins and their profiles once; for its admin,
    # the notice opened and closed; the checkpoint unchanged (not written); no email
    assert (report.expired, report.reminded, report.notices, report.closed) == (3, 2, 1, 1)
    assert dict(measured.operations()) == {
        "GetItem": 2,
        "Query": 2,
        "BatchGetItem": 1,
        "TransactWriteItems": 5,
        "UpdateItem": 2,
    }
    assert measured.ses_calls == 0


def test_a_pass_with_nothing_due_reads_its_checkpoint_and_one_day(meter, lifecycle):
    # GIVEN the same table, every due request handled
    _etalab_with_due_requests(lifecycle, expiring=3, reminded=2)
    lifecycle.run(at(30, 30))

    # WHEN the next pass runs
    with meter.measure() as measured:
        lifecycle.run(at(30, 45))

    # THEN two reads, whatever the table holds
    assert dict(measured.operations()) == {"GetItem": 1, "Query": 1}


def test_a_ready_notice_costs_its_checks_and_one_email(meter, lifecycle, chalice_client, aws):
    # GIVEN a pass that closed Alice's reminder notice
    _etalab_with_due_requests(lifecycle, expiring=0, reminded=2)
    lifecycle.run(at(30, 30))
    from devstack.streams import StreamReader

    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    records = [
        r
        for r in StreamReader(streams, aws.stream_arn).read()
        if r["dynamodb"]["Keys"]["PK"]["S"].startswith("NOTICE#")
    ]
    from app import app
    from devstack.stack import LambdaContext

    # WHEN its records reach the stream function, then again
    with meter.measure() as first:
        assert app.handler_map["notify"]({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    with meter.measure() as again:
        app.handler_map["notify"]({"Records": records}, LambdaContext())

    # THEN: the round, the admin's profile, the listed requests' statuses; one email and
    # one ledger write; a redelivery reads the round only
    assert dict(first.operations()) == {"GetItem": 1, "BatchGetItem": 2, "PutItem": 1}
    assert first.ses_calls == 1
    assert (dict(again.operations()), again.ses_calls) == ({"GetItem": 1}, 0)
