"""The console's first visit: the JavaScript and CSS a browser downloads the first time it
opens the console, gzipped as a server would send them, measured by the console's own
``web/scripts/size.mjs`` on ``web/dist`` (``make bench`` builds it first). The budget is
100 KB; ``make test`` fails above it (``npm run size``), this reports it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE_SCRIPT = ROOT / "web" / "scripts" / "size.mjs"
DIST = ROOT / "web" / "dist"
BUDGET_KB = 100


class ConsoleNotBuilt(Exception):
    """No web/dist to measure, or no Node.js to measure it with."""


def first_visit(dist: Path = DIST) -> dict:
    """``{"bytes", "kb", "files": {path: gzipped bytes}}`` of the console in ``dist``."""
    node = shutil.which("node")
    if node is None:
        raise ConsoleNotBuilt("the console's size needs Node.js (node on PATH)")
    if not (dist / "index.html").is_file():
        raise ConsoleNotBuilt(f"no {dist / 'index.html'}: run make console (make bench does)")
    measured = subprocess.run(  # noqa: S603 (our own script, on our own files)
        [node, str(SIZE_SCRIPT), str(dist), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(measured.stdout)


def line(size: dict) -> str:
    """The figure as the issue asks for it, and as web/scripts/size.mjs prints it."""
    return f"console first visit: {size['kb']:g} KB gzipped"
