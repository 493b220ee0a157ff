"""The one place that creates AWS clients, lazily: nothing is created at import time,
so emulators and mocks installed after import are honoured, and cold starts only
pay for the clients a function really uses."""

from __future__ import annotations

import functools

from chalicelib.config import Settings


class AwsClients:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._secrets: dict[str, str] = {}

    def _client(self, service: str, **config):
        # botocore's own session, not boto3's: the clients are the same, and boto3 would
        # add its resource layer to the stream function's cold start for nothing.
        # Imported here, not at module level: the API functions never need these clients.
        from botocore.config import Config
        from botocore.session import Session

        return Session().create_client(
            service,
            region_name=self._settings.region or None,
            endpoint_url=self._settings.aws_endpoint_url,
            config=Config(**config) if config else None,
        )

    @functools.cached_property
    def dynamodb(self):
        """The PynamoDB connection used for transactions and multi-item reads."""
        from pynamodb.connection import Connection

        return Connection(region=self._settings.region or None, host=self._settings.aws_endpoint_url)

    @functools.cached_property
    def tables(self):
        """The PynamoDB models bound to the table, in the same region and at the same
        endpoint as :attr:`dynamodb`; each creates its botocore client on first use."""
        from chalicelib.persistence.tables import bind

        return bind(
            self._settings.table_name,
            region=self._settings.region or None,
            host=self._settings.aws_endpoint_url,
        )

    @functools.cached_property
    def sesv2(self):
        # One attempt per call: the notifier retries, within the stream function's time
        # budget, with its own backoff, and counts every retry (docs/reliability.md).
        return self._client("sesv2", retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5)

    @functools.cached_property
    def sqs(self):
        """The stream function's failure queue, drained by ``python -m ops redrive``."""
        return self._client("sqs")

    @functools.cached_property
    def dynamodbstreams(self):
        """The table's stream, read back by ``python -m ops redrive``. The regional
        endpoint, not the account-based one botocore derives from the stream's ARN:
        both serve the same API, and emulators only serve the regional one."""
        return self._client("dynamodbstreams", account_id_endpoint_mode="disabled")

    @functools.cached_property
    def secretsmanager(self):
        return self._client("secretsmanager", retries={"total_max_attempts": 3})

    def secret(self, secret_id: str) -> str:
        """A secret's current value, read once per container: the unsubscribe key
        changes only when an operator rotates it, and a fresh container reads it again."""
        if secret_id not in self._secrets:
            self._secrets[secret_id] = self.secretsmanager.get_secret_value(SecretId=secret_id)[
                "SecretString"
            ]
        return self._secrets[secret_id]

    @functools.cached_property
    def sts(self):
        """Who the credentials belong to: ``python -m ops`` records it with each change."""
        return self._client("sts")
