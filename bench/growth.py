"""Ask latency through the local stack as its table grows: with about 50 items, then with
10,000.

The stack is ``make run``'s, from devstack's own parts: the emulator (in this process),
the resources provisioned from infra/template.yaml, the API server (a child process, the
real JWT authorizer on every request) and the stream pump, which emails the admin of each
new request as the asks go on. Asks are made one after the other over HTTP, each by a
different user, on an organization with one admin; then the table is filled with other
organizations (members, pending requests and their locks, built with the application's
own item builders, ``bench.seed``, and written straight into the emulator) and as many
asks are made again. ``growth`` is the ratio of the two medians: what moto's whole-table
copy before each transaction once made 20 times larger at 1,000 items.

Run in its own process: ``python -m bench.growth OUT.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HOST = "127.0.0.1"
SMALL, LARGE = 50, 10_000
logger = logging.getLogger("bench.growth")


@dataclass
class Phase:
    items_before: int
    items_after: int
    asks: int
    p50_ms: float
    p90_ms: float


@dataclass
class Growth:
    small: Phase
    large: Phase
    seconds: float

    @property
    def ratio(self) -> float:
        return self.large.p50_ms / self.small.p50_ms


class Stack:
    """The local stack, its admin and organization, and users ready to ask."""

    def start(self) -> None:
        import os

        import boto3

        from devstack.emulator import Emulator, free_port
        from devstack.provision import provision
        from devstack.stack import (
            MAIL_DOMAIN,
            REGION,
            STAGE,
            Pump,
            app_environment,
            start_api,
            wait_for_health,
        )

        self.emulator = Emulator(HOST, free_port())
        self.emulator.start()
        session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
        self.stack = provision(session, self.emulator.endpoint, REGION, STAGE, MAIL_DOMAIN)
        environment = app_environment(self.stack, "http://localhost:3000")
        os.environ.update(environment)
        self.port = free_port()
        self.api = start_api(
            HOST, self.port, environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.pump = Pump(self.stack, session)
        self.pump.start()
        wait_for_health(f"http://{HOST}:{self.port}", self.api)
        self.cognito = session.client("cognito-idp", region_name=REGION, endpoint_url=self.emulator.endpoint)
        self.tokens: dict[str, str] = {}

    def stop(self) -> None:
        from devstack.stack import stop_api

        if getattr(self, "api", None) is not None:
            stop_api(self.api)
        if getattr(self, "pump", None) is not None:
            self.pump.stop()
        if getattr(self, "emulator", None) is not None:
            self.emulator.stop()

    def user(self, name: str) -> str:
        from devstack.stack import create_user, sign_in

        email = f"{name}@example.org"
        _, password = create_user(self.cognito, self.stack, f"User {name}", email, "fr")
        self.tokens[name] = sign_in(self.cognito, self.stack.to_json(), email, password)
        return name

    def call(self, method: str, path: str, user: str, body, expect: int) -> tuple[float, dict]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.tokens[user]}"}
        started = time.perf_counter()
        connection.request(method, path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return elapsed, json.loads(payload)

    def items(self) -> int:
        from devstack import emulator

        return emulator.item_count(self.stack.table_name, self.stack.region)

    def seed_to(self, total: int) -> None:
        """Other organizations' items, written straight into the emulator, up to ``total``."""
        from bench import seed
        from devstack import emulator

        number = 0x100
        while (missing := total - self.items()) > 0:
            org = seed.organization(number, members=min(300, missing), pending=0, admins=1)
            emulator.put_items(self.stack.table_name, org.items[:missing], self.stack.region)
            number += 1


def run(asks: int) -> Growth:
    stack = Stack()
    started = time.perf_counter()
    try:
        stack.start()
        admin = stack.user("admin")
        people = [stack.user(f"asker{i:04d}") for i in range(2 * asks + 5)]
        logger.info("%d users in %.1f s", len(people) + 1, time.perf_counter() - started)
        _, org = stack.call("POST", "/organizations", admin, {"name": "Croissance"}, 201)
        _, warm = stack.call("POST", "/organizations", admin, {"name": "Échauffement"}, 201)
        comment = {"comment": "Je souhaite contribuer aux données de l'organisation."}
        for person in people[-5:]:  # warm up the API server (its first requests import the app)
            stack.call("POST", f"/organizations/{warm['id']}/membership-requests", person, comment, 201)
        stack.pump.drain()

        def phase(askers: list[str], size: int) -> Phase:
            stack.seed_to(size)
            before = stack.items()
            times = []
            for person in askers:
                elapsed, _ = stack.call(
                    "POST", f"/organizations/{org['id']}/membership-requests", person, comment, 201
                )
                times.append(elapsed * 1000)
            stack.pump.drain()
            deciles = statistics.quantiles(times, n=10)
            logger.info("%d asks from %d items: median %.1f ms", len(times), before, statistics.median(times))
            return Phase(before, stack.items(), len(times), statistics.median(times), deciles[8])

        small = phase(people[:asks], SMALL)
        large = phase(people[asks : 2 * asks], LARGE)
    finally:
        stack.stop()
    return Growth(small, large, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the results (JSON)")
    parser.add_argument("--asks", type=int, default=60, help="asks per table size")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("bench").setLevel(logging.INFO)
    # A SIGTERM unwinds like an exception, so that the API server and the emulator are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    growth = run(args.asks)
    logger.info("local stack growth: %.2f", growth.ratio)
    args.out.write_text(json.dumps(asdict(growth) | {"ratio": growth.ratio}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
