"""checkov, the IaC security scanner, in a virtualenv of its own.

checkov pins boto3 and about ninety other packages to versions the application
cannot use, so it is installed apart, from ``infra/requirements-checkov.lock`` (every
package pinned with its hashes by ``make lock``), into ``.local/checkov-venv`` (rebuilt
when that file changes). It runs offline: no download of Prisma Cloud mappings, and
therefore no severities; the infrastructure tests hold every failed check, whatever its
severity, as a finding to fix or to skip in the template with a written reason.

``python -m infra.checkov ARGS...`` runs checkov with ARGS (building it first), e.g.
``python -m infra.checkov --framework cloudformation --skip-download -f infra/template.yaml``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

from infra.stages import PROJECT_DIR

REQUIREMENTS = Path(__file__).resolve().parent / "requirements-checkov.lock"
VENV_DIR = PROJECT_DIR / ".local" / "checkov-venv"


def _fingerprint() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def ensure(venv_dir: Path = VENV_DIR) -> Path:
    """Build the virtualenv if it is missing or stale; return its checkov executable."""
    executable = venv_dir / "bin" / "checkov"
    stamp = venv_dir / ".requirements-sha256"
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    # Two test runs at once must not build (and wipe) the same virtualenv.
    with open(venv_dir.parent / f".{venv_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if executable.exists() and stamp.exists() and stamp.read_text() == _fingerprint():
            return executable
        venv.EnvBuilder(clear=True, with_pip=True).create(venv_dir)
        subprocess.run(  # noqa: S603
            [
                str(venv_dir / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--require-hashes",
                "-r",
                str(REQUIREMENTS),
            ],
            check=True,
        )
        stamp.write_text(_fingerprint())
    return executable


def scan(templates: list[Path], venv_dir: Path = VENV_DIR) -> dict[str, Any]:
    """Scan ``templates`` as CloudFormation; return checkov's JSON report."""
    command = [
        str(ensure(venv_dir)),
        "--framework",
        "cloudformation",
        "--skip-download",
        "--output",
        "json",
        "--soft-fail",
    ]
    for template in templates:
        command += ["--file", str(template)]
    result = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    report = json.loads(result.stdout)
    # One framework gives one report; checkov answers a list only for several.
    return report[0] if isinstance(report, list) else report


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    sys.exit(subprocess.run([str(ensure()), *args], check=False).returncode)  # noqa: S603


if __name__ == "__main__":
    main()
