"""Public routes: liveness and the API's own description."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import base_url, route
from chalicelib.api.validation import openapi

bp = Blueprint(__name__)


@route(bp, "/health", methods=["GET"], public=True)
def health():
    return {"status": "ok"}


@route(bp, "/openapi.json", methods=["GET"], public=True)
def openapi_document():
    # The stored document is the same for every stage; where this one is served
    # from is known only now, and clients (and the fuzzer) resolve paths against it.
    return {**openapi(), "servers": [{"url": base_url(bp.current_request) or "/"}]}
