"""`make run`: the whole service on 127.0.0.1, on the embedded AWS emulator.

One process owns everything it starts: the moto server (a thread), the stateful
resources created from infra/template.yaml, the API as ``chalice local`` serves it (a
child process, ``devstack.api``: real authorizer, a backlog that takes a burst), the
stream pump (a thread running the app's own stream function), the scheduler (a thread
running the app's scheduled function every minute, as EventBridge does every quarter
hour once deployed) and the web console (``devstack.console``, a thread serving
web/dist and its /config.json).

Ctrl-C, SIGTERM and SIGHUP stop them all alike, in an order that loses nothing: the
console, the API and the scheduler first (nothing new is written), then the pump, once it has delivered
what the stream already holds (for at most ``DRAIN_SECONDS``), then the emulator. Nothing
outlives the stack however it ends (``devstack.lifecycle``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack import lifecycle
from devstack.console import BUILD_ADVICE, ConsoleConfig, ConsoleServer
from devstack.emulator import Emulator, port_is_free
from devstack.outbox import Outbox
from devstack.provision import LocalStack, provision

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-3"
STAGE = "dev"
MAIL_DOMAIN = "adhesion.localhost"
DRAIN_SECONDS = 30.0


@dataclass(frozen=True)
class DemoUser:
    key: str
    name: str
    email: str
    locale: str
    role: str | None


DEMO_USERS = (
    DemoUser("alice", "Alice Martin", "alice@example.org", "fr", "admin"),
    DemoUser("eric", "Eric Walker", "eric@example.org", "en", "editor"),
    DemoUser("nora", "Nora Petit", "nora@example.org", "fr", None),
)


class StackError(Exception):
    """A problem the developer can fix (a port taken, a service that did not start)."""


class LambdaContext:
    """The slice of Lambda's context object that a function may read."""

    function_name = "adhesion-local-notify"
    memory_limit_in_mb = 256
    aws_request_id = "local"

    def __init__(self, budget_seconds: float = 300.0) -> None:
        self._deadline = time.monotonic() + budget_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def origin_of(url: str | None) -> str:
    """The origin (``scheme://host[:port]``) of ``url``, as a browser sends it in ``Origin``;
    ``''`` for none."""
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def app_environment(
    stack: LocalStack, frontend_url: str, console_url: str | None = None, api_url: str = ""
) -> dict[str, str]:
    """What the Lambda functions would find in their environment, pointed at the emulator.
    ``console_url``: where the web console is served; its origin is the one the API lets
    read its answers from a browser (``CORS_ALLOW_ORIGIN``); without it, none may.
    ``api_url``: where the unsubscribe links of admin emails point."""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": stack.region,
        "AWS_DEFAULT_REGION": stack.region,
        "AWS_ENDPOINT_URL": stack.aws_endpoint_url,
        "TABLE_NAME": stack.table_name,
        "TABLE_STREAM_ARN": stack.table_stream_arn,
        "JWT_ISSUER": stack.jwt_issuer,
        "JWKS_URL": stack.jwks_url,
        "JWT_AUDIENCES": stack.user_pool_client_id,
        "MAIL_SENDER": stack.mail_sender,
        "MAIL_CONFIGURATION_SET": stack.mail_configuration_set,
        "FRONTEND_BASE_URL": frontend_url,
        "CORS_ALLOW_ORIGIN": origin_of(console_url),
        # For the operators' command line (python -m ops redrive) against the local stack.
        "NOTIFY_FAILURE_QUEUE_URL": stack.failure_queue_url,
        "UNSUBSCRIBE_SECRET_ARN": stack.unsubscribe_secret_arn,
        "API_BASE_URL": api_url,
    }


def links_base(console_url: str, frontend_url: str | None) -> str:
    """Where the links in the local stack's emails point: the console ``make run``
    serves, whose pages are the links' paths (``/organizations/<id>``,
    ``/organizations/<id>/membership-requests/<id>``, built by
    ``chalicelib.services.messages.Links`` alone), unless ``--frontend-url`` names
    another front end."""
    return frontend_url or console_url


