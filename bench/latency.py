"""Latency through the local stack, next to the same DynamoDB calls made directly.

The stack is the one ``make run`` assembles, from devstack's own parts: the moto server
(in this process), the table and Cognito pool provisioned from infra/template.yaml,
``chalice local`` (a child process, the real JWT authorizer on every request) and the
stream pump. Two twin datasets are built through the API. For each request of a route:

- the route is called over HTTP on the first dataset (client-side wall time);
- the same route runs in this process on the twin, with the meter recording its DynamoDB
  calls and holding back its writes; those calls are then sent again, directly, by a
  plain botocore client to the same emulator, and timed.

The ratio of the two is what the service adds to DynamoDB's own time (HTTP, Chalice,
the authorizer, validation, serialization). moto copies a whole table before each
transaction and sorts the whole table for every query (tens of ms once the table holds
thousands of items, for both paths alike); the local stack's emulator
(``devstack.emulator``) keeps a copy of the touched items instead and narrows a query to
its partition, so that the ratio measures the service rather than moto. Run in its own
process: ``python -m bench.latency OUT.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
logger = logging.getLogger("bench.latency")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    user: str | None
    body: Any = None
    expect: int = 200


@dataclass
class RouteLatency:
    route: str
    requests: int
    http_p50_ms: float
    http_p99_ms: float
    direct_p50_ms: float
    direct_p99_ms: float
    dynamodb_calls: float

    @property
    def ratio_p50(self) -> float | None:
        return self.http_p50_ms / self.direct_p50_ms if self.direct_p50_ms else None

    @property
    def ratio_p99(self) -> float | None:
        return self.http_p99_ms / self.direct_p99_ms if self.direct_p99_ms else None


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


class Bench:
    """The stack, the users, the three ways of calling (HTTP, in-process, direct)."""

    def __init__(self, requests: int) -> None:
        self.n = requests
        self.tokens: dict[str, str] = {}
        self._reads: dict[tuple, list] = {}
        self.results: list[RouteLatency] = []

    # -- the stack ------------------------------------------------------------------------

    def start(self) -> None:
        import boto3

        from bench.meter import Meter
        from devstack.emulator import Emulator, free_port
        from devstack.provision import provision
        from devstack.stack import MAIL_DOMAIN, REGION, STAGE, app_environment, start_api, wait_for_health

        self.emulator = Emulator(HOST, free_port())
        self.emulator.start()
        self.session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
        self.stack = provision(self.session, self.emulator.endpoint, REGION, STAGE, MAIL_DOMAIN)
        environment = app_environment(self.stack, "http://localhost:3000")
        os.environ.update(environment)
        # Every client created from here on is metered, the pump's and the app's included.
        self.meter = Meter().install()
        self.port = free_port()
        self.chalice = start_api(
            HOST, self.port, environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        from devstack.stack import Pump

        self.pump = Pump(self.stack, self.session)
        self.pump.start()
        wait_for_health(f"http://{HOST}:{self.port}", self.chalice)
        self.cognito = self.session.client(
            "cognito-idp", region_name=REGION, endpoint_url=self.emulator.endpoint
        )
        from botocore.session import Session

        self.direct = Session().create_client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=self.emulator.endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106
        )
        import tempfile

        from chalice.test import Client

        from app import app

        self._project = tempfile.TemporaryDirectory()
        self.inprocess = Client(app, project_dir=self._project.name)

    def stop(self) -> None:
        from devstack.stack import stop_api

        chalice = getattr(self, "chalice", None)
        if chalice is not None:
            stop_api(chalice)
        if getattr(self, "pump", None) is not None:
            self.pump.stop()
        if getattr(self, "meter", None) is not None:
            self.meter.uninstall()
        if getattr(self, "emulator", None) is not None:
            self.emulator.stop()
        if getattr(self, "_project", None) is not None:
            self._project.cleanup()

    def user(self, name: str) -> str:
        """A Cognito user signed in; returns the token's subject (its user id)."""
        from devstack.stack import create_user, sign_in

        email = f"{name}@example.org"
        sub, password = create_user(self.cognito, self.stack, f"User {name}", email, "fr")
        self.tokens[sub] = sign_in(self.cognito, self.stack.to_json(), email, password)
        return sub

    # -- the three ways of calling --------------------------------------------------------

    def http(self, request: Request) -> tuple[float, Any]:
        headers = {"Content-Type": "application/json"}
        if request.user:
            headers["Authorization"] = f"Bearer {self.tokens[request.user]}"
        body = json.dumps(request.body) if request.body is not None else None
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        started = time.perf_counter()
        connection.request(request.method, request.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status != request.expect:
            raise RuntimeError(f"{request.method} {request.path}: {response.status} {payload[:300]!r}")
        return elapsed, json.loads(payload) if payload else None

    def in_process(self, request: Request) -> Any:
        headers = {"Content-Type": "application/json"}
        if request.user:
            headers["Authorization"] = f"Bearer {self.tokens[request.user]}"
        body = json.dumps(request.body).encode() if request.body is not None else b""
        response = self.inprocess.http.request(request.method, request.path, headers=headers, body=body)
        if response.status_code != request.expect:
            raise RuntimeError(
                f"{request.method} {request.path}: {response.status_code} {response.body[:300]!r}"
            )
        return json.loads(response.body) if response.body else None

    def direct_time(self, request: Request) -> tuple[float, int]:
        """Run the route in this process with its writes held, then send its DynamoDB calls
        directly; returns (seconds of the direct calls, how many). A read-only request made
        again makes the same calls: they are recorded once."""
        from botocore import xform_name

        key = (request.method, request.path, request.user) if request.method == "GET" else None
        calls = self._reads.get(key) if key else None
        if calls is None:
            with self.meter.measure(this_thread_only=True) as measured, self.meter.holding_writes():
                self.in_process(request)
            calls = measured.dynamodb()
            if key:
                self._reads[key] = calls
        if not calls:
            return 0.0, 0
        started = time.perf_counter()
        for call in calls:
            getattr(self.direct, xform_name(call.operation))(**call.params)
        return time.perf_counter() - started, len(calls)

    # -- routes ---------------------------------------------------------------------------

    def route(self, name: str, requests: Callable[[int, str], Request]) -> list[Any]:
        """Time ``self.n`` requests of a route; ``requests(i, twin)`` builds request ``i`` for
        dataset ``"a"`` (HTTP) or ``"b"`` (direct). Returns the HTTP answers."""
        http_times, direct_times, calls, answers = [], [], [], []
        started = time.perf_counter()
        for i in range(self.n):
            elapsed, answer = self.http(requests(i, "a"))
            http_times.append(elapsed * 1000)
            answers.append(answer)
            seconds, count = self.direct_time(requests(i, "b"))
            direct_times.append(seconds * 1000)
            calls.append(count)
        self.results.append(
            RouteLatency(
                name,
                self.n,
                statistics.median(http_times),
                _p99(http_times),
                statistics.median(direct_times),
                _p99(direct_times),
                statistics.mean(calls),
            )
        )
        logger.info("%s: %d requests in %.1f s", name, self.n, time.perf_counter() - started)
        return answers

    def run(self) -> None:
        n = self.n
        started = time.perf_counter()
        admin, founder = self.user("admin"), self.user("founder")
        people = {twin: [self.user(f"{twin}{i:04d}") for i in range(n)] for twin in "ab"}
        logger.info("%d users in %.1f s", 2 * n + 2, time.perf_counter() - started)
        orgs: dict[str, dict[str, str]] = {twin: {} for twin in "ab"}
        for twin in "ab":
            for purpose in ("main", "refuse", "withdraw"):
                _, created = self.http(
                    Request("POST", "/organizations", admin, {"name": f"Organisation {twin} {purpose}"}, 201)
                )
                orgs[twin][purpose] = created["id"]
        for _ in range(5):  # warm up chalice local (its first requests import the app)
            self.http(Request("GET", f"/organizations/{orgs['a']['main']}", admin))
            self.in_process(Request("GET", f"/organizations/{orgs['b']['main']}", admin))

        def org(twin: str, purpose: str = "main") -> str:
            return f"/organizations/{orgs[twin][purpose]}"

        comment = {"comment": "Je souhaite contribuer aux données de l'organisation."}
        self.route("GET /health", lambda i, t: Request("GET", "/health", None))
        # Created by another user, so that the admin's inbox stays at the organizations above.
        self.route(
            "POST /organizations",
            lambda i, t: Request("POST", "/organizations", founder, {"name": f"Org {t} {i}"}, 201),
        )
        asked = {
            "a": self.route(
                "POST .../membership-requests (ask)",
                lambda i, t: Request("POST", f"{org(t)}/membership-requests", people[t][i], comment, 201),
            )
        }
        # The twin's requests were written by the direct replay: read their ids back.
        asked["b"] = self._pending_ids(orgs["b"]["main"], admin)
        self.route("GET /organizations/{id}", lambda i, t: Request("GET", org(t), admin))
        self.route("GET .../members", lambda i, t: Request("GET", f"{org(t)}/members", admin))
        self.route(
            "GET .../membership-requests", lambda i, t: Request("GET", f"{org(t)}/membership-requests", admin)
        )
        request_of = {"a": {a["user"]["id"]: a["id"] for a in asked["a"]}, "b": asked["b"]}
        self.route(
            "GET .../membership-requests/{id}",
            lambda i, t: Request("GET", f"{org(t)}/membership-requests/{request_of[t][people[t][i]]}", admin),
        )
        self.route(
            "GET /me/membership-requests",
            lambda i, t: Request("GET", "/me/membership-requests", people[t][i]),
        )
        self.route("GET /me/notifications", lambda i, t: Request("GET", "/me/notifications", admin))
        self.route(
            "POST .../{id}/accept",
            lambda i, t: Request(
                "POST",
                f"{org(t)}/membership-requests/{request_of[t][people[t][i]]}/accept",
                admin,
                {"role": "editor"},
            ),
        )
        self.route(
            "PUT .../members/{user}",
            lambda i, t: Request("PUT", f"{org(t)}/members/{people[t][i]}", admin, {"role": "admin"}),
        )
        self.route(
            "DELETE .../members/{user}",
            lambda i, t: Request("DELETE", f"{org(t)}/members/{people[t][i]}", admin, expect=204),
        )
        for purpose in ("refuse", "withdraw"):
            for twin in "ab":
                for person in people[twin]:
                    path = f"{org(twin, purpose)}/membership-requests"
                    self.http(Request("POST", path, person, comment, 201))
        pending = {t: self._pending_ids(orgs[t]["refuse"], admin) for t in "ab"}
        self.route(
            "POST .../{id}/refuse",
            lambda i, t: Request(
                "POST",
                f"{org(t, 'refuse')}/membership-requests/{pending[t][people[t][i]]}/refuse",
                admin,
                {"reason": "Non."},
            ),
        )
        pending = {t: self._pending_ids(orgs[t]["withdraw"], admin) for t in "ab"}
        self.route(
            "DELETE .../{id} (withdraw)",
            lambda i, t: Request(
                "DELETE", f"{org(t, 'withdraw')}/membership-requests/{pending[t][people[t][i]]}", people[t][i]
            ),
        )

    def _pending_ids(self, org_id: str, admin: str) -> dict[str, str]:
        """Pending requests of an organization by requester, read through the API."""
        found, cursor = {}, None
        while True:
            query = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
            _, page = self.http(Request("GET", f"/organizations/{org_id}/membership-requests{query}", admin))
            found.update({item["user"]["id"]: item["id"] for item in page["items"]})
            cursor = page["next_cursor"]
            if not cursor:
                return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the results (JSON)")
    parser.add_argument("--requests", type=int, default=300, help="requests per route")
    args = parser.parse_args(argv)
    # The benchmark's own progress only: the app's per-email and botocore's per-client
    # lines would bury it (warnings still show).
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("bench").setLevel(logging.INFO)
    # A SIGTERM unwinds like an exception, so that chalice local and the emulator are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    bench = Bench(args.requests)
    started = time.perf_counter()
    try:
        bench.start()
        bench.run()
    finally:
        bench.stop()
    args.out.write_text(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "routes": [asdict(result) for result in bench.results],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
