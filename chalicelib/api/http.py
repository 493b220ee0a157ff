"""HTTP plumbing shared by every blueprint: route registration, request parsing,
and the one mapping from domain errors to HTTP statuses."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.auth import jwt_authorizer
from chalicelib.api.validation import validate_body
from chalicelib.domain import Caller, RequestStatus
from chalicelib.errors import (
    AlreadyMember,
    AskedTooRecently,
    Conflict,
    DomainError,
    EmailNotVerified,
    EmailsInProgress,
    Forbidden,
    InvalidCursor,
    InvalidRequest,
    LastAdmin,
    MemberNotFound,
    OrganizationNotFound,
    RequestNotFound,
    RequestNotPending,
    RequestPending,
    TooManyPendingRequests,
)

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidRequest: 400,
    InvalidCursor: 400,
    Forbidden: 403,
    EmailNotVerified: 403,
    OrganizationNotFound: 404,
    MemberNotFound: 404,
    RequestNotFound: 404,
    AlreadyMember: 409,
    RequestPending: 409,
    RequestNotPending: 409,
    LastAdmin: 409,
    Conflict: 409,
    EmailsInProgress: 409,
    TooManyPendingRequests: 429,
    AskedTooRecently: 429,
}

# Chalice answers some requests itself (wrong method, media type, crashes); its
# codes are translated so that clients see one error shape.
_CHALICE_CODES = {
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "BadRequest": "invalid_request",
    "BadRequestError": "invalid_request",
    "InternalServerError": "internal_error",
}

MAX_BODY_BYTES = 16 * 1024
_JSON_HEADERS = {"Content-Type": "application/json"}
_ID = re.compile(r"^[0-9a-f]{32}$")
_USER_ID = re.compile(r"^[A-Za-z0-9._:@|+-]{1,128}$")


def error_response(error: DomainError) -> Response:
    return Response(
        body={"code": error.code, "message": error.message},
        status_code=STATUS_BY_ERROR.get(type(error), 400),
        headers=_JSON_HEADERS,
    )


def normalize_errors(event, get_response):
    """HTTP middleware: give Chalice's own error answers the contract's shape."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        response.body = {
            "code": _CHALICE_CODES.get(body["Code"], "error"),
            "message": body.get("Message", ""),
        }
    return response


def route(
    bp: Blueprint, path: str, *, methods: list[str], status: int = 200, public: bool = False
) -> Callable:
    """Register a JSON view: authenticated unless ``public``, answered with ``status``,
    its domain errors turned into the contract's error responses."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            try:
                body = view(**params)
            except DomainError as error:
                return error_response(error)
            if status == 204:
                return Response(body="", status_code=204)
            return Response(body=body, status_code=status, headers=_JSON_HEADERS)

        bp.route(
            path,
            methods=methods,
            authorizer=None if public else jwt_authorizer,
            content_types=["application/json"],
        )(handler)
        return view

    return register


def caller_of(request) -> Caller:
    context = request.context.get("authorizer") or {}
    return Caller(
        user_id=context["principalId"],
        name=context.get("name", ""),
        email=context.get("email", ""),
        locale=context.get("locale", "fr"),
        # The authorizer sends "true" or "false"; anything else (a context cached by an
        # authorizer of an older version, say) is not a verified address.
        email_verified=str(context.get("email_verified", "")).lower() == "true",
    )


def json_body(request, schema: str) -> dict[str, Any]:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidRequest(f"The body must not exceed {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        # A lone surrogate (a "\ud800" escape) parses but is no text; DynamoDB would refuse it.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError) as e:
        raise InvalidRequest("The body is not valid JSON.") from e
    return validate_body(schema, data)


def query_param(request, name: str) -> str | None:
    return (request.query_params or {}).get(name)


def limit_param(request, default: int = 20) -> int:
    raw = query_param(request, "limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise InvalidRequest("limit must be an integer from 1 to 100.")
    return int(raw)


def status_param(request, default: RequestStatus | None) -> RequestStatus | None:
    raw = query_param(request, "status")
    if raw is None:
        return default
    try:
        return RequestStatus(raw)
    except ValueError as e:
        raise InvalidRequest("status must be one of pending, accepted, refused, withdrawn.") from e


def cursor_param(request) -> str | None:
    raw = query_param(request, "cursor")
    if raw is None or raw == "":
        return None
    if len(raw) > 2048:
        raise InvalidCursor()
    return raw


def object_id(value: str, missing: DomainError) -> str:
    """Ids are ours: anything not shaped like one cannot exist."""
    if not _ID.match(value):
        raise missing
    return value


def user_id(value: str) -> str:
    if not _USER_ID.match(value):
        raise MemberNotFound()
    return value
