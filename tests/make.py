"""Running the project's make targets from a test, as a developer's shell runs them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from infra.locks import PYTHON_VERSION

ROOT = Path(__file__).resolve().parent.parent
# The Makefile's $(STAMP): the virtualenv is the one running these tests, and a test
# never installs into it (`make -o` takes the stamp as up to date).
STAMP = f".venv/.installed-{PYTHON_VERSION}"


def make(
    *arguments: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """``make ARGUMENTS`` in the project, with ``env`` (default: this process's) but not
    the flags of a `make test` this may be running under."""
    environment = {
        key: value
        for key, value in (os.environ if env is None else env).items()
        if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }
    return subprocess.run(  # noqa: S603
        ["make", "--no-print-directory", "-o", STAMP, *arguments],  # noqa: S607
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
