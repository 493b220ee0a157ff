"""Where the operators' command line gets its settings: the one place in ``ops`` that
reads configuration.

- Deployed: from the environment, read by ``chalicelib.config`` exactly as the functions
  read theirs (the same variables; docs/operations.md says where each comes from), with
  the operator's own AWS credentials (``AWS_PROFILE``, SSO, environment).
- ``--local``: from the ``stack.json`` that ``make run`` writes, turned into the very
  environment the local stack gives its functions (``devstack.stack.environment_of``),
  the emulator's credentials included.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.config import Settings

#: The variable behind each setting a command may need, as ``chalicelib.config`` reads it
#: (a test checks that each one sets its setting there).
VARIABLES = {
    "table_name": "TABLE_NAME",
    "region": "AWS_REGION",
    "mail_sender": "MAIL_SENDER",
    "frontend_base_url": "FRONTEND_BASE_URL",
    "notify_failure_queue_url": "NOTIFY_FAILURE_QUEUE_URL",
}
# What a command line option may give instead.
_OR = {"notify_failure_queue_url": " (or --queue-url)"}
#: The AWS credentials the emulator takes; a profile or session token of the operator's
#: real account must not be sent there, nor mixed with them.
_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
_REAL_ACCOUNT_ONLY = ("AWS_PROFILE", "AWS_SESSION_TOKEN")


class ConfigurationMissing(Exception):
    """A setting the command needs is missing; the message says how to get it."""


@dataclass(frozen=True)
class Source:
    """The settings of one run, and where they came from (for the advice when one is missing)."""

    settings: Settings
    local: bool = False
    # stack.json, when the settings come from it.
    path: Path | None = None
    # Environment variables set while the command runs (the emulator's credentials).
    credentials: Mapping[str, str] = field(default_factory=dict)

    def require(self, *names: str) -> None:
        """Raise :class:`ConfigurationMissing`, naming every missing variable, unless each
        setting of ``names`` (``Settings`` attributes) is set."""
        missing = [VARIABLES[name] + _OR.get(name, "") for name in names if not getattr(self.settings, name)]
        if not missing:
            return
        if self.local:
            raise ConfigurationMissing(
                f"{self.path} lacks {', '.join(missing)}: an older `make run` wrote it; restart `make run`."
            )
        raise ConfigurationMissing(
            f"set {', '.join(missing)} (docs/operations.md says where each comes from); "
            "against the local stack, run `make run` and use --local."
        )

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """While the command runs, AWS credentials for botocore's chain (the only way to
        hand them to every client, PynamoDB's included); the environment as it was after."""
        if not self.credentials:
            yield
            return
        changes: dict[str, str | None] = dict.fromkeys(_REAL_ACCOUNT_ONLY) | dict(self.credentials)
        saved = {name: os.environ.get(name) for name in changes}
        try:
            _set(changes)
            yield
        finally:
            _set(saved)


def _set(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def from_environment(environ: Mapping[str, str] | None = None) -> Source:
    """The deployed settings: the process's environment, read as the functions read it."""
    return Source(Settings.from_env(os.environ if environ is None else environ))


def from_local_stack(state_dir: Path) -> Source:
    """The settings of the local stack running with ``state_dir`` (``make run``: ``.local``)."""
    from devstack.stack import StackError, environment_of, read_stack_json

    path = state_dir / "stack.json"
    try:
        environment = environment_of(read_stack_json(state_dir))
    except StackError as error:
        raise ConfigurationMissing(f"{error} Then run this command again.") from error
    except KeyError as error:
        raise ConfigurationMissing(
            f"{path} lacks {error.args[0]}: an older `make run` wrote it; restart `make run`."
        ) from error
    return Source(
        Settings.from_env(environment),
        local=True,
        path=path,
        credentials={name: environment[name] for name in _CREDENTIALS},
    )
