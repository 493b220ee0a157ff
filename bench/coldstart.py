"""Cold starts as Lambda sees them: the package ``infra/package.py`` builds (``chalice
package``, then the bytecode it adds), unpacked into a read-only folder, imported by fresh
interpreters that cannot write bytecode (``PYTHONDONTWRITEBYTECODE=1``) and see nothing
but the package and the standard library (``-S``: no site-packages).

Each function's path is what its first invocation imports before its first AWS call;
its floor is the libraries it cannot do without, imported the same way.
"""

from __future__ import annotations

import stat
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_MARK = "--bench-imports--"

# Each function's path, with its resource in the packaged template and the module of its
# handler there, which the path imports first (run() checks both): app.app and app.notify
# import app.py; the authorizer, declared on a blueprint, is
# chalicelib.api.auth.jwt_authorizer and never imports app.py and its routes.
FUNCTIONS = {
    "API (app + first request)": ("APIHandler", "app"),
    "authorizer (auth module + token check)": ("JwtAuthorizer", "chalicelib.api.auth"),
    "stream (app + notifier)": ("Notify", "app"),
}
# What each function imports before its first AWS call.
PATHS = {
    "API (app + first request)": (
        "import app\n"
        "from chalicelib.bootstrap import container\n"
        "c = container(); c.organizations; c.membership_requests\n"
    ),
    "API, app.py alone": "import app\n",
    "authorizer (auth module + token check)": (
        "import chalicelib.api.auth\n"
        "from chalicelib.bootstrap import container\n"
        "from chalicelib.tokens import verify_token\n"
        "c = container(); c.signing_keys; c.token_policy\n"
    ),
    "stream (app + notifier)": (
        "import app\n"
        "from chalicelib.bootstrap import container\n"
        "c = container(); c.aws.__dict__['sesv2'] = None  # the client itself is not an import\n"
        "import botocore.config, botocore.session\n"
        "c.notifier\n"
    ),
}
FLOORS = {
    "API (app + first request)": (
        "chalice, pynamodb (botocore), jwt",
        "import chalice, pynamodb.models, jwt\n",
    ),
    "API, app.py alone": ("chalice, pynamodb (botocore), jwt", "import chalice, pynamodb.models, jwt\n"),
    "authorizer (auth module + token check)": ("chalice, jwt", "import chalice, jwt\n"),
    # The logs are Lambda's runtime's JSON (chalicelib/observability.py): Powertools is
    # here for the EMF metrics, and its package loads its own logger with them anyway.
    "stream (app + notifier)": (
        "chalice, pynamodb (botocore), jinja2, powertools metrics",
        "import chalice, pynamodb.models, jinja2\nfrom aws_lambda_powertools.metrics import Metrics\n",
    ),
}
# Libraries a path should not load (the API path needs no template, email or JWT code;
# neither the API nor the authorizer needs Powertools for their JSON logs).
ABSENT = {
    "API (app + first request)": ("jinja2", "jwt", "cryptography", "boto3", "aws_lambda_powertools"),
    "authorizer (auth module + token check)": (
        "pynamodb",
        "botocore",
        "jinja2",
        "boto3",
        "aws_lambda_powertools",
    ),
    "stream (app + notifier)": ("jwt", "cryptography", "boto3"),
}


@dataclass
class Timing:
    wall_ms: list[float] = field(default_factory=list)
    importtime_ms: list[float] = field(default_factory=list)
    modules: set[str] = field(default_factory=set)

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_ms)

    @property
    def importtime(self) -> float:
        return statistics.median(self.importtime_ms)


@dataclass
class Variant:
    """One way of packaging: as ``chalice package`` leaves it, or with bytecode."""

    name: str
    paths: dict[str, Timing]
    floors: dict[str, Timing]

    def ratio(self, path: str) -> float:
        return self.paths[path].wall / self.floors[path].wall


@dataclass
class ColdStarts:
    zip_mb: float
    zip_with_bytecode_mb: float
    variants: list[Variant]
    runs: int

    @property
    def shipped(self) -> Variant:
        return self.variants[-1]

    @property
    def worst(self) -> tuple[str, float]:
        """The function whose shipped cold start is furthest above its floor, and by how much."""
        return max(((path, self.shipped.ratio(path)) for path in FUNCTIONS), key=lambda item: item[1])


def _environment(folder: Path) -> dict[str, str]:
    # What Lambda gives a function, and the settings Chalice's config would add.
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(folder),
        "AWS_REGION": "eu-west-3",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_LAMBDA_FUNCTION_NAME": "adhesion",
        "AWS_ACCESS_KEY_ID": "cold",
        "AWS_SECRET_ACCESS_KEY": "cold",
        "TABLE_NAME": "adhesion-dev",
        "MAIL_SENDER": "no-reply@adhesion.test",
        "JWT_ISSUER": "https://issuer.adhesion.test",
        "JWT_AUDIENCES": "web",
        "LOG_FORMAT": "json",
    }


