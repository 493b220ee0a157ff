"""The unsubscribe key comes from Secrets Manager, read on first use and once per container."""

from __future__ import annotations

from tests.conftest import UNSUBSCRIBE_SECRET


def test_the_key_is_read_once_per_container_on_first_use(container):
    # GIVEN a container that has signed nothing yet, its Secrets Manager calls counted
    calls = []
    client = container.aws.secretsmanager
    client.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **_: calls.append(1))
    assert calls == []
    # WHEN it signs two links and checks one
    links = container.unsubscribe_links
    token = links.token("alice", "0" * 32)
    links.token("bob", None)
    links.verify(token)
    # THEN the secret was read once, and it is the configured one
    assert len(calls) == 1
    assert container.settings.unsubscribe_secret_arn == UNSUBSCRIBE_SECRET


def test_a_container_without_a_configured_key_signs_no_links(container):
    from dataclasses import replace

    from chalicelib.bootstrap import Container

    bare = Container(replace(container.settings, unsubscribe_secret_arn=""))
    assert bare.unsubscribe_links is None
