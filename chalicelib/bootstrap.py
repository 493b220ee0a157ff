"""Composition root: builds each collaborator once per Lambda container, on first use."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.aws import AwsClients
from chalicelib.config import Settings, get_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    # Imported on first use, like everything a function may not need: reads never do.
    import uuid

    return uuid.uuid4().hex


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # In Lambda, each function's records go out as JSON lines with their context and
        # no address, from the first one its first invocation writes.
        if settings.log_format == "json":
            from chalicelib.observability import install_log_filter

            install_log_filter(settings.log_level)
        self.aws = AwsClients(settings)
        # How the notifier waits between retries; fault-injection tests only advance time.
        self.sleep: Callable[[float], None] = time.sleep
        # Replaceable before first use, so that tests can move time forward.
        self.clock = utc_now

    @functools.cached_property
    def cors(self):
        from chalicelib.api.cors import CorsPolicy

        return CorsPolicy(self.settings.cors_allow_origin)

    @functools.cached_property
    def repository(self):
        from chalicelib.persistence.membership import PynamoMembershipRepository

        return PynamoMembershipRepository(self.aws.tables, self.aws.dynamodb)

    @functools.cached_property
    def organizations(self):
        from chalicelib.services.organizations import OrganizationService

        return OrganizationService(self.repository, self.clock, new_id, self.settings.max_admin_emails)

    @functools.cached_property
    def membership_requests(self):
        from chalicelib.services.membership_requests import MembershipRequestService

        return MembershipRequestService(
            self.repository,
            self.clock,
            new_id,
            self.settings.max_pending_requests,
            self.settings.request_cooldown_seconds,
        )

    @functools.cached_property
    def schedule(self):
        """The scheduled pass (``app.schedule``, ``python -m ops schedule``, the local stack)."""
        from chalicelib.persistence.schedule import PynamoScheduleStore
        from chalicelib.services.schedule import SchedulePass

        return SchedulePass(
            PynamoScheduleStore(self.aws.tables, self.aws.dynamodb),
            self.repository,
            self.settings.max_admin_emails,
            self.settings.schedule_reserve_seconds,
        )

    @functools.cached_property
    def preferences_repository(self):
        from chalicelib.persistence.preferences import PynamoPreferencesRepository

        return PynamoPreferencesRepository(self.aws.tables, self.aws.dynamodb)

    @functools.cached_property
    def unsubscribe_links(self):
        """Signs and checks one-click unsubscribe links; None when no key is configured
        (emails then carry no ``List-Unsubscribe``)."""
        if not self.settings.unsubscribe_secret_arn:
            return None
        from chalicelib.mail.unsubscribe import UnsubscribeLinks

        secret = self.settings.unsubscribe_secret_arn
        return UnsubscribeLinks(
            lambda: self.aws.secret(secret).encode("utf-8"),
            self.settings.api_base_url,
            lambda: self.clock(),
            new_id,
        )

    @functools.cached_property
    def preferences(self):
        from chalicelib.services.preferences import PreferencesService

        return PreferencesService(self.preferences_repository, self.unsubscribe_links, lambda: self.clock())

    @functools.cached_property
    def signing_keys(self):
        from chalicelib.tokens import JwksKeys

        return JwksKeys(self.settings.jwks_url)

    @functools.cached_property
    def token_policy(self):
        from chalicelib.tokens import TokenPolicy

        return TokenPolicy(
            issuer=self.settings.jwt_issuer,
            audiences=self.settings.jwt_audiences,
            token_use=self.settings.jwt_token_use,
            leeway_seconds=self.settings.jwt_leeway_seconds,
            max_lifetime_seconds=self.settings.jwt_max_lifetime_seconds,
        )

    @functools.cached_property
    def mailer(self):
        from chalicelib.mail.ses import SesMailer

        return SesMailer(
            self.aws.sesv2,
            self.settings.mail_sender,
            self.settings.mail_configuration_set,
            sender_name=self.settings.mail_sender_name,
        )

    @functools.cached_property
    def email_ledger(self):
        from chalicelib.persistence.email_ledger import PynamoEmailLedger

        return PynamoEmailLedger(self.aws.tables.rounds, self.settings.email_ledger_ttl_seconds)

    @functools.cached_property
    def metrics(self):
        """EMF metrics in Lambda; nothing elsewhere (tests, the local stack, the CLI)."""
        if self.settings.log_format != "json":
            from chalicelib.services.delivery import NullMetrics

            return NullMetrics()
        from chalicelib.observability import EmfMetrics

        return EmfMetrics(self.settings.metrics_namespace, service="notify")

    @functools.cached_property
    def notifier(self):
        from chalicelib.persistence.keys import notice_round_id
        from chalicelib.services.delivery import RetryPolicy
        from chalicelib.services.digests import DigestFiler
        from chalicelib.services.notifications import Links, MembershipNotifier

        return MembershipNotifier(
            directory=self.repository,
            ledger=self.email_ledger,
            mailer=self.mailer,
            links=Links(self.settings.frontend_base_url),
            max_admin_emails=self.settings.max_admin_emails,
            retry=RetryPolicy(
                self.settings.mail_send_attempts,
                self.settings.mail_retry_base_seconds,
                self.settings.mail_retry_cap_seconds,
            ),
            reserve_seconds=self.settings.stream_time_reserve_seconds,
            sleep=self.sleep,
            metrics=self.metrics,
            notice_round_id=lambda notice: notice_round_id(notice.user_id, notice.kind, notice.key),
            unsubscribe=self.unsubscribe_links,
            digests=DigestFiler(
                self.preferences_repository, self.settings.digest_hour_utc, lambda: self.clock(), self.metrics
            ),
        )


@functools.cache
def container() -> Container:
    return Container(get_settings())
