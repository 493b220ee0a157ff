"""How the local stack ends: every stop signal stops everything, a SIGKILL leaves no
server behind, a stop delivers what the stream holds, and a later command recognizes
what an earlier run left."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devstack.emulator import free_port, port_is_free
from devstack.outbox import read_outbox, text_of
from tests.e2e.conftest import (
    ROOT,
    RunningStack,
    clean_environment,
    stack_command,
    start_stack,
    stop_stack,
    wait_until_running,
)
from tests.e2e.test_seed_flow import call, user

ADMINS = 3
BURST = 30
LAST = 3
REVIEW_LINK = re.compile(r"/membership-requests/([0-9A-Za-z-]+)")


def _devstack(state_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [*stack_command(state_dir, 0, 0)[:5], *args],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _gone(port: int, timeout: float = 15.0) -> bool:
    """Whether nothing listens on the port any more, within the timeout."""
    deadline = time.monotonic() + timeout
    while not port_is_free("127.0.0.1", port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_a_second_run_names_the_first_still_running(stack):
    # GIVEN a running stack
    # WHEN make run is started again with its state directory and ports
    second = subprocess.run(  # noqa: S603
        stack_command(stack.state_dir, stack.api_port, stack.aws_port, "--no-seed"),
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    # THEN it refuses, naming the first one and how to stop it, without a traceback
    assert second.returncode == 2
    assert f"port {stack.api_port} on 127.0.0.1 (API) is already in use" in second.stderr
    assert f"an earlier make run (pid {stack.process.pid}, started " in second.stderr
    assert f"kill {stack.process.pid}" in second.stderr
    assert "Traceback" not in second.stderr
    # AND the first one still serves, its state untouched
    assert call(stack, "GET", "/health") == (200, {"status": "ok"})
    assert (stack.state_dir / "stack.json").exists()


def test_a_taken_console_port_gets_a_clear_message_and_starts_nothing(stack, tmp_path):
    # GIVEN the console port of a running stack
    # WHEN another make run, with its own state directory, asks for that console port
    second = subprocess.run(  # noqa: S603
        stack_command(
            tmp_path, free_port(), free_port(), "--no-seed", "--console-port", str(stack.console_port)
        ),
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    # THEN it refuses, saying which port and how to choose another, without a traceback
    assert second.returncode == 2
    assert f"port {stack.console_port} on 127.0.0.1 (console) is already in use" in second.stderr
    assert "CONSOLE_PORT=" in second.stderr
    assert "Traceback" not in second.stderr
    assert not (tmp_path / "stack.json").exists()


def test_a_killed_stack_leaves_no_server_behind_and_is_recognized_as_gone(tmp_path):
    # GIVEN a running stack
    api_port, aws_port = free_port(), free_port()
    process = start_stack(tmp_path, api_port, aws_port, "--no-seed")
    wait_until_running(process, tmp_path)
    console_port = RunningStack(tmp_path, process, api_port, aws_port).console_port

    # WHEN it is killed outright (no handler runs)
    process.kill()
    process.wait(timeout=30)

    # THEN its API server stops too and nothing listens on its ports
    assert _gone(api_port), "the API server outlived the stack"
    assert _gone(aws_port) and _gone(console_port)
    # AND make token says the stack is gone, without a traceback
    token = _devstack(tmp_path, "token", "alice")
    assert token.returncode != 0
    assert "No local stack is running" in token.stderr
    assert f"pid {process.pid}" in token.stderr
    assert "Traceback" not in token.stderr
    # AND the next make run starts afresh on the same state directory and ports
    again = start_stack(tmp_path, api_port, aws_port, "--no-seed")
    try:
        wait_until_running(again, tmp_path)
    finally:
        output = stop_stack(again, tmp_path)
    assert again.returncode == 0 and "Stopped." in output, output


def test_ctrl_c_stops_a_stack_started_in_the_background(tmp_path):
    # GIVEN a stack started with `&` by a non-interactive shell, which hands it SIGINT ignored
    api_port, aws_port = free_port(), free_port()
    pid_file = tmp_path / "pid"
    log = (tmp_path / "stack.log").open("w")
    shell = subprocess.Popen(  # noqa: S603
        [
            "/bin/sh",
            "-c",
            '"$@" & echo $! > "$PID_FILE"; wait',
            "sh",
            *stack_command(tmp_path, api_port, aws_port, "--no-seed"),
        ],
        cwd=ROOT,
        env=clean_environment() | {"PID_FILE": str(pid_file)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    wait_until_running(shell, tmp_path)
    pid = int(pid_file.read_text())

    # WHEN it gets Ctrl-C's signal
    os.kill(pid, signal.SIGINT)

    # THEN it stops everything it started
    try:
        shell.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.kill(pid, signal.SIGTERM)
        shell.wait(timeout=60)
        pytest.fail("SIGINT was ignored")
    output = (tmp_path / "stack.log").read_text()
    assert "Stopped." in output, output
    assert _gone(api_port, timeout=0) and _gone(aws_port, timeout=0)
    assert not (tmp_path / "stack.json").exists()


def test_a_hangup_stops_everything_after_emailing_what_the_stream_holds(tmp_path):
    # GIVEN a running stack whose pump is busy emailing the admins of a burst of requests
    api_port, aws_port = free_port(), free_port()
    process = start_stack(tmp_path, api_port, aws_port, "--no-seed")
    wait_until_running(process, tmp_path)
    stack = RunningStack(tmp_path, process, api_port, aws_port)
    admins = [user(stack, f"Drain Admin {i}", "en") for i in range(ADMINS)]
    status, org = call(
        stack, "POST", "/organizations", admins[0]["token"], {"name": f"Drain {uuid.uuid4().hex[:6]}"}
    )
    assert status == 201
    path = f"/organizations/{org['id']}/membership-requests"
    for admin in admins[1:]:
        _, asked = call(stack, "POST", path, admin["token"], {"comment": "Admin."})
        status, _ = call(stack, "POST", f"{path}/{asked['id']}/accept", admins[0]["token"], {"role": "admin"})
        assert status == 200
    people = [user(stack, f"Drain Person {i}", "en") for i in range(BURST + LAST)]
    ask = {"comment": "Avant l'arrêt."}
    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(lambda p: call(stack, "POST", path, p["token"], ask), people[:BURST]))
    burst = {body["id"] for _, body in answers}
    while not any(
        (link := REVIEW_LINK.search(text_of(message))) and link.group(1) in burst
        for _, message in read_outbox(tmp_path / "outbox")
    ):
        time.sleep(0.05)

    # WHEN a few more requests are answered 201, and the terminal closes (SIGHUP) at once
    answers += [call(stack, "POST", path, person["token"], ask) for person in people[BURST:]]
    process.send_signal(signal.SIGHUP)
    assert [status for status, _ in answers] == [201] * (BURST + LAST)
    process.wait(timeout=120)

    # THEN every admin was emailed about every one of those requests before the stack stopped
    output = (tmp_path / "stack.log").read_text()
    asked = {body["id"] for _, body in answers}
    links = Counter(
        (message["To"], link.group(1))
        for _, message in read_outbox(tmp_path / "outbox")
        if (link := REVIEW_LINK.search(text_of(message))) and link.group(1) in asked
    )
    expected = Counter((admin["email"], request_id) for admin in admins for request_id in asked)
    assert links == expected, f"{sum(links.values())} of {len(expected)} emails sent\n{output}"
    # AND everything stopped cleanly: exit status, ports, state files
    assert process.returncode == 0, output
    assert "Stopped." in output
    assert _gone(api_port, timeout=0) and _gone(aws_port, timeout=0)
    assert not (tmp_path / "stack.json").exists() and not (tmp_path / "processes.json").exists()


def test_a_leftover_api_server_is_named_when_its_port_is_taken(tmp_path):
    # GIVEN an API server that outlived its make run (recorded in the state directory)
    from devstack import lifecycle

    port = free_port()
    leftover = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import socket, sys, time; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); "
            "s.listen(); print('ready', flush=True); time.sleep(120)",
            str(port),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert leftover.stdout.readline().strip() == "ready"
        lifecycle.record(tmp_path, api=leftover.pid)

        # WHEN make run is started on that port
        second = subprocess.run(  # noqa: S603
            stack_command(tmp_path, port, free_port(), "--no-seed"),
            cwd=ROOT,
            env=clean_environment(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        leftover.kill()
        leftover.wait()

    # THEN it names the leftover and the command that stops it
    assert second.returncode == 2
    assert f"the API server of a make run (pid {leftover.pid}, started " in second.stderr
    assert f"outlived it: stop it with kill {leftover.pid}" in second.stderr
    assert "Traceback" not in second.stderr
