"""checkov finds nothing in the templates that is not explained in them.

checkov runs offline, where it knows no severities: every failed check counts, and
the only accepted exceptions are skips written in the template (``Metadata: checkov:
skip:`` with a comment saying why). See infra/checkov.py for why it has its own
virtualenv.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from infra import checkov
from infra.stages import STAGES
from infra.template import TEMPLATE_PATH

CONTROL = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: unencrypted\n"


@pytest.fixture(scope="module")
def scanned(packaged, tmp_path_factory) -> dict[str, Any]:
    """One checkov run over every template, and a control template with a known finding."""
    control = tmp_path_factory.mktemp("scan") / "control.yaml"
    control.write_text(CONTROL, encoding="utf-8")
    templates = {
        "stateful": TEMPLATE_PATH,
        **{stage: packaged(stage) for stage in STAGES},
        "control": control,
    }
    report = checkov.scan(list(templates.values()))
    results: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    by_path = {str(path.resolve()): name for name, path in templates.items()}
    for outcome in ("passed_checks", "failed_checks", "skipped_checks"):
        for check in report.get("results", {}).get(outcome, []):
            name = by_path[str(Path(check["file_abs_path"]).resolve())]
            results[name][outcome].append(check)
    return {"results": results, "parsing_errors": report.get("results", {}).get("parsing_errors", [])}


def _describe(checks: list[dict]) -> list[str]:
    return [f"{c['check_id']} {c['check_name']} on {c['resource']}" for c in checks]


def test_every_template_is_read_and_checked(scanned):
    assert scanned["parsing_errors"] == []
    for name in ("stateful", *STAGES):
        assert len(scanned["results"][name]["passed_checks"]) >= 5, name


@pytest.mark.parametrize("name", ["stateful", *STAGES])
def test_no_check_fails(scanned, name):
    assert _describe(scanned["results"][name]["failed_checks"]) == []


@pytest.mark.parametrize("name", ["stateful", *STAGES])
def test_every_skipped_check_says_why(scanned, name):
    for check in scanned["results"][name]["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment") or ""
        assert len(reason.split()) >= 8, f"{check['check_id']} on {check['resource']}: {reason!r}"


def test_scanner_reports_the_controls_finding(scanned):
    # A control: an unencrypted queue is reported, so an empty report above means
    # the templates are clean, not that nothing was looked at.
    failed = {c["check_id"] for c in scanned["results"]["control"]["failed_checks"]}
    assert "CKV_AWS_27" in failed
