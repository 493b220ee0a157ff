"""cfn-lint passes on every template: the stateful one, the packaged application of
each stage (SAM, as deployed) and its plain CloudFormation translation.

infra/app-merge.yaml is not linted on its own: it is a fragment that names Chalice's
resources, and only makes a template once merged; the packaged templates are it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from infra.template import TEMPLATE_PATH
from tests.infra.conftest import REGION

# Besides the rehearsal's region, the one where new AWS features land first.
LINT_CONFIG = ManualArgs(regions=[REGION, "us-east-1"])


def _findings(template: Path) -> list[str]:
    return [
        f"{match.rule.id} {match.message} ({match.filename}:{match.linenumber})"
        for match in lint_file(template, LINT_CONFIG)
    ]


def test_stateful_template_passes_cfn_lint():
    assert _findings(TEMPLATE_PATH) == []


def test_packaged_template_passes_cfn_lint(packaged, stage):
    assert _findings(packaged(stage)) == []


def test_translated_template_passes_cfn_lint(translated, tmp_path):
    path = tmp_path / "translated.json"
    path.write_text(json.dumps(translated), encoding="utf-8")

    assert _findings(path) == []


def test_cfn_lint_reports_a_broken_template(tmp_path):
    # A control: the linter really reads the templates handed to it.
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "Resources:\n"
        "  Queue:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      MessageRetentionPeriod: 99999999\n",
        encoding="utf-8",
    )

    findings = _findings(broken)

    assert any("MessageRetentionPeriod" in finding or "99999999" in finding for finding in findings), findings


@pytest.fixture(scope="module")
def translated(packaged) -> dict:
    from tests.infra.rehearsal import translate

    return translate(packaged("prod"), stage="prod", region=REGION, code_uri="s3://artifacts/deployment.zip")
