"""The API as ``chalice local`` serves it, in a server that takes a burst:
``python -m devstack.api --host H --port P [--stage local] [--watch-stdin]``.

The gateway is chalice's own (``chalice.local``: its routing, the real authorizer on
every request, one thread per connection), built from the project's configuration as
``chalice local`` builds it. Only the listening socket differs: ``chalice local``
listens with Python's default backlog of 5, and of 50 simultaneous requests a dozen got
a connection reset instead of an answer; this one queues as many connections as the
system allows. And the errors the gateway answers itself (no token, a denying
authorizer, no such route) have the deployed stage's shape, ``{"code", "message"}``
from ``infra/app-merge.yaml``'s ``GatewayResponses``, where ``chalice local`` answers
``{"message": ...}``: a link in a local email opened without a token reads like the
API's other errors. They carry the same CORS headers as deployed, naming the console's
origin (``CORS_ALLOW_ORIGIN``), so that the console reads them.

Under ``make run`` (``--watch-stdin``) it is a child that must not outlive its parent,
however the parent ends: its standard input is a pipe from the parent, and reaching
its end (the parent is gone, a SIGKILL included) ends the server. Ctrl-C and hangups
are the parent's to handle, which then ends this server with SIGTERM.

SIGTERM ends it at once, as it ends ``chalice local``: a request cut short has either
committed its one transaction or not, and what it committed is in the table's stream,
which the parent delivers before it stops.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
from functools import cache
from pathlib import Path
from typing import Any

from chalice.local import ChaliceRequestHandler, ForbiddenError, NotAuthorizedError, ThreadedHTTPServer

ROOT = Path(__file__).resolve().parent.parent
# What the gateway's errors carry for the web console (infra/app-merge.yaml).
CORS_HEADERS = frozenset({"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Vary"})


class BurstHTTPServer(ThreadedHTTPServer):
    """chalice local's threaded server, with a listen backlog that holds a burst."""

    request_queue_size = socket.SOMAXCONN


@cache
def gateway_responses() -> dict[str, dict[str, Any]]:
    """The deployed API's ``GatewayResponses``, by response type."""
    from infra.template import load_template

    resources = load_template(ROOT / "infra" / "app-merge.yaml")["Resources"]
    return resources["RestAPI"]["Properties"]["GatewayResponses"]


def gateway_response_type(error: Exception) -> str | None:
    """The gateway response API Gateway gives in place of this ``chalice.local`` error."""
    if isinstance(error, NotAuthorizedError):
        return "UNAUTHORIZED"
    if isinstance(error, ForbiddenError):
        # chalice local raises it both for a denying authorizer and for a path no route
        # matches, which API Gateway answers with MISSING_AUTHENTICATION_TOKEN.
        denied = error.headers.get("x-amzn-ErrorType") == "AccessDeniedException"
        return "ACCESS_DENIED" if denied else "MISSING_AUTHENTICATION_TOKEN"
    return None


def as_deployed(error: Exception, body: bytes | None) -> tuple[int, dict[str, str], bytes] | None:
    """(status, headers, body) of the deployed gateway's answer to what ``chalice.local``
    answered with ``error``; None when the stage does not customize it."""
    response = gateway_responses().get(gateway_response_type(error) or "")
    if response is None:
        return None
    try:
        said = json.loads(body or b"{}")
    except ValueError:
        said = {}
    message = said.get("message") or said.get("Message") if isinstance(said, dict) else None
    # $context.error.messageString is a JSON string, quotes included.
    template = response["ResponseTemplates"]["application/json"]
    rendered = template.replace("$context.error.messageString", json.dumps(message or ""))
    headers = {"Content-Type": "application/json"} | response_headers(response, console_origin())
    return int(response["StatusCode"]), headers, rendered.encode()


def console_origin() -> str:
    """The stage's ``ConsoleOrigin`` parameter, locally: the app's own CORS origin
    (``CORS_ALLOW_ORIGIN``, which ``devstack.stack.app_environment`` sets)."""
    from chalicelib.config import get_settings

    return get_settings().cors_allow_origin


def response_headers(response: dict[str, Any], origin: str) -> dict[str, str]:
    """A gateway response's headers as API Gateway sends them: each a quoted literal, or
    the ``ConsoleOrigin`` parameter quoted (``!Sub "'${ConsoleOrigin}'"``). Without a
    console (``origin`` empty) the CORS headers are left out, as the app leaves out its own."""
    headers = {}
    for name, value in response.get("ResponseParameters", {}).get("Headers", {}).items():
        if isinstance(value, dict):
            value = value["Fn::Sub"].replace("${ConsoleOrigin}", origin)
        headers[name] = value.strip("'")
    if not origin:
        headers = {name: value for name, value in headers.items() if name not in CORS_HEADERS}
    return headers


class GatewayRequestHandler(ChaliceRequestHandler):
    """chalice local's request handler, answering the gateway's own errors as deployed."""

    # chalice.local's one hook for the errors its gateway raises (LocalGatewayException).
    def _send_error_response(self, error) -> None:
        deployed = as_deployed(error, error.body)
        if deployed is None:
            super()._send_error_response(error)
            return
        status, headers, body = deployed
        self._send_http_response(status, {**error.headers, **headers}, body)


def build_server(host: str, port: int, stage: str):
    """A ``chalice.local.LocalDevServer`` for the project, as ``chalice local`` makes it
    (``chalice.cli.create_local_server``), on a :class:`BurstHTTPServer`."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

    factory = CLIFactory(str(ROOT), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    validate_routes(app.routes)
    # chalice.local.create_local_server's own two steps (a request per thread needs the
    # thread-local current_request); it takes no server class, LocalDevServer does.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(
        app, config, host, port, handler_cls=GatewayRequestHandler, server_cls=BurstHTTPServer
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.api", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    parser.add_argument(
        "--watch-stdin", action="store_true", help="stop when standard input ends (the parent is gone)"
    )
    args = parser.parse_args(argv)
    # What chalice local configures: the app's log lines on stdout, as in Lambda.
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    if args.watch_stdin:
        # Before the app loads: a Ctrl-C meanwhile is the parent's, too.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

        def watch() -> None:
            while os.read(sys.stdin.fileno(), 4096):
                pass
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    server = build_server(args.host, args.port, args.stage)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
