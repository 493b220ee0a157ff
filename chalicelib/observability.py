"""Structured logs and metrics for the stream function.

- Logs: one JSON object per line (Powertools' formatter: level, location, timestamp,
  service, exception and its stack), with the keys bound by :func:`log_context`
  (the invocation's request id, the request, organization and transition being
  handled) and every email address replaced by ``<email>``.
- Metrics: CloudWatch Embedded Metric Format, written to stdout once per invocation.

Powertools is imported only when the stream function builds its collaborators, so
the API functions, which import ``chalicelib.stream`` through ``app.py``, never pay
for it.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
from collections.abc import Iterator
from typing import IO, Any

_EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[^\s@<>()\[\]\"',;:]+")
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_context", default={})  # noqa: B039 (never mutated)


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


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def configure_json_logs(
    service: str, level: str = "INFO", stream: IO[str] | None = None, root: str = "chalicelib"
) -> logging.Handler:
    """Send the ``root`` logger's records (every module of the application) to
    ``stream`` as redacted JSON lines, once; return the handler."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    class RedactingFormatter(LambdaPowertoolsFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    logger = logging.getLogger(root)
    for handler in list(logger.handlers):
        if getattr(handler, "adhesion_json", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.adhesion_json = True  # type: ignore[attr-defined]
    handler.setFormatter(RedactingFormatter(service=service, utc=True))
    handler.addFilter(_ContextFilter())
    logger.addHandler(handler)
    logger.setLevel(level)
    # Lambda's runtime has its own handler on the root logger: one line per record.
    logger.propagate = False
    return handler


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
