"""The one place that reads the environment.

Everything else receives a :class:`Settings`. Values that Chalice decorators need
at import time fall back to ``''`` because ``chalice package`` imports ``app.py``
without the Lambda environment.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?")


def _origin(value: str) -> str:
    """One origin as a browser sends it (``scheme://host[:port]``, lower case, no path), or
    ``''``. A wildcard or a list is refused: only the console may read the API's answers."""
    origin = value.strip().rstrip("/").lower()
    if origin and not _ORIGIN.fullmatch(origin):
        raise ValueError(
            f"CORS_ALLOW_ORIGIN must be one origin such as https://console.example.org, not {value!r}"
        )
    return origin


def _hour(value: str) -> int:
    hour = int(value)
    if not 0 <= hour <= 23:
        raise ValueError(f"DIGEST_HOUR_UTC must be an hour from 0 to 23, not {value!r}")
    return hour


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str
    # None in AWS; the emulator's URL locally and in tests.
    aws_endpoint_url: str | None
    stream_arn: str
    jwt_issuer: str
    jwks_url: str
    jwt_audiences: tuple[str, ...]
    jwt_token_use: str
    jwt_leeway_seconds: int
    jwt_max_lifetime_seconds: int
    authorizer_ttl_seconds: int
    mail_sender: str
    # The name recipients see beside the sender's address ("" for the bare address).
    mail_sender_name: str
    mail_configuration_set: str
    frontend_base_url: str
    # The web console's origin, the one origin whose pages may call the API from a
    # browser (CORS); '' for none.
    cors_allow_origin: str
    max_pending_requests: int
    request_cooldown_seconds: int
    max_admin_emails: int
    email_ledger_ttl_seconds: int
    # Reliability of the stream function (docs/reliability.md).
    mail_send_attempts: int
    mail_retry_base_seconds: float
    mail_retry_cap_seconds: float
    stream_time_reserve_seconds: float
    # The part of the scheduled function's time kept back to record where a pass stopped.
    schedule_reserve_seconds: float
    # Observability: JSON logs in Lambda (plain text elsewhere, e.g. tests and the CLI).
    log_format: str
    log_level: str
    metrics_namespace: str
    # The stream function's on-failure destination, which `python -m ops redrive` drains.
    notify_failure_queue_url: str
    # The Secrets Manager secret (ARN or name) whose value signs the one-click
    # unsubscribe links; '' for none (emails then carry no List-Unsubscribe).
    unsubscribe_secret_arn: str
    # The API's root as mail recipients reach it (the unsubscribe links point there).
    api_base_url: str
    # The hour (UTC) at which the daily digests of new requests fall due.
    digest_hour_utc: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        issuer = env.get("JWT_ISSUER", "").rstrip("/")
        return cls(
            table_name=env.get("TABLE_NAME", ""),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", ""),
            aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            stream_arn=env.get("TABLE_STREAM_ARN", ""),
            jwt_issuer=issuer,
            jwks_url=env.get("JWKS_URL") or (issuer + "/.well-known/jwks.json" if issuer else ""),
            jwt_audiences=_csv(env.get("JWT_AUDIENCES", "")),
            jwt_token_use=env.get("JWT_TOKEN_USE", "id"),
            jwt_leeway_seconds=int(env.get("JWT_LEEWAY_SECONDS", "30")),
            # The longest lifetime (exp - iat) a token may claim: Cognito issues ID tokens
            # for one day at most; an external issuer may be configured tighter.
            jwt_max_lifetime_seconds=int(env.get("JWT_MAX_LIFETIME_SECONDS", "86400")),
            authorizer_ttl_seconds=int(env.get("AUTHORIZER_TTL_SECONDS", "300")),
            mail_sender=env.get("MAIL_SENDER", ""),
            mail_sender_name=env.get("MAIL_SENDER_NAME", "Adhesion"),
            mail_configuration_set=env.get("MAIL_CONFIGURATION_SET", ""),
            frontend_base_url=env.get("FRONTEND_BASE_URL", "").rstrip("/"),
            cors_allow_origin=_origin(env.get("CORS_ALLOW_ORIGIN", "")),
            max_pending_requests=int(env.get("MAX_PENDING_REQUESTS", "10")),
            # Asking the same organization again (after a withdrawal or a refusal) waits this
            # long, so that a loop of requests cannot flood its admins with emails.
            request_cooldown_seconds=int(env.get("REQUEST_COOLDOWN_SECONDS", "300")),
            max_admin_emails=int(env.get("MAX_ADMIN_EMAILS", "25")),
            # Streams redeliver for 24 hours; the ledger must outlive that window.
            email_ledger_ttl_seconds=int(env.get("EMAIL_LEDGER_TTL_SECONDS", str(48 * 3600))),
            mail_send_attempts=int(env.get("MAIL_SEND_ATTEMPTS", "5")),
            mail_retry_base_seconds=float(env.get("MAIL_RETRY_BASE_SECONDS", "0.2")),
            mail_retry_cap_seconds=float(env.get("MAIL_RETRY_CAP_SECONDS", "5")),
            stream_time_reserve_seconds=float(env.get("STREAM_TIME_RESERVE_SECONDS", "10")),
            schedule_reserve_seconds=float(env.get("SCHEDULE_RESERVE_SECONDS", "20")),
            log_format=env.get("LOG_FORMAT") or ("json" if env.get("AWS_LAMBDA_FUNCTION_NAME") else "text"),
            # In Lambda, the function's LoggingConfig (ApplicationLogLevel) sets the level.
            log_level=env.get("LOG_LEVEL") or env.get("AWS_LAMBDA_LOG_LEVEL") or "INFO",
            metrics_namespace=env.get("METRICS_NAMESPACE", "Adhesion"),
            notify_failure_queue_url=env.get("NOTIFY_FAILURE_QUEUE_URL", ""),
            unsubscribe_secret_arn=env.get("UNSUBSCRIBE_SECRET_ARN", ""),
            api_base_url=env.get("API_BASE_URL", "").rstrip("/"),
            digest_hour_utc=_hour(env.get("DIGEST_HOUR_UTC", "6")),
        )


@functools.cache
def get_settings() -> Settings:
    return Settings.from_env(os.environ)
