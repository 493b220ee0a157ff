"""The one place that creates AWS clients, lazily: nothing is created at import time,
so emulators and mocks installed after import are honoured, and cold starts only
pay for the clients a function really uses."""
from __future__ import annotations

import functools

from chalicelib.config import Settings


class AwsClients:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @functools.cached_property
    def dynamodb(self):
        """The PynamoDB connection used for transactions (PynamoDB builds its botocore
        client from the same region and endpoint as the models' ``Meta``)."""
        from pynamodb.connection import Connection

        return Connection(region=self._settings.region or None,
                          host=self._settings.aws_endpoint_url)

    @functools.cached_property
    def sesv2(self):
        # boto3 is imported here, not at module level: the API functions never send email.
        import boto3

        return boto3.session.Session().client(
            "sesv2", region_name=self._settings.region or None,
            endpoint_url=self._settings.aws_endpoint_url)
