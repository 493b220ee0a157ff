"""``make deploy`` (infra/deploy.mk): what it runs, in which order, and that it runs
nothing against AWS unless told CONFIRM=yes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from infra.stages import PROJECT_DIR, console_origin, mail_domain
from tests.make import make

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def fake_aws(tmp_path) -> tuple[Path, Path]:
    """An `aws` that only records how it was called."""
    calls = tmp_path / "aws-calls"
    script = tmp_path / "aws"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n', encoding="utf-8")
    script.chmod(0o755)
    return script, calls


def _make(*arguments: str) -> subprocess.CompletedProcess:
    # A clean make: not the flags of a `make test` this may be running under.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    command = ["make", "--no-print-directory", *arguments]
    return subprocess.run(  # noqa: S603
        command,
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_deploy_without_confirmation_shows_the_plan_and_runs_nothing(fake_aws):
    script, calls = fake_aws

    result = _make("deploy", "STAGE=prod", f"AWS={script}")

    assert result.returncode != 0
    assert "CONFIRM=yes" in result.stderr
    plan = result.stdout
    assert "cloudformation deploy --stack-name adhesion-prod-data --template-file infra/template.yaml" in plan
    assert f"MailDomain={mail_domain('prod')}" in plan
    # The application stack's gateway errors name the stage's console origin.
    assert f"ConsoleOrigin={console_origin('prod')} " in plan.split("--stack-name adhesion-prod ")[1]
    assert plan.index("adhesion-prod-data") < plan.index("--stack-name adhesion-prod ")
    assert plan.index("--stack-name adhesion-prod ") < plan.index("infra.console publish prod")
    assert not calls.exists()


def test_deploy_needs_an_artifact_bucket_before_anything_runs(fake_aws):
    script, calls = fake_aws

    result = _make("deploy", "STAGE=dev", "CONFIRM=yes", f"AWS={script}")

    assert result.returncode != 0
    assert "ARTIFACT_BUCKET" in result.stderr
    assert not calls.exists()


def test_deploy_refuses_an_unknown_stage():
    result = _make("deploy", "STAGE=staging", "CONFIRM=yes")

    assert result.returncode != 0
    assert "STAGE must be dev or prod" in result.stderr


def test_confirmed_deploy_packages_checks_then_deploys_stateful_before_application():
    # -n prints the commands without running them (the nested make too).
    result = _make("-n", "deploy", "STAGE=dev", "CONFIRM=yes", "ARTIFACT_BUCKET=artifacts")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()

    def step(fragment: str) -> int:
        return next(i for i, line in enumerate(lines) if fragment in line)

    order = [
        step("-m infra.package dev build/dev"),
        step("cfn-lint infra/template.yaml build/dev/sam.yaml"),
        # the console is built before anything is deployed: a build that fails stops there
        step("cd web && npm ci && npm run build"),
        step("cloudformation deploy --stack-name adhesion-dev-data"),
        step("--enable-termination-protection --stack-name adhesion-dev-data"),
        step("cloudformation package --template-file build/dev/sam.yaml --s3-bucket artifacts"),
        step("cloudformation deploy --stack-name adhesion-dev --template-file build/dev/packaged.yaml"),
        # and published once both stacks are there, from their outputs
        step("-m infra.console publish dev --dist web/dist"),
    ]
    assert order == sorted(order)
    assert f"--parameter-overrides Stage=dev ConsoleOrigin={console_origin('dev')} --tags" in lines[order[-2]]


def test_deploy_passes_the_consoles_certificate_and_identity_provider_choice():
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"

    result = _make(
        "-n",
        "deploy",
        "STAGE=prod",
        "CONFIRM=yes",
        "ARTIFACT_BUCKET=artifacts",
        f"CONSOLE_CERTIFICATE_ARN={certificate}",
        "CREATE_USER_POOL=false",
    )

    assert result.returncode == 0, result.stderr
    [app] = [line for line in result.stdout.splitlines() if "--stack-name adhesion-prod " in line]
    assert (
        f"Stage=prod ConsoleOrigin={console_origin('prod')} ConsoleCertificateArn={certificate} Console=false"
        in app
    )
    [data] = [line for line in result.stdout.splitlines() if "--stack-name adhesion-prod-data " in line]
    assert "CreateUserPool=false" in data


def test_package_without_a_region_says_so_in_one_line(tmp_path):
    # GIVEN an operator's shell with no AWS region anywhere (environment, configuration)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"}
    } | {
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }

    # WHEN they package a stage
    result = make("package", "STAGE=dev", env=env)

    # THEN make stops, with one line that says what to set, before anything is built
    assert result.returncode != 0
    [line] = [line for line in result.stderr.splitlines() if not line.startswith("make: ***")]
    assert line.startswith("make package: no AWS region configured; set AWS_REGION")
    assert "Traceback" not in result.stderr + result.stdout
    assert "Creating deployment package" not in result.stdout
