"""The stream function's batch handling: what is acknowledged, held back, or reported."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from chalicelib.domain import MembershipRequest, RequestStatus, Role, UserRef
from chalicelib.services.delivery import DeliveryUnavailable, OutOfOrder
from chalicelib.stream import process_records
from devstack.fakes import RecordingMetrics

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _request(request_id: str, org_id: str = "o1", status=RequestStatus.PENDING) -> MembershipRequest:
    return MembershipRequest(
        request_id,
        org_id,
        UserRef("paul", "Paul"),
        "Hello",
        status,
        NOW,
        role=Role.EDITOR if status is RequestStatus.ACCEPTED else None,
    )


def _image(request: MembershipRequest) -> dict:
    from chalicelib.persistence.items import request_item

    item = request_item(request)
    item.role = request.role.value if request.role else None
    return item.serialize()


def _record(
    sequence: int,
    new: MembershipRequest | None,
    old: MembershipRequest | None = None,
    keys: dict | None = None,
) -> dict:
    subject = new or old
    dynamodb = {
        "SequenceNumber": str(sequence),
        "Keys": keys or {"PK": {"S": f"ORG#{subject.organization_id}"}, "SK": {"S": f"REQ#{subject.id}"}},
    }
    if new:
        dynamodb["NewImage"] = _image(new)
    if old:
        dynamodb["OldImage"] = _image(old)
    return {"eventID": f"e{sequence}", "eventName": "MODIFY" if old else "INSERT", "dynamodb": dynamodb}


class ScriptedNotifier:
    """Records what it was asked to notify, and fails as scripted per request id."""

    reserve_seconds = 10.0

    def __init__(self, failures: dict[str, list[Exception]] | None = None) -> None:
        self.failures = failures or {}
        self.seen: list[tuple[str, str]] = []
        self.rejected: list[str] = []
        self.metrics = RecordingMetrics()

    def notify(self, old, new, deadline):
        self.seen.append((new.id, new.status.value))
        if self.failures.get(new.id):
            raise self.failures[new.id].pop(0)

    def record_rejected(self, request_id, transition):
        self.rejected.append(request_id)


def test_records_of_other_items_are_skipped_without_being_read():
    notifier = ScriptedNotifier()
    event = {"Records": [_record(1, None, keys={"PK": {"S": "ORG#o1"}, "SK": {"S": "MEMBER#bea"}})]}
    assert process_records(event, notifier) == {"batchItemFailures": []}
    assert notifier.seen == []


def test_operator_action_records_are_acknowledged_without_a_notification():
    # GIVEN the records of operator actions, on an organization and on none, among requests
    from chalicelib.domain import OperatorAction
    from chalicelib.persistence.items import operator_action_item

    notifier = ScriptedNotifier()
    actions = [
        OperatorAction("x1", NOW, "arn:aws:sts::1:user/sam", "sam", "grant-admin", "o1", "bea"),
        OperatorAction("x2", NOW, "arn:aws:sts::1:user/sam", "sam", "redrive", None, "https://queue"),
    ]
    records = []
    for sequence, action in enumerate(actions, start=2):
        image = operator_action_item(action).serialize()
        keys = {"PK": image["PK"], "SK": image["SK"]}
        records.append(
            {
                "eventName": "INSERT",
                "dynamodb": {"SequenceNumber": str(sequence), "Keys": keys, "NewImage": image},
            }
        )
    event = {"Records": [_record(1, _request("a")), *records, _record(4, _request("c"))]}
    # WHEN the batch is handled
    response = process_records(event, notifier)
    # THEN the requests are notified, the operator actions acknowledged untouched
    assert response == {"batchItemFailures": []}
    assert notifier.seen == [("a", "pending"), ("c", "pending")]
    assert notifier.rejected == [] and notifier.metrics.counts.get("RecordsRejected", 0) == 0


def test_an_unreadable_request_is_acknowledged_counted_and_its_round_closed():
    # GIVEN a request record whose image no model can read, between two good ones
    notifier = ScriptedNotifier()
    bad = {
        "eventID": "e2",
        "eventName": "INSERT",
        "dynamodb": {
            "SequenceNumber": "2",
            "Keys": {"PK": {"S": "ORG#o1"}, "SK": {"S": "REQ#bad"}},
            "NewImage": {"PK": {"S": "ORG#o1"}, "SK": {"S": "REQ#bad"}, "status": {"S": "bogus"}},
        },
    }
    event = {"Records": [_record(1, _request("a")), bad, _record(3, _request("c"))]}
    # WHEN the batch is handled THEN the bad one is acknowledged, the others handled
    assert process_records(event, notifier) == {"batchItemFailures": []}
    assert notifier.seen == [("a", "pending"), ("c", "pending")]
    assert notifier.rejected == ["bad"] and notifier.metrics.counts["RecordsRejected"] == 1


def test_a_record_without_a_sequence_number_is_acknowledged():
    notifier = ScriptedNotifier()
    assert process_records({"Records": [{"eventID": "x"}]}, notifier) == {"batchItemFailures": []}
    assert notifier.metrics.counts["RecordsRejected"] == 1


def test_a_request_that_must_wait_holds_back_only_its_own_records():
    # GIVEN request a's outcome must wait (its round is in the failure queue)
    a, b = _request("a"), _request("b")
    accepted_a = replace(a, status=RequestStatus.ACCEPTED, role=Role.EDITOR)
    notifier = ScriptedNotifier({"a": [OutOfOrder("a")]})
    event = {
        "Records": [
            _record(1, accepted_a, old=a),
            _record(2, b),
            _record(3, replace(accepted_a, comment="later"), old=accepted_a),
        ]
    }
    # WHEN the batch is handled
    response = process_records(event, notifier)
    # THEN b went through, a's later record was not even looked at, a is reported
    assert notifier.seen == [("a", "accepted"), ("b", "pending")]
    assert response == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert notifier.metrics.counts["RecordsRetried"] == 1


def test_a_shared_failure_stops_the_batch_at_that_record():
    notifier = ScriptedNotifier({"b": [DeliveryUnavailable("send: TooManyRequestsException")]})
    event = {"Records": [_record(1, _request("a")), _record(2, _request("b")), _record(3, _request("c"))]}
    assert process_records(event, notifier) == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert notifier.seen == [("a", "pending"), ("b", "pending")]


def test_an_unexpected_error_stops_the_batch_at_that_record():
    notifier = ScriptedNotifier({"a": [KeyError("template")]})
    event = {"Records": [_record(1, _request("a")), _record(2, _request("b"))]}
    assert process_records(event, notifier) == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert notifier.seen == [("a", "pending")]


def test_no_record_is_started_once_the_time_budget_is_spent():
    notifier = ScriptedNotifier()
    left = iter([100.0, 50.0, 0.5])  # at the start, before record 1, before record 2

    response = process_records(
        {"Records": [_record(1, _request("a")), _record(2, _request("b"))]},
        notifier,
        time_left=lambda: next(left),
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert notifier.seen == [("a", "pending")]


def test_metrics_are_flushed_once_per_invocation():
    notifier = ScriptedNotifier()
    process_records({"Records": [_record(1, _request("a"))]}, notifier)
    assert len(notifier.metrics.flushed) == 1
