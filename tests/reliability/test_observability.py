"""What operators see from each of the three functions: one JSON object per log line, as
Lambda's runtime writes them (LoggingConfig LogFormat JSON), with the request,
organization and transition, and no email address in clear; metrics in CloudWatch's
embedded format."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from chalicelib.observability import EmfMetrics, LogFilter
from devstack.fakes import RecordingMetrics
from tests.reliability.harness import addressed_to, client_error, first


class LambdaLogs:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines() if line.strip()]


@pytest.fixture
def lambda_logs(monkeypatch):
    """The function's log output as Lambda writes it with LogFormat JSON and
    ApplicationLogLevel INFO: the environment Lambda gives the function, and the root
    logger's handler with the formatter of Lambda's Python runtime (awslambdaric), which
    is all Lambda sets up before it imports the function. Request it before the fixtures
    that build the container (``api``, ``rig``), as Lambda sets it up first."""
    from awslambdaric.lambda_runtime_log_utils import JsonFormatter

    from chalicelib import bootstrap
    from chalicelib.config import get_settings

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "adhesion-test")
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "INFO")
    get_settings.cache_clear()
    bootstrap.container.cache_clear()
    logs = LambdaLogs()
    handler = logging.StreamHandler(logs.stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield logs
    root.removeHandler(handler)
    root.setLevel(level)
    # The container filtered pytest's own handlers too; they outlive the test.
    for other in root.handlers:
        for installed in [f for f in other.filters if isinstance(f, LogFilter)]:
            other.removeFilter(installed)
    logging.getLogger("chalicelib").setLevel(logging.NOTSET)
    get_settings.cache_clear()
    bootstrap.container.cache_clear()


def test_api_failure_is_one_json_line_with_its_error_and_no_address(lambda_logs, api, world, monkeypatch):
    # GIVEN a failure inside the API whose message quotes the caller's address
    from chalicelib.services.organizations import OrganizationService

    def explode(service, caller, org_id):
        raise RuntimeError(f"lost the membership of {caller.email}")

    monkeypatch.setattr(OrganizationService, "view", explode)
    # WHEN the caller asks for the organization
    reply = api.get(f"/organizations/{world.org_id}", world.admin)
    # THEN the caller gets the contract's 500, and the log one JSON line saying what failed
    assert (reply.status, reply.body["code"]) == (500, "internal_error")
    [failure] = [line for line in lambda_logs.lines() if line["level"] == "ERROR"]
    assert failure["logger"] == "adhesion" and failure["message"].startswith("Caught exception")
    assert failure["errorType"] == "RuntimeError" and failure["stackTrace"]
    # AND the address is replaced, there and everywhere
    assert failure["errorMessage"] == "lost the membership of <email>"
    assert "@example.org" not in lambda_logs.text()


def test_authorizer_says_why_it_refused_a_token_at_info_without_the_address(lambda_logs, api, issuer):
    # GIVEN a token the issuer signed for another application, for nora@example.org
    token = issuer.token("nora", aud="another-application")
    # WHEN it is presented
    reply = api.call("GET", "/me/membership-requests", headers={"Authorization": f"Bearer {token}"})
    # THEN it is refused, and the authorizer's log says why, at INFO, in one JSON line
    assert reply.status in (401, 403)
    [refusal] = [line for line in lambda_logs.lines() if line["logger"] == "chalicelib.api.auth"]
    assert (refusal["level"], refusal["message"]) == ("INFO", "token refused: wrong audience")
    assert "nora@example.org" not in lambda_logs.text()


def test_stream_logs_are_json_with_the_request_context_and_no_address_in_clear(lambda_logs, rig):
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
    lines = [line for line in lambda_logs.lines() if line["logger"].startswith("chalicelib")]
    messages = [line["message"] for line in lines]
    assert {"retrying", "email sent", "email failed permanently"} <= set(messages)
    for line in lines:
        assert line["level"] in ("INFO", "WARNING", "ERROR") and line["timestamp"]
        if line["message"].startswith("email"):
            assert line["request_id"] == request.id and line["organization_id"] == org_id
            assert line["transition"] == "requested" and line["recipient_id"]
    failed = next(line for line in lines if line["message"] == "email failed permanently")
    assert failed["reason"] == "MessageRejected" and failed["recipient_id"] == admins[2].user_id
    # AND no address appears anywhere
    assert "@example.org" not in lambda_logs.text()
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
