"""The deployment package holds what the functions load and nothing else: the packages of
requirements-lambda.lock, at its versions, and no boto3."""

from __future__ import annotations

import re
import zipfile
from pathlib import PurePosixPath

from infra.locks import LAMBDA, normalized, pins

# A distribution's metadata folder: <name>-<version>.dist-info.
_DIST_INFO = re.compile(r"^(?P<name>[^/]+)-(?P<version>[^/-]+)\.dist-info/METADATA$")


def _shipped(packaged) -> tuple[dict[str, str], set[str]]:
    with zipfile.ZipFile(packaged("dev").parent / "deployment.zip") as package:
        names = package.namelist()
    distributions = {
        normalized(m["name"]): m["version"] for m in map(_DIST_INFO.match, names) if m is not None
    }
    top_level = {PurePosixPath(name).parts[0] for name in names}
    return distributions, top_level


def test_package_ships_exactly_the_lambda_lock(packaged):
    # GIVEN the dev stage's deployment package and the Lambda lock
    distributions, _ = _shipped(packaged)

    # THEN every locked package is in it at its locked version, and no other
    # (Chalice's own runtime module, chalice/app.py, has no metadata folder)
    assert distributions == pins(LAMBDA)


def test_boto3_is_neither_shipped_nor_locked_for_lambda(packaged):
    # The functions build their clients from botocore sessions (chalicelib/aws.py);
    # boto3 and its s3transfer would only add megabytes and cold-start time.
    distributions, top_level = _shipped(packaged)

    assert not {"boto3", "s3transfer"} & (set(distributions) | top_level)
    assert not {"boto3", "s3transfer"} & set(pins(LAMBDA))
    assert "botocore" in distributions
