"""The email ledger in the single table: one item per round (request, transition)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

from pynamodb.exceptions import PutError, PynamoDBException

from chalicelib.mail.ledger import LedgerUnavailable, RoundChanged, RoundRecord
from chalicelib.persistence import keys
from chalicelib.persistence.models import EmailRoundModel


class PynamoEmailLedger:
    """Keeps one record per round (request, transition): who was sent, who was given up,
    whether the round is handled (the :class:`~chalicelib.mail.ledger.EmailLedger` port).
    ``rounds`` is the bound model of its items (``Tables.rounds``).

    Every DynamoDB failure other than a failed version check becomes
    :class:`~chalicelib.mail.ledger.LedgerUnavailable`, which the notifier retries.
    """

    def __init__(
        self, rounds: type[EmailRoundModel], ttl_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._rounds = rounds
        self._ttl = ttl_seconds
        self._clock = clock

    def read(self, request_id: str, transition: str) -> RoundRecord:
        try:
            item = self._rounds.get(
                keys.round_pk(request_id, transition), keys.ROUND_SK, consistent_read=True
            )
        except self._rounds.DoesNotExist:
            return RoundRecord(request_id, transition)
        except PynamoDBException as e:
            raise LedgerUnavailable(f"read: {e.cause_response_code or e}") from e
        return RoundRecord(
            request_id,
            transition,
            sent=frozenset(item.sent or ()),
            failed=MappingProxyType(item.failed.as_dict() if item.failed else {}),
            handled=bool(item.handled),
            version=item.version,
        )

    def write(self, record: RoundRecord) -> RoundRecord:
        item = self._rounds(
            keys.round_pk(record.request_id, record.transition),
            keys.ROUND_SK,
            sent=set(record.sent) or None,
            failed=dict(record.failed) or None,
            handled=record.handled,
            expires_at=datetime.fromtimestamp(self._clock() + self._ttl, tz=UTC),
        )
        if record.version is not None:
            item.version = record.version
        try:
            # The model's version attribute makes this put conditional on the version read.
            item.save()
        except PutError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                raise RoundChanged(record.request_id) from e
            raise LedgerUnavailable(f"write: {e.cause_response_code or e}") from e
        return replace(record, version=item.version)
