"""Where `python -m ops` takes its settings: the deployed environment, or the local stack."""

from __future__ import annotations

import json
import os

import pytest

from chalicelib.config import Settings
from devstack.provision import LocalStack
from ops.settings import VARIABLES, ConfigurationMissing, from_environment, from_local_stack

EMULATOR = "http://127.0.0.1:5999"
QUEUE = f"{EMULATOR}/123456789012/adhesion-dev-notify-failures"


def _stack_json(**overrides) -> dict:
    """What `make run` writes to stack.json (devstack.stack.run)."""
    stack = LocalStack(
        aws_endpoint_url=EMULATOR,
        region="eu-west-3",
        stage="dev",
        table_name="adhesion-dev",
        table_stream_arn="arn:aws:dynamodb:eu-west-3:123456789012:table/adhesion-dev/stream/1",
        failure_queue_url=QUEUE,
        failure_queue_arn="arn:aws:sqs:eu-west-3:123456789012:adhesion-dev-notify-failures",
        user_pool_id="eu-west-3_abc",
        user_pool_client_id="client",
        jwt_issuer="https://issuer",
        jwks_url="https://issuer/jwks",
        mail_sender="no-reply@adhesion.localhost",
        mail_configuration_set="adhesion-dev",
    )
    return (
        stack.to_json()
        | {"api_url": "http://127.0.0.1:8999", "frontend_base_url": "http://127.0.0.1:8999"}
        | (overrides)
    )


def test_each_variable_ops_names_is_the_one_chalicelib_config_reads():
    for attribute, variable in VARIABLES.items():
        assert getattr(Settings.from_env({variable: "x"}), attribute), variable
        assert not getattr(Settings.from_env({}), attribute), variable


def test_without_local_the_settings_are_the_environments():
    source = from_environment({"TABLE_NAME": "adhesion-prod", "AWS_REGION": "eu-west-3"})
    assert (source.settings.table_name, source.settings.region, source.local) == (
        "adhesion-prod",
        "eu-west-3",
        False,
    )
    source.require("table_name", "region")
    with pytest.raises(
        ConfigurationMissing, match=r"^set MAIL_SENDER, NOTIFY_FAILURE_QUEUE_URL \(or --queue-url\)"
    ):
        source.require("mail_sender", "notify_failure_queue_url")


def test_local_takes_every_setting_from_the_stack_json(tmp_path):
    # GIVEN the stack.json of a running local stack
    (tmp_path / "stack.json").write_text(json.dumps(_stack_json()))
    # WHEN ops reads it
    source = from_local_stack(tmp_path)
    # THEN the settings are the ones the local stack gives its functions
    settings = source.settings
    assert (settings.table_name, settings.region, settings.aws_endpoint_url) == (
        "adhesion-dev",
        "eu-west-3",
        EMULATOR,
    )
    assert (settings.mail_sender, settings.frontend_base_url) == (
        "no-reply@adhesion.localhost",
        "http://127.0.0.1:8999",
    )
    assert settings.notify_failure_queue_url == QUEUE
    source.require(*VARIABLES)


def test_local_credentials_are_set_only_while_the_command_runs(tmp_path, monkeypatch):
    # GIVEN an operator whose shell names a profile of their real account
    (tmp_path / "stack.json").write_text(json.dumps(_stack_json()))
    monkeypatch.setenv("AWS_PROFILE", "prod-admin")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
    source = from_local_stack(tmp_path)
    # WHEN a command runs against the local stack
    with source.applied():
        during = {name: os.environ.get(name) for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID")}
    # THEN it runs with the emulator's credentials only, and the shell's come back after
    assert during == {"AWS_PROFILE": None, "AWS_ACCESS_KEY_ID": "local"}
    assert (os.environ["AWS_PROFILE"], os.environ["AWS_ACCESS_KEY_ID"]) == ("prod-admin", "AKIAREAL")


def test_an_older_stack_json_says_to_restart_make_run(tmp_path):
    older = _stack_json()
    del older["frontend_base_url"]
    (tmp_path / "stack.json").write_text(json.dumps(older))
    with pytest.raises(ConfigurationMissing, match="lacks frontend_base_url: an older `make run` wrote it"):
        from_local_stack(tmp_path)
