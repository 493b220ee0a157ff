"""The lock files: every package, pinned with its hashes, compiled by uv from the
requirements. ``python -m infra.locks`` (``make lock``) writes them again after a
requirements file changed; ``tests/infra/test_locks.py`` fails while one is out of date.

- ``requirements-dev.lock``, from ``requirements-dev.txt``: the development and test
  environment that ``make`` installs into ``.venv`` (Python 3.13, any operating system).
- ``requirements-lambda.lock``, from ``requirements.txt``: what the functions ship, for
  Lambda's ``python3.13`` runtime (Amazon Linux 2023: glibc 2.34, x86_64), at the versions of
  the dev lock, so that the tests run the code the functions run. ``infra/package.py``
  installs it into the deployment package.
- ``infra/requirements-checkov.lock``, from ``infra/requirements-checkov.txt``: checkov's
  own virtualenv (``infra/checkov.py``).

Each lock is compiled from the previous one (uv keeps the versions it finds in the output
file), so a version changes only when a requirement asks for it; ``--upgrade-package NAME``
on the command line moves one package to its newest version that fits.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra.stages import PROJECT_DIR

logger = logging.getLogger(__name__)

PYTHON_VERSION = "3.13"
# The runtime's platform as uv names it; Chalice packages cp313 for the same glibc.
LAMBDA_PLATFORM = "x86_64-manylinux_2_34"
# What the lock files' header says to run to write them again.
COMMAND = "make lock"


@dataclass(frozen=True)
class Lock:
    path: str
    requirements: str
    options: tuple[str, ...] = ()


DEV = Lock("requirements-dev.lock", "requirements-dev.txt", ("--universal",))
LAMBDA = Lock(
    "requirements-lambda.lock",
    "requirements.txt",
    ("--python-platform", LAMBDA_PLATFORM, "--constraints", DEV.path),
)
CHECKOV = Lock("infra/requirements-checkov.lock", "infra/requirements-checkov.txt", ("--universal",))
# In this order: the Lambda lock takes its versions from the dev lock.
LOCKS = (DEV, LAMBDA, CHECKOV)


_PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)", re.MULTILINE)


def normalized(name: str) -> str:
    """A distribution's name as indexes compare it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Lock, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """The lock's packages and versions, by normalized name."""
    text = (project_dir / lock.path).read_text(encoding="utf-8")
    return {normalized(match["name"]): match["version"] for match in _PIN.finditer(text)}


def uv() -> str:
    """The uv executable of the uv package (requirements-dev.txt)."""
    from uv import find_uv_bin

    return find_uv_bin()


def compile_lock(
    lock: Lock, output: Path, project_dir: Path = PROJECT_DIR, upgrade: tuple[str, ...] = ()
) -> Path:
    """Compile ``lock`` into ``output``, starting from the committed lock's versions.

    Paths in the command are relative to ``project_dir``, as the lock's comments name
    them (``# via -r requirements.txt``); ``upgrade`` names packages to move to their
    newest version that fits."""
    committed = project_dir / lock.path
    if output.resolve() != committed.resolve() and committed.exists():
        shutil.copyfile(committed, output)
    command = [
        uv(),
        "pip",
        "compile",
        "--quiet",
        # Only the repository's own files decide: no uv.toml of this machine or user.
        "--no-config",
        # Should a package need building to read its metadata, this interpreter (3.13) builds it.
        "--python",
        sys.executable,
        "--generate-hashes",
        "--python-version",
        PYTHON_VERSION,
        "--custom-compile-command",
        COMMAND,
        *lock.options,
        *(option for name in upgrade for option in ("--upgrade-package", name)),
        lock.requirements,
        "--output-file",
        str(output),
    ]
    subprocess.run(command, check=True, cwd=project_dir)  # noqa: S603
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="move NAME to its newest version",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for lock in LOCKS:
        compile_lock(lock, PROJECT_DIR / lock.path, PROJECT_DIR, tuple(args.upgrade_package))
        logger.info("wrote %s", lock.path)


if __name__ == "__main__":
    main()
