"""The web console served by ``make run``: ``web/dist`` on 127.0.0.1, answered the way the
deployed distribution answers it (web/README.md, "Static serving").

- Any path but ``/assets/*`` that names no file answers ``index.html`` (200): the emails'
  links (``/organizations/<id>/membership-requests/<id>``) and a reload work as deep links.
- ``/config.json`` is written here from the running stack (the API, the user pool and its
  client, the emulator's Cognito endpoint), never read from disk: one build serves every
  stack, whatever its ports.
- ``/assets/*`` is content-hashed: cached for a year. ``index.html`` and ``config.json``
  are never cached, so a rebuilt console or a restarted stack is picked up on a reload.
- The same strict Content-Security-Policy as deployed, so that a browser test run locally
  fails on what the deployed console would refuse (an inline script, a third host).

A thread of ``make run``'s process (:func:`devstack.stack.run` starts and stops it with
the rest), on the standard library's ``ThreadingHTTPServer``: nothing to outlive the stack.
"""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
WEB_DIST = ROOT / "web" / "dist"
# What to run when there is nothing to serve; the page and make run both say it.
BUILD_ADVICE = "the console is not built: `make run` builds it (or `npm ci && npm run build` in web/)"

IMMUTABLE = "public, max-age=31536000, immutable"
NOT_CACHED = "no-cache"


@dataclass(frozen=True)
class ConsoleConfig:
    """The console's ``/config.json`` (web/README.md, "Runtime configuration")."""

    api_url: str
    region: str
    user_pool_id: str
    client_id: str
    cognito_endpoint: str

    def to_json(self) -> dict[str, str]:
        return {
            "apiUrl": self.api_url,
            "region": self.region,
            "userPoolId": self.user_pool_id,
            "clientId": self.client_id,
            # The console's own form, InitiateAuth USER_PASSWORD_AUTH against the emulator:
            # there is no managed login locally.
            "authMode": "password",
            "cognitoEndpoint": self.cognito_endpoint,
        }

    def content_security_policy(self) -> str:
        """Scripts, styles and images from the console alone; calls to the API and to
        Cognito only; no framing, no <base>, forms posted nowhere else."""
        connect = " ".join(dict.fromkeys(("'self'", _origin(self.api_url), _origin(self.cognito_endpoint))))
        return (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class ConsoleHandler(http.server.SimpleHTTPRequestHandler):
    """GET and HEAD only (SimpleHTTPRequestHandler answers 501 to anything else)."""

    server_version = "adhesion-console"
    # Keep-alive, as a browser expects from a static server.
    protocol_version = "HTTP/1.1"

    server: _Server

    @property
    def config(self) -> ConsoleConfig:
        return self.server.config

    def version_string(self) -> str:
        # Not the Python version beside it: nothing a visitor needs.
        return self.server_version

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        dist = Path(self.directory)
        if path == "/config.json":
            self._send(200, json.dumps(self.config.to_json(), indent=2).encode(), "application/json", head)
            return
        index = dist / "index.html"
        if not index.is_file():
            body = f"Adhesion: {BUILD_ADVICE}.\n".encode()
            self._send(503, body, "text/plain; charset=utf-8", head)
            return
        found = Path(self.translate_path(self.path))
        is_file = found.is_file() and found.resolve().is_relative_to(dist.resolve())
        if path.startswith("/assets/"):
            if not is_file:
                self._send(404, b"Not found\n", "text/plain; charset=utf-8", head)
                return
            self._send_file(found, IMMUTABLE, head)
            return
        # Every page of the app is index.html: the router reads the address.
        self._send_file(found if is_file else index, NOT_CACHED, head)

    def _send_file(self, path: Path, cache: str, head: bool) -> None:
        self._send(200, path.read_bytes(), self.guess_type(str(path)), head, cache)

    def _send(self, status: int, body: bytes, content_type: str, head: bool, cache: str = NOT_CACHED) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Security-Policy", self.config.content_security_policy())
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # Every asset of every page would bury make run's own lines; errors still show.
        pass

    def log_error(self, format: str, *args: Any) -> None:
        super().log_message(format, *args)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    config: ConsoleConfig


class ConsoleServer:
    """The console on ``host:port`` (0: any free port), served in a thread from :meth:`start` on.

    The port is taken on creation, before the stack is provisioned: its address is the
    emails' links base and the API's allowed origin, both set when the API starts."""

    def __init__(self, host: str, port: int, dist: Path = WEB_DIST) -> None:
        self._server = _Server((host, port), partial(ConsoleHandler, directory=str(dist)))
        self.dist = dist
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="console", daemon=True)

    @property
    def built(self) -> bool:
        return (self.dist / "index.html").is_file()

    def start(self, config: ConsoleConfig) -> ConsoleServer:
        self._server.config = config
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
