"""The process environment of the in-process benchmarks: fake credentials, the table, a
token issuer on 127.0.0.1 (``devstack.issuer``, the tests' too), the sender. Set before
the app is imported (its decorators read the settings then) and its container built,
as ``tests/conftest.py`` does for the tests."""

from __future__ import annotations

import os

REGION = "eu-west-3"
TABLE = "adhesion-bench"
SENDER = "no-reply@adhesion.test"
FRONTEND = "https://adhesion.test"
API = "https://api.adhesion.test"
UNSUBSCRIBE_SECRET = "adhesion-bench-unsubscribe"  # noqa: S105 (its name, not its value)


def configure():
    """Start the issuer, set the environment; return the issuer (``.token(sub, ...)``)."""
    from devstack.issuer import AUDIENCE, ISSUER, Issuer

    issuer = Issuer()
    jwks_url = issuer.start()
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
            "API_BASE_URL": API,
            "UNSUBSCRIBE_SECRET_ARN": UNSUBSCRIBE_SECRET,
        }
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "LOG_FORMAT"):
        os.environ.pop(name, None)
    return issuer


def create_stateful_resources() -> str:
    """Inside ``mock_aws``: the table from infra/template.yaml, the verified sender and the
    key of the unsubscribe links; returns the stream's ARN."""
    import boto3

    from infra.template import create_table

    stream_arn = create_table(boto3.client("dynamodb", region_name=REGION), TABLE)
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=UNSUBSCRIBE_SECRET, SecretString="bench-unsubscribe-key-" + "k" * 42
    )
    return stream_arn


def reset_application() -> None:
    """Forget the application's collaborators and clients (its bound models included), as
    a new Lambda container would."""
    from chalicelib import bootstrap

    bootstrap.container.cache_clear()
