"""The Chalice stages of ``.chalice/config.json``, read the same way by the deployment
targets (``infra/deploy.mk``) and by the infrastructure tests.

Run ``python -m infra.stages mail-domain STAGE`` for the domain a stage sends email
from: the stateful stack's ``MailDomain`` parameter, so that it is written in one
place only (the stage's ``MAIL_SENDER``). ``console-origin STAGE`` likewise gives the
application stack's ``ConsoleOrigin`` parameter (the stage's ``CORS_ALLOW_ORIGIN``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHALICE_DIR = PROJECT_DIR / ".chalice"
STAGES = ("dev", "prod")
# The Lambda functions of app.py, by their Chalice names.
FUNCTIONS = ("api_handler", "jwt_authorizer", "notify")


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
    """The web console's origin in ``stage``, as the application reads it."""
    from chalicelib.config import Settings

    origin = Settings.from_env(environment(stage, chalice_dir)).cors_allow_origin
    if not origin:
        raise ValueError(f"stage {stage!r} has no CORS_ALLOW_ORIGIN in .chalice/config.json")
    return origin


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
    value = mail_domain(args.stage) if args.what == "mail-domain" else console_origin(args.stage)
    sys.stdout.write(value + "\n")


if __name__ == "__main__":
    main()
