"""Packages the application for one stage: ``chalice package`` with
``infra/app-merge.yaml`` merged in, giving ``<out>/sam.yaml`` and ``<out>/deployment.zip``.

``make package STAGE=...`` and the infrastructure tests both package through here, so
what is tested is what is deployed. Run ``python -m infra.package STAGE OUT_DIR``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from infra.stages import PROJECT_DIR, STAGES, app_setting_names

MERGE_TEMPLATE = Path(__file__).resolve().parent / "app-merge.yaml"
# What the Lambda deployment package is built from; nothing else of the repository
# is needed to package (Chalice adds the dependencies of requirements.txt).
SOURCES = ("app.py", "chalicelib", "requirements.txt")


def copy_project(dest: Path, project_dir: Path = PROJECT_DIR) -> Path:
    """Copy what packaging reads into ``dest``, so that a build (and Chalice's cache of
    downloaded wheels under .chalice/deployments) can live outside the work tree."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        source = project_dir / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / name)
    (dest / ".chalice").mkdir(exist_ok=True)
    for source in (project_dir / ".chalice").glob("*.json"):
        shutil.copy2(source, dest / ".chalice" / source.name)
    return dest


def _environment(region: str | None) -> dict[str, str]:
    # `chalice package` imports app.py; the application's own settings must come from
    # the stage's config, never from whatever the operator's shell happens to hold.
    # The region stays: Chalice needs one (the AWS CLI's, by default) to name services.
    dropped = app_setting_names() - {"AWS_REGION", "AWS_DEFAULT_REGION"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    if region:
        env["AWS_DEFAULT_REGION"] = region
    elif "AWS_REGION" in env and "AWS_DEFAULT_REGION" not in env:
        env["AWS_DEFAULT_REGION"] = env["AWS_REGION"]
    return env


def package(stage: str, out_dir: Path, project_dir: Path = PROJECT_DIR,
            region: str | None = None) -> Path:
    """Package ``stage``; return the path of the SAM template written in ``out_dir``."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    command = [
        sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
        "--project-dir", str(project_dir),
        "package", "--stage", stage, "--merge-template", str(MERGE_TEMPLATE), str(out_dir),
    ]
    subprocess.run(command, check=True, cwd=project_dir, env=_environment(region))  # noqa: S603
    return out_dir / "sam.yaml"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--region", help="Defaults to the AWS CLI's configured region.")
    args = parser.parse_args(argv)
    package(args.stage, args.out_dir.resolve(), region=args.region)


if __name__ == "__main__":
    main()
