"""The scheduled function as EventBridge (deployed) and the local stack's scheduler call
it: the event's time is the pass's now, so a redelivered event is the same pass."""

from __future__ import annotations

from datetime import UTC, datetime

from devstack.stack import LambdaContext, Scheduler, scheduled_event
from tests.conftest import REGION
from tests.schedule.conftest import at


def test_the_scheduled_function_runs_a_pass_at_the_events_time(lifecycle, chalice_client):
    from app import app

    # GIVEN a request that expired on day 30, and the function running since it was made
    alice, rita = lifecycle.user("alice"), lifecycle.user("rita")
    org_id = lifecycle.organization("Etalab", alice)
    request_id = lifecycle.ask(rita, org_id, at(0))
    lifecycle.run(at(0, 1))
    event = scheduled_event(at(30, 5), REGION)

    # WHEN EventBridge invokes the function, and delivers the same event again
    first = app.handler_map["schedule"](event, LambdaContext())
    second = app.handler_map["schedule"](event, LambdaContext())

    # THEN the pass ran at the event's time, once
    assert (first["now"], first["expired"], first["finished"]) == (at(30, 5).isoformat(), 1, True)
    assert (second["expired"], second["reminded"], second["closed"]) == (0, 0, 0)
    assert lifecycle.request_item(org_id, request_id)["status"] == "expired"
    assert [e.to for e in lifecycle.emails() if e.to == rita.email] == [rita.email]


def test_the_local_stacks_scheduler_runs_a_pass_now(lifecycle, chalice_client):
    # GIVEN a request made 31 days ago (the scheduler's passes use the real clock)
    alice, rita = lifecycle.user("alice"), lifecycle.user("rita")
    org_id = lifecycle.organization("Etalab", alice)
    request_id = lifecycle.ask(rita, org_id, at(0))
    lifecycle.run(at(0, 1))
    lifecycle.run(at(10))

    # WHEN the local stack's scheduler runs once
    report = Scheduler(REGION, period=60).run_once()

    # THEN it ran at the present moment and expired the request
    assert report is not None
    assert abs((datetime.fromisoformat(report["now"]) - datetime.now(UTC)).total_seconds()) < 120
    assert report["expired"] == 1
    assert lifecycle.request_item(org_id, request_id)["status"] == "expired"
