"""The scheduled pass as the schedule grows: the same ten due requests (five expiring,
five whose first reminder is due, in one organization of three admins) among 10, 1,000
and 100,000 pending requests not yet due, some later the same day, the rest over the
following days. Items are written straight into the emulator (``bench.seed``'s way),
then one pass runs through the real code path in a fresh container."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import environment, seed
from bench.meter import Measure, Meter
from chalicelib.domain import (
    MembershipRequest,
    OrganizationSettings,
    RequestSchedule,
    RequestStatus,
    UserRef,
)
from devstack import emulator

SIZES = (10, 1_000, 100_000)
EXPIRING = 5
REMINDED = 5
ADMINS = 3
#: The pass's moment: a day of the seed's calendar, at noon.
NOW = seed.EPOCH + timedelta(days=40, hours=3)


def floor() -> dict[str, int]:
    """The fewest calls of a pass over the due requests above: the checkpoint and one
    Query of today; one transaction per due request; for the organization reminded, its
    name, its admins and their profiles; per admin, the notice opened and closed."""
    return {
        "GetItem": 2,
        "Query": 2,
        "BatchGetItem": 1,
        "TransactWriteItems": EXPIRING + REMINDED,
        "UpdateItem": 2 * ADMINS,
    }


@dataclass
class Run:
    pending: int
    measure: Measure
    report: dict[str, Any]
    seeded_items: int = 0
    seconds: float = 0.0

    @property
    def due(self) -> int:
        return EXPIRING + REMINDED

    @property
    def per_due(self) -> float:
        return self.measure.dynamodb_calls / self.due

    @property
    def at_floor(self) -> bool:
        return dict(self.measure.operations()) == floor() and self.measure.ses_calls == 0


@dataclass
class Schedule:
    runs: list[Run] = field(default_factory=list)

    @property
    def flat(self) -> float:
        """The largest over the smallest table's calls per due request."""
        per_due = [run.per_due for run in self.runs]
        return max(per_due) / min(per_due)


def _request(org_id: str, number: int, created_at: datetime, reminded: bool = False) -> MembershipRequest:
    """A pending request made at ``created_at``; ``reminded``: its reminders already sent."""
    user_id = f"s{number:09d}"
    schedule = RequestSchedule.for_new_request(created_at, OrganizationSettings())
    if reminded:
        schedule = replace(schedule, reminders_sent=len(schedule.reminder_days))
    return MembershipRequest(
        seed.request_id(9, number),
        org_id,
        UserRef(user_id, f"User {user_id}"),
        seed.COMMENT,
        RequestStatus.PENDING,
        created_at,
        schedule=schedule,
    )


def _items(org: seed.SeededOrganization, pending: int) -> list[dict[str, Any]]:
    from chalicelib.persistence import items, keys
    from chalicelib.persistence.models import CheckpointModel

    due = [
        _request(org.id, n, NOW - timedelta(days=30, minutes=n + 1), reminded=True) for n in range(EXPIRING)
    ] + [_request(org.id, EXPIRING + n, NOW - timedelta(days=3, minutes=n + 1)) for n in range(REMINDED)]
    # Not due yet: their first reminder falls from one minute after the pass to three
    # days later (later today, then the following days' partitions).
    step = timedelta(days=3) / (pending + 1)
    waiting = [
        _request(org.id, EXPIRING + REMINDED + n, NOW - timedelta(days=3) + step * (n + 1))
        for n in range(pending)
    ]
    written: list[dict[str, Any]] = []
    for request in [*due, *waiting]:
        written.append(items.request_item(request).serialize())
        written.append(items.pending_item(request).serialize())
    for request in due:
        profile = items.profile_item(seed.profile(request.user.id))
        profile.pending_count = 1
        written.append(profile.serialize())
    checkpoint = CheckpointModel(
        keys.SCHEDULE_PK, keys.CHECKPOINT_SK, day=NOW.date().isoformat(), updated_at=NOW
    )
    written.append(checkpoint.serialize())
    return written


def run_size(pending: int, meter: Meter) -> Run:
    from moto import mock_aws

    started = time.perf_counter()
    with mock_aws(), emulator.cheap_transaction_rollback():
        environment.create_stateful_resources()
        org = seed.organization(9, members=ADMINS, pending=0, admins=ADMINS, name="Organisation planifiée")
        seeded = emulator.put_items(environment.TABLE, [*org.items, *_items(org, pending)])
        environment.reset_application()
        from chalicelib.bootstrap import container

        schedule = container().schedule
        with meter.measure() as measured:
            report = schedule.run(NOW.astimezone(UTC)).as_dict()
        environment.reset_application()
    if (report["expired"], report["reminded"]) != (EXPIRING, REMINDED):
        raise RuntimeError(f"the pass did not handle exactly the due requests: {report}")
    return Run(pending, measured, report, seeded, time.perf_counter() - started)


def run(meter: Meter, sizes: tuple[int, ...] = SIZES) -> Schedule:
    return Schedule([run_size(size, meter) for size in sizes])