def _run(folder: Path, code: str, importtime: bool) -> tuple[float, str]:
    timed = (
        "import time, sys\n"
        f"sys.stderr.write({_MARK!r} + '\\n')\n"
        "_started = time.perf_counter()\n" + code + "print((time.perf_counter() - _started) * 1000)\n"
    )
    command = [sys.executable, "-S", *(["-X", "importtime"] if importtime else []), "-c", timed]
    result = subprocess.run(  # noqa: S603
        command,
        cwd=folder,
        env=_environment(folder),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cold import failed:\n{code}\n{result.stderr[-2000:]}")
    return float(result.stdout.strip().splitlines()[-1]), result.stderr


def _importtime(stderr: str) -> tuple[float, set[str]]:
    """Total self time (ms) and top-level packages of the imports after the mark."""
    lines = stderr.split(_MARK, 1)[-1].splitlines()
    total, modules = 0, set()
    for line in lines:
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if self_us.isdigit():
            total += int(self_us)
            modules.add(name.split(".")[0])
    return total / 1000, modules


def _time_against_floor(folder: Path, code: str, floor: str, runs: int) -> tuple[Timing, Timing]:
    """Time a path and its floor, one process of each in turn, so that whatever else the
    machine is doing weighs on both alike and their ratio stays meaningful."""
    timings = (Timing(), Timing())
    for _ in range(runs):
        for timing, source in zip(timings, (code, floor), strict=True):
            timing.wall_ms.append(_run(folder, source, importtime=False)[0])
    for _ in range(max(3, runs // 3)):
        for timing, source in zip(timings, (code, floor), strict=True):
            total, modules = _importtime(_run(folder, source, importtime=True)[1])
            timing.importtime_ms.append(total)
            timing.modules |= modules
    return timings


def _unpack(package: Path, folder: Path, with_bytecode: bool) -> Path:
    with zipfile.ZipFile(package) as archive:
        members = [name for name in archive.namelist() if with_bytecode or "__pycache__/" not in name]
        archive.extractall(folder, members)
    for path in [folder, *folder.rglob("*")]:  # Lambda's /var/task is read-only
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return folder


def _make_writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def build_package(work: Path) -> Path:
    """``make package``'s deployment.zip, built from a copy of the project."""
    from infra.package import copy_project, package

    project = copy_project(work / "project")
    template = package("dev", work / "out", project_dir=project, region="eu-west-3")
    _check_handlers(template)
    return template.parent / "deployment.zip"


def _check_handlers(template: Path) -> None:
    from infra.template import load_template

    resources = load_template(template)["Resources"]
    for path, (logical_id, module) in FUNCTIONS.items():
        handler = resources[logical_id]["Properties"]["Handler"]
        if handler.rpartition(".")[0] != module or not PATHS[path].startswith(f"import {module}\n"):
            raise RuntimeError(f"{path} does not start from {handler}, the function's handler")


def run(runs: int = 11) -> ColdStarts:
    with tempfile.TemporaryDirectory(prefix="adhesion-cold-") as work_dir:
        work = Path(work_dir)
        package = build_package(work)
        with zipfile.ZipFile(package) as archive:
            source_bytes = sum(
                info.compress_size for info in archive.infolist() if "__pycache__/" not in info.filename
            )
        variants = []
        try:
            for name, with_bytecode in (
                ("as chalice package builds it (no bytecode)", False),
                ("shipped: with bytecode (infra/package.py)", True),
            ):
                folder = _unpack(package, work / ("pyc" if with_bytecode else "source"), with_bytecode)
                timed = {
                    path: _time_against_floor(folder, code, FLOORS[path][1], runs)
                    for path, code in PATHS.items()
                }
                variants.append(
                    Variant(
                        name,
                        {path: timing for path, (timing, _) in timed.items()},
                        {path: floor for path, (_, floor) in timed.items()},
                    )
                )
        finally:
            for folder in (work / "source", work / "pyc"):
                if folder.exists():
                    _make_writable(folder)
        return ColdStarts(
            zip_mb=source_bytes / 1e6,
            zip_with_bytecode_mb=package.stat().st_size / 1e6,
            variants=variants,
            runs=runs,
        )


def unexpected_imports(cold: ColdStarts) -> Iterator[tuple[str, str]]:
    """(path, library) pairs where a path loaded a library it should not need."""
    for path, libraries in ABSENT.items():
        loaded = cold.shipped.paths[path].modules
        for library in libraries:
            if library in loaded:
                yield path, library
