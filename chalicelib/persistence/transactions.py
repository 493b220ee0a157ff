"""Transactions that know which domain error each of their conditions stands for."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import CancellationReason, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict, DomainError

_CONFLICT_RETRIES = 3

# What a conditional step stands for when its condition fails: a domain error, or a
# function of the item that failed it.
StepError = DomainError | Callable[[dict[str, Any] | None], DomainError] | None


@dataclass
class Writes:
    """A transaction under construction that remembers which domain error each
    conditional step stands for.

    PynamoDB sends condition checks, deletes, puts and updates in that order, and
    DynamoDB reports one cancellation reason per item in the order sent; when
    several conditions fail, the error of the step added first wins, so callers
    add steps in the order their errors should be reported.
    """

    groups: dict[str, list[tuple[int, tuple, StepError]]] = field(
        default_factory=lambda: {"check": [], "delete": [], "put": [], "update": []}
    )

    def _add(self, kind: str, args: tuple, error: StepError) -> None:
        self.groups[kind].append((sum(map(len, self.groups.values())), args, error))

    def check(self, model_cls, hash_key, range_key, condition: Condition, error: DomainError):
        self._add("check", (model_cls, hash_key, range_key, condition), error)

    def delete(self, item, condition: Condition | None = None, error: DomainError | None = None):
        self._add("delete", (item, condition), error)

    def put(
        self,
        item,
        condition: Condition | None = None,
        error: StepError = None,
        return_values: str | None = None,
    ):
        self._add("put", (item, condition, return_values), error)

    def update(
        self,
        item,
        actions: list[Action],
        condition: Condition | None = None,
        error: DomainError | None = None,
    ):
        self._add("update", (item, actions, condition), error)

    def apply(self, transaction: TransactWrite) -> None:
        for _, (model_cls, hash_key, range_key, condition), _ in self.groups["check"]:
            transaction.condition_check(model_cls, hash_key, range_key, condition=condition)
        for _, (item, condition), _ in self.groups["delete"]:
            transaction.delete(item, condition=condition)
        for _, (item, condition, return_values), _ in self.groups["put"]:
            transaction.save(item, condition=condition, return_values=return_values)
        for _, (item, actions, condition), _ in self.groups["update"]:
            transaction.update(item, actions=actions, condition=condition)

    def first_failure(self, reasons: list[CancellationReason | None]) -> DomainError | None:
        """The error of the earliest-added step whose condition failed; a step whose
        error is a function gets the item that failed the condition (if it asked for it
        with ``return_values="ALL_OLD"``)."""
        sent = [step for kind in ("check", "delete", "put", "update") for step in self.groups[kind]]
        failed = [
            (order, error, reason)
            for (order, _, error), reason in zip(sent, reasons, strict=False)
            if reason is not None and reason.code == "ConditionalCheckFailed"
        ]
        if not failed:
            return None
        _, error, reason = min(failed, key=lambda step: step[0])
        if callable(error):
            return error(reason.raw_item)
        return error or Conflict()


def commit(connection: Connection, writes: Writes, sleep: Callable[[float], None]) -> None:
    """Send ``writes`` as one transaction. A failed condition raises its domain error; a
    conflict with another transaction is retried a few times, then raises ``Conflict``."""
    for attempt in range(_CONFLICT_RETRIES + 1):
        try:
            with TransactWrite(connection=connection) as transaction:
                writes.apply(transaction)
            return
        except TransactWriteError as e:
            reasons = e.cancellation_reasons or []
            codes = [reason.code if reason else None for reason in reasons]
            error = writes.first_failure(reasons)
            if error is not None:
                raise error from e
            if "TransactionConflict" not in codes:
                raise
            if attempt == _CONFLICT_RETRIES:
                raise Conflict() from e
            # Another transaction held one of our items; they are short, so a
            # jittered pause is enough for it to finish.
            sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 (jitter, not secrecy)
