"""The schedule in the single table: what is due (GSI4, by day and moment), the
scheduled function's checkpoint, and the transactions of a pass (a reminder, an
expiry, a notice closed). Every change is conditioned on what the pass read, so that a
redelivered or overlapping pass changes nothing twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import UpdateError

from chalicelib.domain import (
    DueKind,
    MembershipRequest,
    NoticeKind,
    NoticeStatus,
    RequestStatus,
)
from chalicelib.errors import Conflict, RequestNotPending
from chalicelib.persistence import keys
from chalicelib.persistence.items import request_of, request_schedule_attributes, request_status_keys
from chalicelib.persistence.tables import Tables
from chalicelib.persistence.transactions import Writes, commit
from chalicelib.services.ports import DueNotice, DueRequest

_INDEX = "GSI4"


class PynamoScheduleStore:
    """The :class:`~chalicelib.services.ports.ScheduleStore` port on DynamoDB. ``tables``
    are the bound models; ``connection`` sends the queries and transactions."""

    def __init__(
        self, tables: Tables, connection: Connection, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._tables = tables
        self._dynamodb = connection
        self._sleep = sleep
        tables.describe_to(connection)

    # -- the checkpoint ---------------------------------------------------------------

    def checkpoint(self) -> date | None:
        model = self._tables.checkpoints
        try:
            item = model.get(keys.SCHEDULE_PK, keys.CHECKPOINT_SK, consistent_read=True)
        except model.DoesNotExist:
            return None
        return date.fromisoformat(item.day)

    def save_checkpoint(self, day: date, at: datetime) -> None:
        self._tables.checkpoints(
            keys.SCHEDULE_PK, keys.CHECKPOINT_SK, day=day.isoformat(), updated_at=at
        ).save()

    # -- what is due --------------------------------------------------------------------

    def due(self, day: date, now: datetime) -> Iterator[DueRequest | DueNotice]:
        """What is due on ``day`` up to ``now``, in due order, one Query page at a time.
        Items of other kinds (none are written) are passed over."""
        parameters: dict[str, Any] = {
            "TableName": self._tables.table_name,
            "IndexName": _INDEX,
            "KeyConditionExpression": "GSI4PK = :day AND GSI4SK <= :until",
            "ExpressionAttributeValues": {
                ":day": {"S": keys.due_pk(day)},
                ":until": {"S": keys.due_until(now)},
            },
        }
        while True:
            page = self._dynamodb.client.query(**parameters)
            for raw in page.get("Items", []):
                due = self._due_of(raw)
                if due is not None:
                    yield due
            if "LastEvaluatedKey" not in page:
                return
            parameters["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _due_of(self, raw: dict[str, Any]) -> DueRequest | DueNotice | None:
        due_sk = raw.get("GSI4SK", {}).get("S", "")
        notice = keys.notice_key_of(raw)
        if notice is not None:
            return DueNotice(*notice)
        if keys.is_request_image(raw):
            return DueRequest(request_of(self._tables.requests.from_raw_data(raw)), due_sk)
        return None

    # -- the changes ----------------------------------------------------------------------

    def open_notice(self, user_id: str, kind: NoticeKind, key: str, now: datetime) -> bool:
        """Make sure the notice exists and is open, due at ``now`` (so that a pass that
        dies before closing it leaves it to the next). False when it is already closed:
        nothing more may be added to it."""
        n = self._tables.notices
        due_pk, due_sk = keys.due_keys(now, DueKind.NOTICE, keys.notice_due_ident(user_id, kind, key))
        try:
            n(keys.notice_pk(user_id), keys.notice_sk(kind.value, key)).update(
                actions=[
                    n.user_id.set(user_id),
                    n.kind.set(kind.value),
                    n.status.set(n.status | NoticeStatus.OPEN.value),
                    n.created_at.set(n.created_at | now),
                    n.entries.set(n.entries | {}),
                    n.gsi4pk.set(due_pk),
                    n.gsi4sk.set(due_sk),
                ],
                condition=n.pk.does_not_exist() | (n.status == NoticeStatus.OPEN.value),
            )
        except UpdateError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def remind(
        self,
        due: DueRequest,
        reminded: MembershipRequest,
        notices: list[tuple[str, NoticeKind, str]],
        entry: dict[str, Any],
    ) -> bool:
        """One transaction: the request moves on to its next due moment with one more
        reminder counted, and ``entry`` goes into each of ``notices`` (user, kind, key),
        which must be open. False when the request changed since it was read (decided,
        withdrawn, handled by another pass) or a notice was closed meanwhile."""
        t, request = self._tables, due.request
        org_pk = keys.org_pk(request.organization_id)
        attributes = request_schedule_attributes(reminded)
        writes = Writes()
        writes.update(
            t.requests(org_pk, keys.request_sk(request.id)),
            [
                t.requests.reminders_sent.set(attributes["reminders_sent"]),
                t.requests.gsi4pk.set(attributes["gsi4pk"]),
                t.requests.gsi4sk.set(attributes["gsi4sk"]),
            ],
            condition=(t.requests.status == RequestStatus.PENDING.value) & (t.requests.gsi4sk == due.due_sk),
            error=RequestNotPending(),
        )
        entry_key = f"{request.organization_id}#{request.id}"
        for user_id, kind, key in notices:
            writes.update(
                t.notices(keys.notice_pk(user_id), keys.notice_sk(kind.value, key)),
                [t.notices.entries[entry_key].set(entry)],
                condition=t.notices.status == NoticeStatus.OPEN.value,
                error=Conflict(),
            )
        return self._commit(writes)

    def expire(self, due: DueRequest, now: datetime) -> bool:
        """One transaction, as a withdrawal: the request ``expired`` (its status keys
        moved, out of the schedule), its requester's lock deleted, both pending counters
        down. False when it is no longer pending, or no longer due as it was read."""
        t, request = self._tables, due.request
        org_pk = keys.org_pk(request.organization_id)
        writes = Writes()
        writes.update(
            t.requests(org_pk, keys.request_sk(request.id)),
            [
                t.requests.status.set(RequestStatus.EXPIRED.value),
                t.requests.decided_at.set(now),
                t.requests.gsi4pk.remove(),
                t.requests.gsi4sk.remove(),
            ]
            + [
                getattr(t.requests, name).set(value)
                for name, value in request_status_keys(
                    request.organization_id, request.user.id, RequestStatus.EXPIRED
                ).items()
            ],
            condition=(t.requests.status == RequestStatus.PENDING.value) & (t.requests.gsi4sk == due.due_sk),
            error=RequestNotPending(),
        )
        writes.delete(t.pending(org_pk, keys.pending_sk(request.user.id)))
        writes.update(t.organizations(org_pk, keys.ORG_SK), [t.organizations.pending_count.add(-1)])
        writes.update(
            t.profiles(keys.user_pk(request.user.id), keys.PROFILE_SK), [t.profiles.pending_count.add(-1)]
        )
        return self._commit(writes)

    def unschedule(self, due: DueRequest) -> bool:
        """Take a request that is no longer pending out of the schedule (written there
        before decisions removed it themselves)."""
        r, request = self._tables.requests, due.request
        try:
            r(keys.org_pk(request.organization_id), keys.request_sk(request.id)).update(
                actions=[r.gsi4pk.remove(), r.gsi4sk.remove()],
                condition=(r.status != RequestStatus.PENDING.value) & (r.gsi4sk == due.due_sk),
            )
        except UpdateError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def close_notice(self, user_id: str, kind: NoticeKind, key: str) -> bool:
        """``open`` → ``ready``, out of the schedule: the stream then emails it. False when
        it was closed already."""
        n = self._tables.notices
        try:
            n(keys.notice_pk(user_id), keys.notice_sk(kind.value, key)).update(
                actions=[n.status.set(NoticeStatus.READY.value), n.gsi4pk.remove(), n.gsi4sk.remove()],
                condition=n.status == NoticeStatus.OPEN.value,
            )
        except UpdateError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _commit(self, writes: Writes) -> bool:
        try:
            commit(self._dynamodb, writes, self._sleep)
        except (RequestNotPending, Conflict):
            return False
        return True
