"""Public routes: liveness and the API's own description."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import route
from chalicelib.api.validation import openapi

bp = Blueprint(__name__)


@route(bp, "/health", methods=["GET"], public=True)
def health():
    return {"status": "ok"}


@route(bp, "/openapi.json", methods=["GET"], public=True)
def openapi_document():
    return openapi()
