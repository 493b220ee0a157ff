"""Calls from the web console's pages (CORS), on every route.

The console is served from an origin of its own (``CORS_ALLOW_ORIGIN``); a browser lets a
page read an answer of the API only when the answer names the page's origin. Every answer
to a request from the console's origin names it, and an answer to any other origin names
none: a page elsewhere reads nothing, error bodies included. No credentials are allowed
(the console sends its token in ``Authorization``, never a cookie).

The preflights (``OPTIONS``) are answered by the API function itself, on a route of their
own for each path, taking no token (a browser sends none with a preflight). Chalice's
``CORSConfig`` would have API Gateway answer them with a mock integration instead, whose
headers are fixed when the template is packaged: the same for every origin, and from
settings ``chalice package`` does not have (it imports ``app.py`` without the stage's
environment). Here one function decides, alike in Lambda, under ``chalice local`` and in
the tests; a browser keeps its answer for ``MAX_AGE_SECONDS``.

The errors API Gateway answers itself (no token, throttling) carry the same headers, with
the stage's origin written in ``infra/app-merge.yaml``'s ``GatewayResponses``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalice import Chalice, Response

ALLOW_HEADERS = ("Authorization", "Content-Type")
# A page may read these of an answer: when to retry a 429, where a 201's resource is.
EXPOSE_HEADERS = ("Retry-After", "Location")
# Chromium keeps a preflight's answer two hours at most (Firefox a day).
MAX_AGE_SECONDS = 7200
# The order the methods are listed in ``Access-Control-Allow-Methods``.
METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class CorsPolicy:
    """Which origin may read the API's answers (``''``: none), and the headers that say so."""

    allow_origin: str

    def headers(self, origin: str | None) -> dict[str, str]:
        """What an answer to a request from ``origin`` (its ``Origin`` header) carries."""
        if not self.allow_origin:
            return {}
        # The answer depends on the request's origin: caches must not serve one for another.
        headers = {"Vary": "Origin"}
        if origin is not None and origin.lower() == self.allow_origin:
            headers["Access-Control-Allow-Origin"] = self.allow_origin
            headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSE_HEADERS)
        return headers

    def preflight_headers(self, origin: str | None, methods: Sequence[str]) -> dict[str, str]:
        """What the answer to a preflight from ``origin`` carries, for a path that takes
        ``methods``."""
        headers = self.headers(origin)
        if "Access-Control-Allow-Origin" in headers:
            headers["Access-Control-Allow-Methods"] = ", ".join(methods)
            headers["Access-Control-Allow-Headers"] = ", ".join(ALLOW_HEADERS)
            headers["Access-Control-Max-Age"] = str(MAX_AGE_SECONDS)
        return headers


def add_preflights(app: Chalice, policy: Callable[[], CorsPolicy]) -> None:
    """An ``OPTIONS`` route, without authorizer, on every path ``app`` has so far: call it
    once every blueprint is registered. ``policy`` gives the policy when a request comes
    (the settings are not read at import)."""
    for path, routes in list(app.routes.items()):
        methods = [method for method in METHODS if method in routes or method == "OPTIONS"]
        app.route(path, methods=["OPTIONS"])(_preflight(app, policy, methods))


def _preflight(app: Chalice, policy: Callable[[], CorsPolicy], methods: list[str]):
    allow = ", ".join(methods)

    def preflight(**_path_parameters: str) -> Response:
        """The methods of this path, and to the console's origin the CORS headers."""
        origin = app.current_request.headers.get("origin")
        # Allow: what HTTP says an OPTIONS answer lists, to any caller.
        headers = {"Allow": allow} | policy().preflight_headers(origin, methods)
        return Response(body="", status_code=204, headers=headers)

    return preflight


def middleware(policy: Callable[[], CorsPolicy]):
    """HTTP middleware: every answer carries the headers its request's origin calls for,
    Chalice's own errors (405, 415, 500) included."""

    def add_cors_headers(event, get_response):
        response = get_response(event)
        origin = event.headers.get("origin") if event is not None else None
        for name, value in policy().headers(origin).items():
            response.headers.setdefault(name, value)
        return response

    return add_cors_headers
