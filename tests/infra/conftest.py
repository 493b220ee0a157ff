"""Fixtures of the infrastructure checks: the application packaged once per test
session (per stage, from one copy of the project, so Chalice downloads the Lambda
wheels once), and the packaged templates parsed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.package import copy_project, package
from infra.stages import STAGES
from infra.template import load_template

# The region the packaging and the rehearsal pretend to deploy to.
REGION = "eu-west-3"


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> Callable[[str], Path]:
    """``packaged(stage)``: the SAM template of ``stage`` as ``make package`` writes it."""
    root = tmp_path_factory.mktemp("package")
    project = copy_project(root / "project")
    templates: dict[str, Path] = {}

    def get(stage: str) -> Path:
        if stage not in templates:
            templates[stage] = package(stage, root / stage, project_dir=project, region=REGION)
        return templates[stage]

    return get


@pytest.fixture(scope="session", params=STAGES)
def stage(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def sam(packaged, stage) -> dict[str, Any]:
    """The packaged SAM template of ``stage``, parsed (CloudFormation tags kept as dicts)."""
    return load_template(packaged(stage))


@pytest.fixture(scope="session")
def stateful() -> dict[str, Any]:
    return load_template()
