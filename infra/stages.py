"""The Chalice stages of ``.chalice/config.json``, read the same way by the deployment
targets (``infra/deploy.mk``) and by the infrastructure tests.

Run ``python -m infra.stages mail-domain STAGE`` for the domain a stage sends email
from: the stateful stack's ``MailDomain`` parameter, so that it is written in one
place only (the stage's ``MAIL_SENDER``). ``python -m infra.stages console-origin STAGE``
gives the web console's origin in the same way: the application stack's ``ConsoleOrigin``,
from the stage's ``FRONTEND_BASE_URL``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHALICE_DIR = PROJECT_DIR / ".chalice"
STAGES = ("dev", "prod")
# The Lambda functions of app.py, by their Chalice names.
FUNCTIONS = ("api_handler", "jwt_authorizer", "notify", "schedule")
# The origin the API admits browser calls from (CORS), a setting of the API's own.
CORS_ORIGIN_SETTING = "CORS_ALLOW_ORIGIN"


def chalice_config(chalice_dir: Path = CHALICE_DIR) -> dict[str, Any]:
    return json.loads((chalice_dir / "config.json").read_text(encoding="utf-8"))


def stage_config(stage: str, chalice_dir: Path = CHALICE_DIR) -> dict[str, Any]:
    stages = chalice_config(chalice_dir)["stages"]
    if stage not in stages:
        raise ValueError(f"unknown stage {stage!r}; .chalice/config.json has {sorted(stages)}")
    return stages[stage]


def environment(stage: str, chalice_dir: Path = CHALICE_DIR) -> dict[str, str]:
    """The stage's literal environment variables (the stateful stack's values are
    imported by infra/app-merge.yaml instead)."""
    return dict(stage_config(stage, chalice_dir).get("environment_variables", {}))


def mail_domain(stage: str, chalice_dir: Path = CHALICE_DIR) -> str:
    sender = environment(stage, chalice_dir)["MAIL_SENDER"]
    local, _, domain = sender.rpartition("@")
    if not local or not domain:
        raise ValueError(f"MAIL_SENDER of stage {stage!r} is not an email address: {sender!r}")
    return domain


def console_origin(stage: str, chalice_dir: Path = CHALICE_DIR) -> str:
    """The web console's origin (``https://host``): the stage's ``FRONTEND_BASE_URL``,
    which the emails link to. The console's sign-in returns there, and the API admits
    browser calls from there only, so the API's CORS origin, when the stage sets one,
    must be the same."""
    variables = environment(stage, chalice_dir)
    url = variables.get("FRONTEND_BASE_URL", "").rstrip("/")
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.port
        or parts.path
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"FRONTEND_BASE_URL of stage {stage!r} is not an https origin (https://host): {url!r}"
        )
    cors = variables.get(CORS_ORIGIN_SETTING)
    if cors is not None and cors.rstrip("/") != url:
        raise ValueError(
            f"{CORS_ORIGIN_SETTING} of stage {stage!r} is {cors!r}, not the console's origin {url!r} "
            "(FRONTEND_BASE_URL): the API would refuse the console's calls"
        )
    return url


def policy_file(stage: str, function: str, chalice_dir: Path = CHALICE_DIR) -> Path:
    """The IAM policy file Chalice gives ``function`` in ``stage``."""
    functions = stage_config(stage, chalice_dir).get("lambda_functions", {})
    name = functions.get(function, {}).get("iam_policy_file")
    if not name:
        raise ValueError(f"{function} has no iam_policy_file in stage {stage!r}")
    return chalice_dir / name


def app_setting_names() -> frozenset[str]:
    """Every environment variable the application reads, as chalicelib/config.py asks for them."""
    from chalicelib.config import Settings

    class _Recorder(dict):
        def __init__(self) -> None:
            super().__init__()
            self.names: set[str] = set()

        def get(self, key, default=None):
            self.names.add(key)
            return default

    recorder = _Recorder()
    Settings.from_env(recorder)
    return frozenset(recorder.names)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["mail-domain", "console-origin"])
    parser.add_argument("stage", choices=STAGES)
    args = parser.parse_args(argv)
    try:
        value = mail_domain(args.stage) if args.what == "mail-domain" else console_origin(args.stage)
    except ValueError as error:
        sys.exit(f"infra.stages: {error}")
    sys.stdout.write(value + "\n")


if __name__ == "__main__":
    main()
