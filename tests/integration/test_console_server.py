"""The console as ``make run`` serves it (``devstack.console``): deep links answer the
single page, hashed assets are cached for a year, ``/config.json`` comes from the running
stack, and every answer carries the deployed console's Content-Security-Policy."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest

from devstack.console import ConsoleConfig, ConsoleServer

CONFIG = ConsoleConfig(
    api_url="http://127.0.0.1:8000",
    region="eu-west-3",
    user_pool_id="eu-west-3_pool",
    client_id="client123",
    cognito_endpoint="http://127.0.0.1:5005",
)
INDEX = '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>'


def _dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX, encoding="utf-8")
    (dist / "assets" / "index-abc123.js").write_text("console.log('app')", encoding="utf-8")
    (dist / "favicon.svg").write_text("<svg/>", encoding="utf-8")
    return dist


@pytest.fixture
def console(tmp_path):
    server = ConsoleServer("127.0.0.1", 0, _dist(tmp_path)).start(CONFIG)
    yield server
    server.stop()


def _get(server: ConsoleServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/organizations/org1",
        "/organizations/org1/membership-requests/req1",
        "/me/requests?status=pending",
        "/sign-in",
        "/no/such/page",
    ],
)
def test_every_page_address_answers_the_single_page_uncached(console, path):
    # WHEN a browser opens an address of the console directly (an email's link, a reload)
    status, headers, body = _get(console, path)
    # THEN it gets index.html, which the router reads the address from, never from a cache
    assert (status, body.decode()) == (200, INDEX)
    assert (headers["Content-Type"], headers["Cache-Control"]) == ("text/html", "no-cache")


def test_hashed_assets_are_cached_for_a_year_and_a_missing_one_is_not_the_page(console):
    status, headers, body = _get(console, "/assets/index-abc123.js")
    assert (status, body) == (200, b"console.log('app')")
    assert headers["Content-Type"] == "text/javascript"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"

    # A stale asset name (an old index.html) must fail as a script, not load the page as one
    status, headers, body = _get(console, "/assets/index-gone.js")
    assert (status, body) == (404, b"Not found\n")


def test_config_json_is_the_running_stacks_for_the_password_sign_in(console):
    status, headers, body = _get(console, "/config.json")
    assert status == 200
    assert (headers["Content-Type"], headers["Cache-Control"]) == ("application/json", "no-cache")
    assert json.loads(body) == {
        "apiUrl": "http://127.0.0.1:8000",
        "region": "eu-west-3",
        "userPoolId": "eu-west-3_pool",
        "clientId": "client123",
        "authMode": "password",
        "cognitoEndpoint": "http://127.0.0.1:5005",
    }


def test_every_answer_carries_a_strict_content_security_policy(console):
    for path in ("/", "/config.json", "/assets/index-abc123.js", "/favicon.svg", "/assets/gone.js"):
        _, headers, _ = _get(console, path)
        assert headers["Content-Security-Policy"] == (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "connect-src 'self' http://127.0.0.1:8000 http://127.0.0.1:5005; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        ), path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Server"] == "adhesion-console"


def test_files_beside_index_are_served_and_nothing_above_dist(console):
    status, headers, body = _get(console, "/favicon.svg")
    assert (status, headers["Content-Type"], body) == (200, "image/svg+xml", b"<svg/>")
    # A path climbing out of dist gets the page, not the file it names
    status, _, body = _get(console, "/../../../etc/passwd")
    assert (status, body.decode()) == (200, INDEX)
    status, _, body = _get(console, "/assets/../../dist/index.html")
    assert (status, body) == (404, b"Not found\n")


def test_head_answers_the_headers_without_a_body(console):
    status, headers, body = _get(console, "/organizations/org1", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(INDEX))


def test_an_unbuilt_console_says_how_to_build_it(tmp_path):
    # GIVEN no web/dist (npm run build never ran)
    server = ConsoleServer("127.0.0.1", 0, tmp_path / "dist").start(CONFIG)
    try:
        # WHEN a page is opened THEN the answer says what to run, and config.json still answers
        status, _, body = _get(server, "/organizations/org1")
        assert (status, body.decode()) == (
            503,
            "Adhesion: the console is not built: `make run` builds it "
            "(or `npm ci && npm run build` in web/).\n",
        )
        assert _get(server, "/config.json")[0] == 200
        assert not server.built
    finally:
        server.stop()


def test_stopping_frees_the_port(tmp_path):
    import socket

    server = ConsoleServer("127.0.0.1", 0, _dist(tmp_path)).start(CONFIG)
    port = int(server.url.rsplit(":", 1)[1])
    server.stop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
