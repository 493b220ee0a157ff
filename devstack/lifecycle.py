"""How ``make run`` ends, and how the next one knows what an earlier one left.

- Ctrl-C, SIGTERM and a hangup (a closed terminal) stop the stack alike. Each handler is
  set explicitly: a shell that starts ``make run &`` hands it SIGINT already ignored.
- ``make run`` records its processes in ``<state dir>/processes.json`` with their start
  times, so that a later run, ``make token`` or a developer can tell our own leftover
  (named, with the command that stops it) from a stranger on the port, and a process id
  reused by the system from ours.
- On Linux the stack also stops when the process that started it ends (``make`` killed
  with SIGKILL); its API server watches a pipe from the stack for the same reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PROCESSES = "processes.json"


class StopRequested(BaseException):
    """A stop signal arrived: unwind to the clean-up (a BaseException, as KeyboardInterrupt
    is, so that no ``except Exception`` on the way swallows it)."""


@contextlib.contextmanager
def stop_signals(stopping: threading.Event) -> Iterator[None]:
    """While active, the first of SIGINT, SIGTERM or SIGHUP sets ``stopping`` and raises
    :class:`StopRequested` in the main thread; later ones only set it, so that the
    clean-up (which sets it first) is not interrupted."""

    def handler(signum, frame) -> None:
        if stopping.is_set():
            return
        stopping.set()
        raise StopRequested(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)


def stop_with_parent() -> None:
    """Linux: have the kernel send this process SIGTERM when its parent (``make``, a test
    runner) ends, however it ends. Elsewhere this does nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:
        # The parent ended before the request took effect.
        os.kill(os.getpid(), signal.SIGTERM)


def start_time(pid: int) -> str | None:
    """When a process started, as the system tells it (opaque, but stable for the life of
    the process), or None when there is no such process or it has ended (a zombie)."""
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            # The command name may hold spaces or parentheses: fields start after the last ')'.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return None if fields[0] in ("Z", "X") else fields[19]
    # /proc is Linux's; ps gives the same on macOS and the BSDs.
    found = subprocess.run(  # noqa: S603
        ["ps", "-o", "lstart=", "-p", str(pid)],  # noqa: S607 (the system's ps)
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or None


@dataclass(frozen=True)
class Recorded:
    role: str  # "run" (the stack) or "api" (its API server)
    pid: int
    started: str  # start_time(pid) when recorded
    at: str  # when it was recorded, for people

    def alive(self) -> bool:
        return start_time(self.pid) == self.started

    def describe(self) -> str:
        what = "make run" if self.role == "run" else "the API server of a make run"
        return f"{what} (pid {self.pid}, started {self.at})"


def record(state_dir: Path, **pids: int) -> None:
    """Record the stack's processes (``run=…, api=…``) in the state directory."""
    at = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    entries = {role: {"pid": pid, "started": start_time(pid), "at": at} for role, pid in pids.items() if pid}
    temporary = state_dir / f"{PROCESSES}.tmp"
    temporary.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    temporary.replace(state_dir / PROCESSES)


def recorded(state_dir: Path) -> list[Recorded]:
    try:
        entries = json.loads((state_dir / PROCESSES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    found = []
    for role, entry in entries.items():
        with contextlib.suppress(KeyError, TypeError, ValueError):
            found.append(Recorded(role, int(entry["pid"]), str(entry["started"]), str(entry["at"])))
    return found


def alive(state_dir: Path, grace: float = 5.0) -> list[Recorded]:
    """The processes an earlier ``make run`` with this state directory started that are
    still running (not merely a process that got one of their ids since). An API server
    whose stack is gone gets ``grace`` seconds to notice and end by itself."""
    deadline = time.monotonic() + grace
    while True:
        found = [process for process in recorded(state_dir) if process.pid != os.getpid() and process.alive()]
        if not found or any(process.role == "run" for process in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def leftover_advice(processes: list[Recorded]) -> str:
    """Who they are and how to stop them, in one sentence."""
    run = next((process for process in processes if process.role == "run"), None)
    if run is not None:
        return (
            f"an earlier {run.describe()} is still running: "
            f"stop it with Ctrl-C where it runs, or kill {run.pid}"
        )
    names = "; ".join(process.describe() for process in processes)
    pids = " ".join(str(process.pid) for process in processes)
    return f"{names} outlived it: stop it with kill {pids}"


def forget(state_dir: Path) -> None:
    (state_dir / PROCESSES).unlink(missing_ok=True)
