"""The application as the in-process benchmarks drive it: its routes through Chalice's test
client (the JWT authorizer included) and its stream function with Lambda-format batches
read from the emulator's stream, both on moto."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from bench import environment
from chalicelib.persistence import keys


class BenchError(Exception):
    """An operation did not do what the benchmark needs (a bug, not a measurement)."""


class Http:
    """Calls routes as a signed-in user (``user`` is the token's subject)."""

    def __init__(self, client, issuer) -> None:
        self._client = client
        self._issuer = issuer
        self._tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self._tokens:
            self._tokens[user] = self._issuer.token(
                user, name=f"User {user}", email=f"{user}@example.org", locale="fr"
            )
        return self._tokens[user]

    def call(
        self,
        method: str,
        path: str,
        user: str | None = None,
        body: Any = None,
        expect: int = 200,
        form: str | None = None,
    ) -> Any:
        """``form``: a form-encoded body instead of JSON (the one-click unsubscribe)."""
        headers = {
            "Content-Type": "application/json" if form is None else "application/x-www-form-urlencoded"
        }
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        payload = (
            form.encode() if form is not None else json.dumps(body).encode() if body is not None else b""
        )
        response = self._client.http.request(method, path, headers=headers, body=payload)
        if response.status_code != expect:
            raise BenchError(f"{method} {path}: {response.status_code} {response.body[:300]!r}")
        if response.headers.get("Content-Type", "").startswith("text/html"):
            return response.body.decode()
        return json.loads(response.body) if response.body else None


class Stream:
    """The table's stream, delivered to the app's ``notify`` function as Lambda would,
    after the event source mapping's filter (membership requests only)."""

    def __init__(self, app, stream_arn: str) -> None:
        import boto3

        from devstack.streams import StreamReader

        # The classic regional endpoint: the one moto's in-process mock intercepts.
        streams = boto3.client(
            "dynamodbstreams",
            region_name=environment.REGION,
            endpoint_url=f"https://streams.dynamodb.{environment.REGION}.amazonaws.com",
        )
        self._reader = StreamReader(streams, stream_arn)
        self._app = app

    def records(self) -> list[dict[str, Any]]:
        return [record for record in self._reader.read() if keys.request_key_of(record["dynamodb"]["Keys"])]

    def invoke(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        from devstack.stack import LambdaContext

        # The function's own handler with the deployed timeout (300 s), where Chalice's
        # test client would give it 3 s: a 300,000-item table makes the emulator slow.
        response = self._app.handler_map["notify"]({"Records": records}, LambdaContext())
        if (response or {}).get("batchItemFailures"):
            raise BenchError(f"the stream function reported {response['batchItemFailures']}")
        return response

    def deliver(self) -> list[dict[str, Any]]:
        records = self.records()
        if records:
            self.invoke(records)
        return records


@contextlib.contextmanager
def application(issuer, stream_arn: str) -> Iterator[tuple[Http, Stream]]:
    """A fresh container of the app (as a cold Lambda would have), its routes and stream."""
    import tempfile

    from chalice.test import Client

    from app import app

    environment.reset_application()
    with tempfile.TemporaryDirectory() as project_dir, Client(app, project_dir=project_dir) as client:
        yield Http(client, issuer), Stream(app, stream_arn)
    environment.reset_application()
