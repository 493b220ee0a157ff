"""Turns the scheduler's EventBridge event into one pass over the schedule.

Imported by every function through ``app.py``: nothing heavy at module level; the pass,
built lazily by the container, brings PynamoDB into the scheduled function only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def event_time(event: Any, fallback: datetime) -> datetime:
    """The moment EventBridge scheduled the run (the event's ``time``): a redelivered
    event is the same pass, with the same notices. ``fallback`` when it has none."""
    raw = getattr(event, "time", None)
    if raw is None and isinstance(event, Mapping):
        raw = event.get("time")
    if not raw:
        return fallback
    try:
        parsed = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run_pass(event: Any, schedule, clock) -> dict[str, Any]:
    """Run one pass at the event's time, within the invocation's time."""
    context = getattr(event, "context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    time_left = None if remaining is None else (lambda: remaining() / 1000)
    return schedule.run(event_time(event, clock()), time_left).as_dict()
