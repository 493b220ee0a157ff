"""Shared fixtures: fake credentials, a token issuer with its JWKS on 127.0.0.1,
moto with the table built from infra/template.yaml and a verified SES sender, and
the Chalice test client."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.issuer import AUDIENCE, ISSUER, Issuer
from tests.factories import Flows, User, build_world, stored, table_items

REGION = "eu-west-3"
TABLE = "adhesion-test"
SENDER = "no-reply@adhesion.test"
FRONTEND = "https://adhesion.test"
# The web console's origin: the one origin the API lets read its answers (CORS).
CONSOLE = "https://console.adhesion.test"
# Where the unsubscribe links of admin emails point, and the secret that signs them.
API = "https://api.adhesion.test"
UNSUBSCRIBE_SECRET = "adhesion-test-unsubscribe"

_issuer = Issuer()


def pytest_configure(config):
    from devstack.emulator import serialize_dynamodb_requests

    serialize_dynamodb_requests()
    jwks_url = _issuer.start()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "TABLE_NAME": TABLE,
            "JWT_ISSUER": ISSUER,
            "JWKS_URL": jwks_url,
            "JWT_AUDIENCES": AUDIENCE,
            "MAIL_SENDER": SENDER,
            "FRONTEND_BASE_URL": FRONTEND,
            "CORS_ALLOW_ORIGIN": CONSOLE,
            "API_BASE_URL": API,
            # A name: GetSecretValue takes it as it takes an ARN, and moto's ARNs are random.
            "UNSUBSCRIBE_SECRET_ARN": UNSUBSCRIBE_SECRET,
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)


def pytest_unconfigure(config):
    _issuer.stop()


@pytest.fixture(scope="session")
def issuer() -> Issuer:
    return _issuer


@dataclass
class Aws:
    stream_arn: str

    def emails(self) -> list[Any]:
        """Every message SES accepted, in order (moto keeps the HTML part as the body)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


@pytest.fixture
def aws():
    import boto3
    from moto import mock_aws

    from infra.template import create_table

    with mock_aws():
        stream_arn = create_table(boto3.client("dynamodb", region_name=REGION), TABLE)
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=UNSUBSCRIBE_SECRET, SecretString="test-unsubscribe-key-" + "k" * 43
        )
        yield Aws(stream_arn=stream_arn)


class Clock:
    """Real time that a test can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def tables():
    """The models bound once for the whole run, as the one warm container of a function
    keeps them: each binding's models create botocore clients of their own (0.1 s each).
    A test that must see its clients created binds afresh (tests/cost)."""
    from chalicelib.persistence.tables import bind

    return bind(TABLE, region=REGION)


@pytest.fixture
def container(aws, clock, tables):
    from chalicelib import bootstrap

    bootstrap.container.cache_clear()
    built = bootstrap.container()
    built.clock = clock
    built.aws.tables = tables
    yield built
    bootstrap.container.cache_clear()


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class Api:
    """Calls the app through Chalice's test client, the authorizer included."""

    def __init__(self, client) -> None:
        self._client = client

    def call(
        self,
        method: str,
        path: str,
        user: User | None = None,
        body: Any = None,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        all_headers = {"Content-Type": "application/json"} | (headers or {})
        if user is not None:
            all_headers["Authorization"] = f"Bearer {user.token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self._client.http.request(method, path, headers=all_headers, body=payload or b"")
        text = response.body.decode() if response.body else ""
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Reply(response.status_code, parsed, dict(response.headers))

    def get(self, path, user=None, **kwargs):
        return self.call("GET", path, user, **kwargs)

    def post(self, path, user=None, body=None, **kwargs):
        return self.call("POST", path, user, body=body, **kwargs)

    def put(self, path, user=None, body=None, **kwargs):
        return self.call("PUT", path, user, body=body, **kwargs)

    def delete(self, path, user=None, **kwargs):
        return self.call("DELETE", path, user, **kwargs)


@pytest.fixture
def chalice_client(container, tmp_path):
    from chalice.test import Client

    from app import app

    # An empty project dir: the tests' environment, not a stage's, configures the app.
    with Client(app, project_dir=str(tmp_path)) as client:
        yield client


@pytest.fixture
def api(chalice_client) -> Api:
    return Api(chalice_client)


@pytest.fixture
def make_user(issuer):
    def make(sub: str, locale: str = "fr", name: str | None = None, **claims: Any) -> User:
        name = name or sub.title()
        email = claims.pop("email", f"{sub}@example.org")
        token = issuer.token(sub, name=name, email=email, locale=locale, **claims)
        return User(sub=sub, name=name, email=email, locale=locale, token=token)

    return make


@pytest.fixture
def stream(aws, chalice_client):
    """Delivers what the table's stream holds to the app's stream function."""
    import boto3

    from devstack.streams import StreamReader, deliver

    # botocore routes stream calls to per-account hosts that moto's mock does not
    # intercept; the classic regional endpoint is the one it knows.
    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    reader = StreamReader(streams, aws.stream_arn)

    from app import app
    from devstack.stack import LambdaContext

    class Stream:
        def deliver(self):
            # The deployed timeout (300 s), not the test client's fixed 3 s, which a busy
            # machine can use up before a batch is through and leave records behind.
            return deliver(reader, lambda event: app.handler_map["notify"](event, LambdaContext()))

    return Stream()


@pytest.fixture
def flows(api):
    return Flows(api)


@pytest.fixture
def world(flows, make_user):
    """One organization with an admin, an editor and a pending request; an outsider;
    and a second organization with its own admin and a pending request."""
    return build_world(flows, make_user)


@pytest.fixture
def items(aws):
    return lambda: table_items(REGION, TABLE)


@pytest.fixture
def item(aws):
    return lambda pk, sk: stored(REGION, TABLE, pk, sk)


@pytest.fixture(scope="session")
def built_console() -> None:
    """web/dist as `make console` leaves it: built again when a source is newer (npm ci
    first when the lockfile changed), so that no test reads a stale console. Under
    `make test` it is already up to date, and this costs a glance at the files."""
    from tests.make import make

    result = make("console", timeout=900)
    if result.returncode != 0:
        pytest.fail(f"make console failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