def read_stack_json(state_dir: Path) -> dict[str, Any]:
    """What the stack running with ``state_dir`` wrote for its clients (``stack.json``);
    :class:`StackError` when none is running there."""
    path = state_dir / "stack.json"
    if not path.exists():
        raise StackError(f"No local stack is running ({path} is missing): start it with `make run`.")
    runs = [process for process in lifecycle.recorded(state_dir) if process.role == "run"]
    if runs and not runs[0].alive():
        raise StackError(
            f"No local stack is running: {runs[0].describe()} ended without cleaning up "
            f"{state_dir}; start it again with `make run`."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def environment_of(stack_json: dict[str, Any]) -> dict[str, str]:
    """The functions' environment (:func:`app_environment`) of the stack that wrote
    ``stack_json``: what a tool run beside it (``python -m ops --local``) needs. KeyError
    names what an older stack.json lacks."""
    stack = LocalStack(**{f.name: stack_json[f.name] for f in dataclasses.fields(LocalStack)})
    return app_environment(
        stack, stack_json["frontend_base_url"], stack_json.get("console_url"), stack_json.get("api_url", "")
    )


def stream_settings() -> tuple[int, int]:
    """Batch size (the app's decorator) and retry attempts (the deployed event source
    mapping, infra/app-merge.yaml) of the stream function."""
    from chalice.app import DynamoDBEventConfig

    import app as app_module
    from infra.template import load_template

    merge = load_template(ROOT / "infra" / "app-merge.yaml")
    source = merge["Resources"]["Notify"]["Properties"]["Events"]["NotifyDynamodbEventSource"]
    [config] = [c for c in app_module.app.event_sources if isinstance(c, DynamoDBEventConfig)]
    return config.batch_size, int(source["Properties"]["MaximumRetryAttempts"])


class Pump(threading.Thread):
    """Runs the stream pump until told to stop."""

    def __init__(
        self, stack: LocalStack, session, interval: float = 0.2, drain_seconds: float = DRAIN_SECONDS
    ) -> None:
        super().__init__(name="stream-pump", daemon=True)
        import app as app_module
        from devstack.streams import StreamPump, StreamReader, failure_message

        streams = session.client(
            "dynamodbstreams", region_name=stack.region, endpoint_url=stack.aws_endpoint_url
        )
        sqs = session.client("sqs", region_name=stack.region, endpoint_url=stack.aws_endpoint_url)
        reader = StreamReader(streams, stack.table_stream_arn)
        batch_size, retries = stream_settings()

        def on_failure(records: list[dict[str, Any]], attempts: int) -> None:
            shard = reader.shard_of.get(records[0]["dynamodb"]["SequenceNumber"], "")
            message = failure_message(records, attempts, stack.table_stream_arn, shard)
            sqs.send_message(QueueUrl=stack.failure_queue_url, MessageBody=json.dumps(message))

        self.pump = StreamPump(
            reader,
            lambda event: app_module.notify(event, LambdaContext()),
            on_failure,
            batch_size=batch_size,
            maximum_retry_attempts=retries,
        )
        self._reader = reader
        self._interval = interval
        self.drain_seconds = drain_seconds
        self._stopping = threading.Event()
        self.idle = threading.Event()
        # After the stop: (records delivered while draining, whether the stream was emptied).
        self.drained: tuple[int, bool] | None = None

    def _pump_once(self) -> int | None:
        """Records acknowledged, or None when the emulator hiccuped."""
        try:
            return self.pump.pump_once()
        except Exception as error:
            # Keep pumping, and say what went wrong.
            print(f"stream pump: {error}", file=sys.stderr)
            return None

    def run(self) -> None:
        while not self._stopping.is_set():
            if not self._pump_once():
                self.idle.set()
            self._stopping.wait(self._interval)
        self.drained = self._drain()

    def _drain(self) -> tuple[int, bool]:
        """Deliver what the stream holds now, retries included, within the time allowed:
        a request answered 201 just before the stop is emailed like any other."""
        deadline = time.monotonic() + self.drain_seconds
        delivered = 0
        while time.monotonic() < deadline:
            handled = self._pump_once()
            if handled == 0 and not self._reader.has_unread:
                return delivered, True
            delivered += handled or 0
            if not handled:
                # A failed batch or a hiccup: Lambda would retry it after a pause, too.
                time.sleep(self._interval)
        return delivered, False

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until a poll finds nothing new."""
        deadline = time.monotonic() + timeout
        self.idle.clear()
        while not self.idle.wait(0.1) and time.monotonic() < deadline:
            pass
        self.idle.clear()
        self.idle.wait(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Stop polling, after the drain."""
        self._stopping.set()
        if self.ident is not None:
            self.join(timeout=self.drain_seconds + 10)


#: How often the local stack runs the scheduled pass (deployed: every 15 minutes).
SCHEDULE_SECONDS = 60.0


def scheduled_event(now: datetime, region: str) -> dict[str, Any]:
    """What EventBridge hands the scheduled function: its ``time`` is the pass's now."""
    return {
        "version": "0",
        "id": uuid.uuid4().hex,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {},
    }


class Scheduler(threading.Thread):
    """Runs the app's scheduled function every ``period`` seconds, as its EventBridge
    rule does once deployed, until told to stop."""

    def __init__(self, region: str, period: float = SCHEDULE_SECONDS) -> None:
        super().__init__(name="scheduler", daemon=True)
        self._region = region
        self._period = period
        self._stopping = threading.Event()

    def run_once(self) -> dict[str, Any] | None:
        import app as app_module

        try:
            return app_module.schedule(scheduled_event(datetime.now(UTC), self._region), LambdaContext())
        except Exception as error:
            # Keep running, and say what went wrong: the next pass resumes where it stopped.
            print(f"scheduler: {error}", file=sys.stderr)
            return None

    def run(self) -> None:
        while not self._stopping.wait(self._period):
            self.run_once()

    def stop(self) -> None:
        self._stopping.set()
        if self.ident is not None:
            self.join(timeout=LambdaContext().get_remaining_time_in_millis() / 1000)


def api_request(method: str, url: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    """Call the local stack's API with a JSON body; (status, parsed JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (our own 127.0.0.1 URL)
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        # The URL is the local stack's own http://127.0.0.1 address, never user input.
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # nosec B310
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        payload = error.read()
        return error.code, json.loads(payload) if payload else None


def start_api(
    host: str, port: int, environment: dict[str, str], stdout=None, stderr=None
) -> subprocess.Popen:
    """The API server (``devstack.api``) as a child of this process. Its standard input is
    a pipe nobody writes to: when this process ends, however it ends, the pipe closes and
    the server stops (a SIGKILL leaves no handler to stop it otherwise)."""
    return subprocess.Popen(  # noqa: S603 (our own command line)
        [
            sys.executable,
            "-m",
            "devstack.api",
            "--host",
            host,
            "--port",
            str(port),
            "--stage",
            "local",
            "--watch-stdin",
        ],
        cwd=ROOT,
        env=os.environ | environment,
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=stderr,
    )


def stop_api(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop the API server: SIGTERM, then SIGKILL if it does not end within ``timeout``."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdin is not None:
        process.stdin.close()


def wait_for_health(api_url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"the API server exited with status {process.returncode}")
        try:
            if api_request("GET", f"{api_url}/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise StackError(f"the API did not answer on {api_url} within {timeout:.0f} s")


def create_user(cognito, stack: LocalStack, name: str, email: str, locale: str) -> tuple[str, str]:
    """A user in the pool, with a permanent password; returns (sub, password)."""
    password = f"Local-{secrets.token_urlsafe(12)}1a"
    created = cognito.admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "name", "Value": name},
            {"Name": "locale", "Value": locale},
            {"Name": "email_verified", "Value": "true"},
        ],
    )["User"]
    cognito.admin_set_user_password(
        UserPoolId=stack.user_pool_id, Username=email, Password=password, Permanent=True
    )
    sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    return sub, password


def sign_in(cognito, stack_json: dict[str, Any], email: str, password: str) -> str:
    """An ID token, the way a front end gets one (the admin flow stands in for SRP)."""
    result = cognito.admin_initiate_auth(
        UserPoolId=stack_json["user_pool_id"],
        ClientId=stack_json["user_pool_client_id"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return result["AuthenticationResult"]["IdToken"]


def seed(cognito, stack: LocalStack, api_url: str, pump: Pump) -> dict[str, Any]:
    """An organization with an admin and an editor, and a user who is not a member."""
    users = {}
    for demo in DEMO_USERS:
        sub, password = create_user(cognito, stack, demo.name, demo.email, demo.locale)
        token = sign_in(cognito, stack.to_json(), demo.email, password)
        users[demo.key] = {
            "sub": sub,
            "name": demo.name,
            "email": demo.email,
            "locale": demo.locale,
            "password": password,
            "role": demo.role,
            "id_token": token,
        }
    alice, eric = users["alice"]["id_token"], users["eric"]["id_token"]
    status, org = api_request(
        "POST",
        f"{api_url}/organizations",
        alice,
        {"name": "Base Adresse Nationale", "description": "Les adresses de France"},
    )
    if status != 201:
        raise StackError(f"seeding failed: {status} {org}")
    _, request = api_request(
        "POST",
        f"{api_url}/organizations/{org['id']}/membership-requests",
        eric,
        {"comment": "I maintain the address datasets of my city."},
    )
    # Alice hears of the request while it is pending: a request decided before the stream
    # sees it is announced to nobody, and the demo's outbox shows both emails of the flow.
    pump.drain()
    api_request(
        "POST",
        f"{api_url}/organizations/{org['id']}/membership-requests/{request['id']}/accept",
        alice,
        {"role": "editor"},
    )
    pump.drain()
    return {"organization_id": org["id"], "users": users}


def banner(stack_json: dict[str, Any]) -> str:
    api, org = stack_json["api_url"], stack_json["demo"]["organization_id"]
    console = stack_json["console_url"]
    users = stack_json["demo"]["users"]
    lines = [
        "",
        "Adhesion is running (Ctrl-C stops everything).",
        f"  Console      {console}",
        f"  API          {api}",
        f"  AWS emulator {stack_json['aws_endpoint_url']}  (region {stack_json['region']})",
        f"  State        {stack_json['state_dir']}/stack.json",
        f"  Outbox       {stack_json['state_dir']}/outbox/  (list: make outbox; links open the console)",
        f'  Organization {console}/organizations/{org}  "Base Adresse Nationale"',
        "",
        f"Sign in at {console} as a demo user (email, password):",
    ]
    for key, user in users.items():
        lines.append(
            f"  {key:<6} {user['name']:<14} {user['role'] or 'not a member':<13} "
            f"{user['email']:<19} {user['password']}"
        )
    lines += [
        "Nora asks to join from the organization's page; Alice accepts from the envelope (top right).",
        "",
        "Or walk the flow with curl (fresh ID tokens: make token USER=<name>):",
        "",
    ]
    for key, user in users.items():
        lines.append(f"export {key.upper()}='{user['id_token']}'")
    lines += [
        f"export API='{api}' ORG='{org}'",
        "",
        "# Nora asks to join; Alice (admin) is emailed",
        'REQ=$(curl -s -X POST "$API/organizations/$ORG/membership-requests" '
        "-H \"Authorization: Bearer $NORA\" -H 'Content-Type: application/json' "
        '-d \'{"comment": "Je corrige les adresses de ma commune."}\' '
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"id\"])')",
        "# Alice's envelope, then her decision; Nora is emailed the outcome",
        'curl -s "$API/me/notifications" -H "Authorization: Bearer $ALICE"',
        'curl -s -X POST "$API/organizations/$ORG/membership-requests/$REQ/accept" '
        '-H "Authorization: Bearer $ALICE" -H \'Content-Type: application/json\' -d \'{"role": "editor"}\'',
        "# …or refuse instead:",
        '# curl -s -X POST "$API/organizations/$ORG/membership-requests/$REQ/refuse" '
        "-H \"Authorization: Bearer $ALICE\" -H 'Content-Type: application/json' "
        '-d \'{"reason": "Merci de passer par votre mairie."}\'',
        'curl -s "$API/me/membership-requests" -H "Authorization: Bearer $NORA"',
        "make outbox",
        "",
    ]
    return "\n".join(lines)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def check_free(host: str, api_port: int, aws_port: int, state_dir: Path, console_port: int = 0) -> None:
    """Refuse to start over a stack that is still running, naming it when it is ours.
    Port 0 (any free port) is always free."""
    earlier = lifecycle.alive(state_dir)
    for name, port in (("API", api_port), ("AWS emulator", aws_port), ("console", console_port)):
        if port and not port_is_free(host, port):
            if earlier:
                raise StackError(
                    f"port {port} on {host} ({name}) is already in use: {lifecycle.leftover_advice(earlier)}"
                )
            raise StackError(
                f"port {port} on {host} ({name}) is already in use; "
                f"choose another, e.g. make run API_PORT=8010 AWS_PORT=5010 CONSOLE_PORT=8090"
            )
    if earlier:
        raise StackError(f"{state_dir} is in use: {lifecycle.leftover_advice(earlier)}")


def run(
    host: str,
    api_port: int,
    aws_port: int,
    state_dir: Path,
    frontend_url: str | None = None,
    with_seed: bool = True,
    console_port: int = 0,
    schedule_seconds: float = SCHEDULE_SECONDS,
) -> None:
    """Run the stack until a stop signal. The console is served on ``console_port`` (0:
    any free one; ``console_url`` in stack.json says which); the links in the emails
    point at it, and the API lets its origin read the answers (CORS), unless
    ``frontend_url`` names another front end (Vite's dev server, say): see :func:`links_base`.
    The scheduled pass runs every ``schedule_seconds`` (0: never; ``python -m ops --local
    schedule`` runs one at will)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    check_free(host, api_port, aws_port, state_dir, console_port)
    outbox = state_dir / "outbox"
    outbox.mkdir(exist_ok=True)
    Outbox(outbox).clear()
    (state_dir / "stack.json").unlink(missing_ok=True)

    stopping = threading.Event()
    emulator = Emulator(host, aws_port, outbox=outbox)
    console: ConsoleServer | None = None
    api: subprocess.Popen | None = None
    pump: Pump | None = None
    scheduler: Scheduler | None = None
    with lifecycle.stop_signals(stopping):
        try:
            lifecycle.stop_with_parent()
            lifecycle.record(state_dir, run=os.getpid())
            try:
                console = ConsoleServer(host, console_port)
            except OSError as error:
                # Taken between check_free and now.
                raise StackError(f"the console cannot listen on {host}:{console_port}: {error}") from error
            if not console.built:
                print(f"make run: {BUILD_ADVICE}; {console.url} says so until then.", file=sys.stderr)
            emulator.start()
            import boto3

            session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
            stack = provision(session, emulator.endpoint, REGION, STAGE, MAIL_DOMAIN)
            api_url = f"http://{host}:{api_port}"
            # The front end the emails open is the one whose pages may read the API.
            front_end = links_base(console.url, frontend_url)
            environment = app_environment(stack, front_end, front_end, api_url)
            os.environ.update(environment)
            console.start(
                ConsoleConfig(
                    api_url=api_url,
                    region=stack.region,
                    user_pool_id=stack.user_pool_id,
                    client_id=stack.user_pool_client_id,
                    cognito_endpoint=stack.aws_endpoint_url,
                )
            )
            api = start_api(host, api_port, environment, stdout=subprocess.DEVNULL if with_seed else None)
            lifecycle.record(state_dir, run=os.getpid(), api=api.pid)
            pump = Pump(stack, session)
            pump.start()
            if schedule_seconds > 0:
                scheduler = Scheduler(stack.region, schedule_seconds)
                scheduler.start()
            wait_for_health(api_url, api)
            stack_json = stack.to_json() | {
                "api_url": api_url,
                "state_dir": str(state_dir),
                "console_url": console.url,
                "frontend_base_url": environment["FRONTEND_BASE_URL"],
            }
            if with_seed:
                stack_json["demo"] = seed(
                    session.client("cognito-idp", region_name=REGION, endpoint_url=emulator.endpoint),
                    stack,
                    api_url,
                    pump,
                )
            _write_json(state_dir / "stack.json", stack_json)
            if with_seed:
                print(banner(stack_json), flush=True)
            else:
                print(f"Adhesion is running: console {console.url}, API {api_url}", flush=True)
            while api.poll() is None:
                stopping.wait(0.5)
            raise StackError(f"the API server exited with status {api.returncode}")
        except lifecycle.StopRequested:
            pass
        finally:
            # From here on a stop signal is only noted: the clean-up is what it asks for.
            stopping.set()
            _stop(state_dir, emulator, console, api, pump, scheduler)


def _stop(
    state_dir: Path,
    emulator: Emulator,
    console: ConsoleServer | None,
    api: subprocess.Popen | None,
    pump: Pump | None,
    scheduler: Scheduler | None = None,
) -> None:
    print("Stopping Adhesion…", flush=True)
    if console is not None:
        console.stop()
    if api is not None:
        stop_api(api)
    # Before the pump: what its last pass wrote is emailed like the rest.
    if scheduler is not None:
        scheduler.stop()
    if pump is not None:
        pump.stop()
        delivered, emptied = pump.drained or (0, True)
        if delivered:
            print(f"Delivered the stream's last {delivered} record(s).", flush=True)
        if not emptied:
            print(
                f"The stream pump gave up after {pump.drain_seconds:.0f} s: some emails were not sent.",
                file=sys.stderr,
                flush=True,
            )
    emulator.stop()
    (state_dir / "stack.json").unlink(missing_ok=True)
    lifecycle.forget(state_dir)
    print("Stopped.", flush=True)
