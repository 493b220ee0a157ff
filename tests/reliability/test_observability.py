"""What operators see: one JSON object per log line, with the request, organization and
transition, and no email address in clear; metrics in CloudWatch's embedded format."""

from __future__ import annotations

import io
import json
import logging

import pytest

from chalicelib.observability import EmfMetrics, configure_json_logs
from devstack.fakes import RecordingMetrics
from tests.reliability.harness import addressed_to, client_error, first


@pytest.fixture
def json_logs():
    stream = io.StringIO()
    handler = configure_json_logs(service="notify", stream=stream)
    yield stream
    logger = logging.getLogger("chalicelib")
    logger.removeHandler(handler)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


def test_logs_are_json_with_the_request_context_and_no_address_in_clear(rig, json_logs):
    # GIVEN SES throttling once, then rejecting one admin's address with a message that
    # quotes addresses, as SES does
    org_id, admins = rig.organization(admins=3)
    _, request = rig.ask(org_id)
    rig.ses_faults(first(1, client_error("TooManyRequestsException", 429)))
    rig.ses_faults(
        addressed_to(
            admins[2].email,
            client_error("MessageRejected", 400, f"Email address is not verified: {admins[2].email}"),
        )
    )
    # WHEN the record is delivered
    rig.mapping().pump()
    # THEN every line is a JSON object, those about an email say which one
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    messages = [line["message"] for line in lines]
    assert {"retrying", "email sent", "email failed permanently"} <= set(messages)
    for line in lines:
        assert line["service"] == "notify" and line["level"] in ("INFO", "WARNING", "ERROR")
        if line["message"].startswith("email"):
            assert line["request_id"] == request.id and line["organization_id"] == org_id
            assert line["transition"] == "requested" and line["recipient_id"]
    failed = next(line for line in lines if line["message"] == "email failed permanently")
    assert failed["reason"] == "MessageRejected" and failed["recipient_id"] == admins[2].user_id
    # AND no address appears anywhere
    assert "@example.org" not in json_logs.getvalue()
    assert "<email>" in failed["detail"]


def test_emf_metrics_publish_what_the_recording_fake_counts(capsys):
    # GIVEN the same counts given to the EMF adapter and to the fake the tests use
    counts = [("EmailsSent", 1), ("EmailsRetried", 1), ("EmailsSent", 1), ("EmailsFailedPermanently", 1)]
    emf, fake = EmfMetrics("Adhesion", service="notify"), RecordingMetrics()
    for name, value in counts:
        emf.count(name, value)
        fake.count(name, value)
    # WHEN both are flushed
    emf.flush()
    fake.flush()
    # THEN CloudWatch would read the fake's figures from the embedded metric format
    blob = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Adhesion" and ["service"] in directive["Dimensions"]
    published = {
        metric["Name"]: sum(blob[metric["Name"]])
        if isinstance(blob[metric["Name"]], list)
        else blob[metric["Name"]]
        for metric in directive["Metrics"]
    }
    assert published == fake.flushed[-1]
    # AND an empty flush writes nothing
    emf.flush()
    assert capsys.readouterr().out == ""
