"""Bursts against the running local stack: every simultaneous request gets an answer,
and racing asks and decisions email exactly the requests that exist, once each."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from devstack.outbox import read_outbox, text_of
from tests.e2e.test_seed_flow import call, emails_to, user

SIMULTANEOUS = 50
RUNS = 10
DECISIONS = 10  # racing on one request: half accept, half refuse
REASON = "Refusé par l'audit."
REVIEW_LINK = re.compile(r"/membership-requests/([0-9A-Za-z-]+)")


def _attempt(stack, method, path, token, body=None):
    """(status, body), or (None, the error) when no HTTP answer came back."""
    try:
        return call(stack, method, path, token, body)
    except (OSError, urllib.error.URLError) as error:
        return None, repr(error)


def _all_at_once(jobs):
    """Run every job at the same instant, each on its own connection."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _organization(stack, admin, name):
    status, org = call(stack, "POST", "/organizations", admin["token"], {"name": name})
    assert status == 201
    return org["id"]


def test_fifty_simultaneous_requests_all_get_an_http_answer(stack):
    # GIVEN an organization and fifty people who want to join it
    admin = user(stack, "Burst Admin", "en")
    org = _organization(stack, admin, f"Burst {uuid.uuid4().hex[:6]}")
    people = [user(stack, f"Burst Person {i}", "en") for i in range(SIMULTANEOUS)]

    # WHEN they all ask at the same instant
    path = f"/organizations/{org}/membership-requests"
    answers = _all_at_once(
        [lambda p=p: _attempt(stack, "POST", path, p["token"], {"comment": "En même temps."}) for p in people]
    )

    # THEN every one got an HTTP answer: a pending request of their own
    assert [status for status, _ in answers] == [201] * SIMULTANEOUS, [a for a in answers if a[0] != 201]
    assert {body["status"] for _, body in answers} == {"pending"}
    assert len({body["user"]["id"] for _, body in answers}) == SIMULTANEOUS
    # AND the organization's pending list holds those fifty
    _, page = call(stack, "GET", f"{path}?status=pending&limit=100", admin["token"])
    assert {item["id"] for item in page["items"]} == {body["id"] for _, body in answers}


def test_racing_asks_and_decisions_email_exactly_the_requests_that_exist(stack):
    """moto writes a cancelled transaction before rolling it back; a stream read in between
    emailed requests that never existed and, as sequence numbers were then reused, skipped
    real ones. Audited over bursts: the table against the outbox."""
    # GIVEN an organization, its admin, and one newcomer per run
    admin = user(stack, "Audit Admin", "en")
    org = _organization(stack, admin, f"Audit {uuid.uuid4().hex[:6]}")
    requesters = [user(stack, f"Audit Requester {i}", "en") for i in range(RUNS)]
    asks = f"/organizations/{org}/membership-requests"
    real: dict[str, dict] = {}
    previous = None
    for requester in requesters:
        # WHEN the newcomer sends the same ask fifty times at once, while the previous
        # newcomer's request is accepted and refused by racing decisions
        jobs = [
            lambda r=requester: _attempt(stack, "POST", asks, r["token"], {"comment": "Une seule fois."})
        ] * SIMULTANEOUS
        if previous is not None:
            decide = f"{asks}/{previous}"
            jobs += [
                lambda d=decide: _attempt(stack, "POST", f"{d}/accept", admin["token"], {"role": "editor"}),
                lambda d=decide: _attempt(stack, "POST", f"{d}/refuse", admin["token"], {"reason": REASON}),
            ] * (DECISIONS // 2)
        answers = _all_at_once(jobs)

        # THEN exactly one ask and at most one decision won; every loser was told why
        asked, decided = answers[:SIMULTANEOUS], answers[SIMULTANEOUS:]
        created = [body for status, body in asked if status == 201]
        assert len(created) == 1, Counter(status for status, _ in asked)
        assert all(status in (201, 409, 429) for status, _ in asked), asked
        if decided:
            assert [status for status, _ in decided].count(200) == 1, decided
            assert all(status in (200, 409) for status, _ in decided), decided
        request_id = created[0]["id"]
        real[request_id] = requester
        # AND the admin hears of the new request before it is decided in the next run
        _wait_for_admin_email(stack, admin, request_id)
        previous = request_id

    # WHEN the stream has been delivered up to a last, quiet request
    marker = user(stack, "Audit Marker", "en")
    status, last = call(stack, "POST", asks, marker["token"], {"comment": "Dernière."})
    assert status == 201
    _wait_for_admin_email(stack, admin, last["id"])
    real[last["id"]] = marker

    # THEN the admin was emailed once about each real request, and about nothing else
    about = Counter(
        REVIEW_LINK.search(text_of(message)).group(1)
        for _, message in read_outbox(stack.state_dir / "outbox")
        if message["To"] == admin["email"]
    )
    assert about == Counter(real.keys()), "emails about requests that do not exist, or missing, or doubled"
    # AND each requester was told the outcome the table holds, once, and only if decided
    outcomes = Counter()
    for request_id, requester in real.items():
        status, stored = call(stack, "GET", f"{asks}/{request_id}", admin["token"])
        assert status == 200
        outcomes[stored["status"]] += 1
        told = [
            text_of(message)
            for _, message in read_outbox(stack.state_dir / "outbox")
            if message["To"] == requester["email"]
        ]
        if stored["status"] == "pending":
            assert told == [], request_id
        elif stored["status"] == "refused":
            assert len(told) == 1 and REASON in told[0], (request_id, told)
        else:
            assert stored["status"] == "accepted"
            assert len(told) == 1 and "accepted" in told[0] and REASON not in told[0], (request_id, told)
    # AND every run's decision was made (one per earlier run), the last two left pending
    assert outcomes["pending"] == 2 and outcomes["accepted"] + outcomes["refused"] == RUNS - 1


def _wait_for_admin_email(stack, admin, request_id, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in emails_to(stack, admin["email"], count=0, timeout=0):
            if f"/membership-requests/{request_id}" in text_of(message):
                return
        time.sleep(0.2)
    raise AssertionError(f"the admin was never emailed about {request_id}")
