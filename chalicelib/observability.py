"""Structured logs and metrics.

- Logs, from all three functions: Lambda's runtime writes each record as one JSON object
  (``LoggingConfig: LogFormat: JSON`` in infra/app-merge.yaml): ``timestamp``, ``level``,
  ``message``, ``logger``, ``requestId``, the exception's ``errorType``, ``errorMessage``
  and ``stackTrace``, and every ``extra`` key of the record. :func:`install_log_filter`,
  called when a function builds its container, adds the keys bound by
  :func:`log_context` (the request, organization and transition being handled) and
  replaces every email address with ``<email>``, in the message, the extra values and the
  exception's message. It needs only the standard library: the API and authorizer cold
  starts load nothing for it.
- Metrics: CloudWatch Embedded Metric Format, written to stdout once per invocation by
  Powertools, which only the stream function imports, when it builds its notifier.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
from collections.abc import Iterator
from typing import Any

_EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[^\s@<>()\[\]\"',;:]+")
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_context", default={})  # noqa: B039 (never mutated)
# The attributes every record has; the others are its ``extra`` keys.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    """Replace every email address in ``text`` with ``<email>``."""
    return _EMAIL.sub("<email>", text)


@contextlib.contextmanager
def log_context(**keys: Any) -> Iterator[None]:
    """Add ``keys`` to every log record emitted inside the block (nested blocks add up)."""
    token = _context.set({**_context.get(), **{k: v for k, v in keys.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class _RedactedError(Exception):
    """Stands for an exception whose message quoted an address: the runtime's JSON
    formatter takes ``errorType`` from the record's exception class, which is kept, and
    ``errorMessage`` from this."""


class LogFilter(logging.Filter):
    """Adds the :func:`log_context` keys to a record and redacts its addresses."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        try:
            record.msg, record.args = redact(record.getMessage()), None
        except (TypeError, ValueError):
            # Arguments that do not fit the message: the handler reports it, as it would
            # without this filter (raising here would fail the caller instead).
            return True
        extras = {key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES}
        for key, value in extras.items():
            if isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and record.exc_info[1] is not None:
            kind, error, traceback = record.exc_info
            message = str(error)
            if redact(message) != message:
                record.exc_info = (kind, _RedactedError(redact(message)), traceback)
                record.exc_text = None
        return True


def install_log_filter(level: str) -> None:
    """Filter every record that reaches the root logger's handlers (in Lambda, the
    runtime's own), once, and log the application's records from ``level`` up."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(existing, LogFilter) for existing in handler.filters):
            handler.addFilter(LogFilter())
    # Lambda's levels, as ApplicationLogLevel gives them; its TRACE is Python's DEBUG.
    logging.getLogger("chalicelib").setLevel("DEBUG" if level == "TRACE" else level)


class EmfMetrics:
    """Counts, published in CloudWatch Embedded Metric Format by Powertools."""

    def __init__(self, namespace: str, service: str) -> None:
        from aws_lambda_powertools import Metrics

        self._metrics = Metrics(namespace=namespace, service=service)

    def count(self, name: str, value: int = 1) -> None:
        self._metrics.add_metric(name=name, unit="Count", value=value)

    def flush(self) -> None:
        if self._metrics.metric_set:
            self._metrics.flush_metrics()
