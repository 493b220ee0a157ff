"""The real local stack (moto server, chalice local, stream pump) on free ports,
started once for the e2e tests and stopped afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from devstack.emulator import free_port, port_is_free

ROOT = Path(__file__).resolve().parents[2]


class RunningStack:
    def __init__(self, state_dir: Path, process: subprocess.Popen, api_port: int, aws_port: int):
        self.state_dir = state_dir
        self.process = process
        self.api_port = api_port
        self.aws_port = aws_port
        self.info = json.loads((state_dir / "stack.json").read_text())

    @property
    def api_url(self) -> str:
        return self.info["api_url"]

    @property
    def console_url(self) -> str:
        return self.info["console_url"]

    @property
    def console_port(self) -> int:
        return int(self.console_url.rsplit(":", 1)[1])

    def cognito(self):
        return boto3.client(
            "cognito-idp",
            region_name=self.info["region"],
            endpoint_url=self.info["aws_endpoint_url"],
            aws_access_key_id="e2e",
            aws_secret_access_key="e2e",
        )


def stack_command(state_dir: Path, api_port: int, aws_port: int, *extra: str) -> list[str]:
    """`make run`'s command line; the console on any free port (stack.json's console_url)
    unless ``extra`` names one."""
    return [
        sys.executable,
        "-m",
        "devstack",
        "--state-dir",
        str(state_dir),
        "run",
        "--api-port",
        str(api_port),
        "--aws-port",
        str(aws_port),
        "--console-port",
        "0",
        *extra,
    ]


def clean_environment() -> dict[str, str]:
    """A developer's environment: none of the settings the tests give the app."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "TABLE_", "JWT", "JWKS", "MAIL_", "FRONTEND", "CORS_"))
    }


def start_stack(state_dir: Path, api_port: int, aws_port: int, *extra: str) -> subprocess.Popen:
    """The stack as `make run` starts it. Its output goes to a file, read at the end: a
    pipe nobody reads would fill up and stall the server mid-test."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log = (state_dir / "stack.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        stack_command(state_dir, api_port, aws_port, *extra),
        cwd=ROOT,
        env=clean_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log.close()
    return process


def _written_at(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def wait_until_running(process: subprocess.Popen, state_dir: Path, timeout: float = 120) -> None:
    """Until the stack has written stack.json (not the one an earlier, killed stack left);
    fails with its output if it does not."""
    path = state_dir / "stack.json"
    stale = _written_at(path)
    deadline = time.monotonic() + timeout
    while _written_at(path) in (None, stale):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the local stack did not start:\n{stop_stack(process, state_dir)}")
        time.sleep(0.2)


def stop_stack(process: subprocess.Popen, state_dir: Path, timeout: float = 30) -> str:
    """Ctrl-C, as a developer would; returns everything the stack printed."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    process.wait(timeout=timeout)
    return (state_dir / "stack.log").read_text()


def _stopped_cleanly(running: RunningStack) -> None:
    output = stop_stack(running.process, running.state_dir)
    # Stopping leaves nothing behind: the process ended cleanly and freed its ports.
    assert running.process.returncode == 0, output
    assert "Stopped." in output
    assert port_is_free("127.0.0.1", running.api_port) and port_is_free("127.0.0.1", running.aws_port)
    assert port_is_free("127.0.0.1", running.console_port)
    assert not (running.state_dir / "stack.json").exists()
    assert not (running.state_dir / "processes.json").exists()


@pytest.fixture(scope="session")
def seeded_stack(tmp_path_factory):
    """The stack as `make run` starts it: seeded with the demo's users and organization."""
    state_dir = tmp_path_factory.mktemp("seeded")
    api_port, aws_port = free_port(), free_port()
    process = start_stack(state_dir, api_port, aws_port)
    wait_until_running(process, state_dir)
    running = RunningStack(state_dir, process, api_port, aws_port)
    yield running
    _stopped_cleanly(running)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("stack")
    api_port, aws_port = free_port(), free_port()
    process = start_stack(state_dir, api_port, aws_port, "--no-seed")
    wait_until_running(process, state_dir)
    running = RunningStack(state_dir, process, api_port, aws_port)
    yield running
    _stopped_cleanly(running)
