"""Packages the application for one stage: ``chalice package`` with
``infra/app-merge.yaml`` merged in, giving ``<out>/sam.yaml`` and ``<out>/deployment.zip``,
to which the modules' compiled bytecode is added (see :func:`add_bytecode`).

The dependencies are ``requirements-lambda.lock``'s, installed for Lambda's platform with
their hashes checked (:func:`install_dependencies`) into the ``vendor/`` folder of a copy
of the project, which Chalice copies into the package as it is; Chalice itself resolves
nothing. Chalice takes the functions' runtime from the interpreter that packages, so this
runs on Python 3.13 only (``make package`` finds one).

``make package STAGE=...`` and the infrastructure tests both package through here, so
what is tested is what is deployed. Run ``python -m infra.package STAGE OUT_DIR``.
"""

from __future__ import annotations

import argparse
import compileall
import logging
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from infra.locks import LAMBDA, LAMBDA_PLATFORM, PYTHON_VERSION, uv
from infra.stages import PROJECT_DIR, STAGES, app_setting_names
from infra.template import load_template

logger = logging.getLogger(__name__)

MERGE_TEMPLATE = Path(__file__).resolve().parent / "app-merge.yaml"
# The application's own code; its dependencies come from the Lambda lock.
SOURCES = ("app.py", "chalicelib")
RUNTIME = f"python{PYTHON_VERSION}"


def copy_project(dest: Path, project_dir: Path = PROJECT_DIR) -> Path:
    """Copy what packaging reads into ``dest``, with the dependencies installed into
    ``dest/vendor``, so that a build can live outside the work tree. There is no
    requirements.txt in the copy: Chalice packages ``vendor/`` and downloads nothing."""
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
    install_dependencies(project_dir / LAMBDA.path, dest / "vendor")
    return dest


def install_dependencies(lock: Path, target: Path) -> None:
    """Install every package of ``lock`` into ``target`` as Lambda's runtime needs them:
    built for its platform (manylinux, cp313) whatever this machine is, at the locked
    versions with their hashes checked, from wheels only (nothing is compiled here), and
    without bytecode (:func:`add_bytecode` adds it to the whole package)."""
    command = [
        uv(),
        "pip",
        "install",
        "--quiet",
        "--no-config",
        "--target",
        str(target),
        "--python-version",
        PYTHON_VERSION,
        "--python-platform",
        LAMBDA_PLATFORM,
        "--require-hashes",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--requirements",
        str(lock),
    ]
    subprocess.run(command, check=True)  # noqa: S603
    # uv's own lock file, and console scripts (jmespath's jp.py): nothing imports them,
    # and they would sit at the root of the package.
    (target / ".lock").unlink(missing_ok=True)
    shutil.rmtree(target / "bin", ignore_errors=True)


def configured_region(explicit: str | None = None) -> str | None:
    """The region Chalice will package for: ``explicit``, else the AWS CLI's own
    (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's configuration); None when
    there is none."""
    if explicit:
        return explicit
    import botocore.session

    return os.environ.get("AWS_REGION") or botocore.session.Session().get_config_variable("region")


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


def add_bytecode(zip_path: Path, runtime: str) -> bool:
    """Add the compiled bytecode of every module to the deployment package, in place.

    Lambda unpacks the package into a read-only folder: without bytecode, every cold
    start compiles each module it imports, and cannot keep the result. The bytecode is
    "unchecked-hash" (PEP 552): Python uses it without comparing the source's timestamp,
    which unpacking does not preserve; the package never changes once deployed. Only
    the interpreter version that runs the functions can use it, so nothing is added
    (False) when ``runtime`` is not this interpreter's (``python3.13``).
    """
    if runtime != f"python{sys.version_info.major}.{sys.version_info.minor}":
        return False
    with tempfile.TemporaryDirectory() as work:
        unpacked = Path(work)
        with zipfile.ZipFile(zip_path) as original:
            original.extractall(unpacked)
            entries = [(info, original.read(info)) for info in original.infolist()]
        compiled = compileall.compile_dir(
            unpacked,
            quiet=2,
            workers=0,
            stripdir=str(unpacked),
            prependdir="/var/task",
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        if not compiled:
            # A file that does not compile (a dependency's stray script) is left as it is:
            # it fails only if imported, exactly as it would without bytecode.
            logger.warning("some files of %s do not compile; they ship as source", zip_path.name)
        rebuilt = zip_path.with_suffix(".tmp")
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as package_zip:
            for info, data in entries:
                package_zip.writestr(info, data)
            for pyc in sorted(unpacked.rglob("__pycache__/*.pyc")):
                package_zip.write(pyc, pyc.relative_to(unpacked).as_posix())
        rebuilt.replace(zip_path)
    return True


def _runtime(sam_template: Path) -> str:
    """The functions' runtime; Chalice gives every function the same one."""
    resources = load_template(sam_template)["Resources"].values()
    runtimes = {
        resource["Properties"]["Runtime"]
        for resource in resources
        if resource["Type"] == "AWS::Serverless::Function"
    }
    if len(runtimes) != 1:
        raise ValueError(f"expected one runtime in {sam_template}, found {sorted(runtimes)}")
    return runtimes.pop()


def package(stage: str, out_dir: Path, project_dir: Path, region: str | None = None) -> Path:
    """Package ``stage`` from ``project_dir``, a copy made by :func:`copy_project`;
    return the path of the SAM template written in ``out_dir``."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    if sys.version_info[:2] != tuple(int(part) for part in PYTHON_VERSION.split(".")):
        raise RuntimeError(
            f"package with Python {PYTHON_VERSION}: Chalice gives the functions this Python's runtime"
        )
    if not (project_dir / "vendor").is_dir() or (project_dir / "requirements.txt").exists():
        raise ValueError(f"{project_dir} is not a copy made by copy_project()")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    command = [
        sys.executable,
        "-c",
        "import sys; from chalice.cli import main; sys.exit(main())",
        "--project-dir",
        str(project_dir),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(MERGE_TEMPLATE),
        str(out_dir),
    ]
    subprocess.run(command, check=True, cwd=project_dir, env=_environment(region))  # noqa: S603
    template = out_dir / "sam.yaml"
    if _runtime(template) != RUNTIME or not add_bytecode(out_dir / "deployment.zip", RUNTIME):
        raise RuntimeError(f"Chalice packaged for {_runtime(template)}, not {RUNTIME}")
    return template


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--region", help="Defaults to the AWS CLI's configured region.")
    args = parser.parse_args(argv)
    # Before anything is downloaded: without a region, `chalice package` would fail last.
    region = configured_region(args.region)
    if not region:
        sys.exit(
            "make package: no AWS region configured; set AWS_REGION (e.g. export AWS_REGION=eu-west-3) "
            "or run `aws configure set region <region>`"
        )
    try:
        with tempfile.TemporaryDirectory(prefix="adhesion-package-") as work:
            project = copy_project(Path(work) / "project")
            package(args.stage, args.out_dir.resolve(), project, region=region)
    except subprocess.CalledProcessError as error:
        # The command has said why above; a traceback would only bury it.
        sys.exit(f"make package: stopped (status {error.returncode}); the lines above say why")


if __name__ == "__main__":
    main()
