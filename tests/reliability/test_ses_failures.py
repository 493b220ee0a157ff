"""SES failures, injected as botocore raises them: each one is retried, reported or
acknowledged as the table in chalicelib/mail/ses.py says, and no email is lost or doubled."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from chalicelib.mail.port import Disposition
from chalicelib.mail.ses import SES_ERRORS
from tests.reliability.harness import addressed_to, client_error, first

_STATUS = {
    "TooManyRequestsException": 429,
    "NotFoundException": 404,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
}
_ENDPOINT = "https://email.eu-west-3.amazonaws.com"


@pytest.mark.parametrize("k", [1, 3, 10])
def test_ses_throttling_the_first_k_calls_delays_emails_but_never_loses_or_doubles_them(rig, k):
    # GIVEN a new request for an organization with three admins, and SES throttling the
    # first k sends (the notifier tries each send 5 times per invocation)
    org_id, admins = rig.organization(admins=3)
    _, request = rig.ask(org_id)
    faults = rig.ses_faults(
        first(k, client_error("TooManyRequestsException", 429, "Maximum sending rate exceeded."))
    )
    # WHEN the stream delivers the record
    mapping = rig.mapping()
    mapping.pump()
    # THEN every admin got the email once, after backoffs and, past 5 failures in a row,
    # a retry of the record by the stream
    figures = rig.tally(
        f"SES throttles the first {k} sends",
        rig.round_of(request, admins),
        injected=faults.injected,
        retried_in_process=rig.metrics.counts["EmailsRetried"],
        invocations=mapping.invocations,
        to_failure_queue=mapping.records_to_failure_queue,
    )
    assert (figures.expected, figures.sent, figures.duplicated, figures.lost) == (3, 3, 0, 0)
    assert faults.injected == k
    assert mapping.invocations == 1 + k // 5
    assert rig.metrics.counts["EmailsRetried"] == k - k // 5
    assert mapping.records_to_failure_queue == 0
    # AND each pause was jittered under its cap (0.2 s doubling, capped at 5 s)
    assert all(0 <= pause <= min(5.0, 0.2 * 2**3) for pause in rig.clock.pauses)


def _cases():
    cases = [
        pytest.param(
            code,
            client_error(code, _STATUS.get(code, 400), "injected for bob@example.org"),
            disposition,
            id=code,
        )
        for code, disposition in SES_ERRORS.items()
    ]
    cases += [
        pytest.param(
            "HTTP 502 (unlisted code)", client_error("BadGateway", 502), Disposition.RETRY, id="unlisted-5xx"
        ),
        pytest.param(
            "AccessDeniedException (unlisted)",
            client_error("AccessDeniedException", 403),
            Disposition.REPORT,
            id="unlisted-4xx",
        ),
        pytest.param(
            "EndpointConnectionError",
            EndpointConnectionError(endpoint_url=_ENDPOINT),
            Disposition.RETRY,
            id="EndpointConnectionError",
        ),
        pytest.param(
            "ConnectTimeoutError",
            ConnectTimeoutError(endpoint_url=_ENDPOINT),
            Disposition.RETRY,
            id="ConnectTimeoutError",
        ),
        pytest.param(
            "ReadTimeoutError",
            ReadTimeoutError(endpoint_url=_ENDPOINT),
            Disposition.RETRY,
            id="ReadTimeoutError",
        ),
        pytest.param(
            "ConnectionClosedError",
            ConnectionClosedError(endpoint_url=_ENDPOINT),
            Disposition.RETRY,
            id="ConnectionClosedError",
        ),
    ]
    return cases


def test_each_ses_error_is_retried_reported_or_acknowledged_as_the_table_says(rig, subtests):
    # GIVEN an organization with three admins (one table and organization for every
    # error, each error with a request of its own)
    org_id, admins = rig.organization(admins=3)
    victim = admins[1]
    for case in _cases():
        label, fault, disposition = case.values
        with subtests.test(msg=label):
            # AND a new request, and SES failing with this error: once (transient errors)
            # or for every send to the second admin (errors that say this message can
            # never go out)
            _, request = rig.ask(org_id)
            rig.settle_counts()
            if disposition is Disposition.ACKNOWLEDGE:
                rig.ses_faults(addressed_to(victim.email, fault))
            else:
                rig.ses_faults(first(1, fault))
            # WHEN the stream delivers the record
            mapping = rig.mapping()
            mapping.pump()
            rig.close()
            # THEN nothing is lost or doubled, and the record is handled as the table says
            expected = rig.round_of(request, admins)
            if disposition is Disposition.ACKNOWLEDGE:
                expected = [email for email in expected if email[0] != victim.email]
            counts = rig.metrics.counts
            figures = rig.tally(
                f"SES {label} -> {disposition.value}",
                expected,
                invocations=mapping.invocations,
                retried=counts["EmailsRetried"],
                failed_permanently=counts["EmailsFailedPermanently"],
            )
            assert (figures.sent, figures.duplicated, figures.lost) == (len(expected), 0, 0)
            assert mapping.records_to_failure_queue == 0
            if disposition is Disposition.RETRY:
                # retried at once, inside the invocation
                assert (mapping.invocations, counts["EmailsRetried"]) == (1, 1)
            elif disposition is Disposition.REPORT:
                # reported at once: the stream retries the record, which then goes out
                assert (mapping.invocations, counts["EmailsRetried"]) == (2, 0)
            else:
                # acknowledged: never blocks the shard, counted, and remembered in the ledger
                assert (mapping.invocations, counts["EmailsFailedPermanently"]) == (1, 1)
                stored = rig.ledger_round(request.id)
                assert (stored["failed"], stored["handled"]) == ({victim.user_id: label}, True)
                assert victim.user_id not in stored["sent"]
