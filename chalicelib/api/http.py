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
    InvalidLink,
    InvalidRequest,
    LastAdmin,
    LinkUsed,
    MemberNotFound,
    OrganizationNotFound,
    RequestNotFound,
    RequestNotPending,
    RequestPending,
    RequestsClosed,
    TooManyPendingRequests,
)

logger = logging.getLogger(__name__)

# Looked up along each error's class hierarchy (status_of), so a subclass answers as
# its parent does; tests/api/test_error_mapping.py checks that every domain error has one.
STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidRequest: 400,
    InvalidCursor: 400,
    InvalidLink: 400,
    Forbidden: 403,
    EmailNotVerified: 403,
    RequestsClosed: 403,
    OrganizationNotFound: 404,
    MemberNotFound: 404,
    RequestNotFound: 404,
    AlreadyMember: 409,
    RequestPending: 409,
    RequestNotPending: 409,
    LastAdmin: 409,
    Conflict: 409,
    EmailsInProgress: 409,
    LinkUsed: 409,
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
_LIMIT = re.compile(r"0*[0-9]{1,3}")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?")


def status_of(error_type: type[DomainError]) -> int | None:
    """The status of the nearest class in the error's hierarchy that has one."""
    for cls in error_type.__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return None


def error_response(error: DomainError) -> Response:
    status = status_of(type(error))
    if status is None:
        # A domain error nobody mapped is our bug, not the client's: answer like any
        # other crash (and raise the 5xx alarm) rather than blame the request.
        logger.error("no HTTP status for %s", type(error).__name__)
        status = 500
    headers = dict(_JSON_HEADERS)
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    return Response(body={"code": error.code, "message": error.message}, status_code=status, headers=headers)


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
    bp: Blueprint,
    path: str,
    *,
    methods: list[str],
    status: int = 200,
    public: bool = False,
    location: Callable[[dict[str, Any]], str] | None = None,
) -> Callable:
    """Register a JSON view: authenticated unless ``public``, answered with ``status``,
    its domain errors turned into the contract's error responses. ``location`` gives
    the path, under the API's root, of what the view created (its ``Location``)."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            try:
                body = view(**params)
            except DomainError as error:
                return error_response(error)
            if status == 204:
                return Response(body="", status_code=204)
            headers = dict(_JSON_HEADERS)
            if location is not None:
                headers["Location"] = base_url(bp.current_request) + location(body)
            return Response(body=body, status_code=status, headers=headers)

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


def json_body(request, schema: str, required: bool = False) -> dict[str, Any]:
    """The body, checked against the contract's ``schema``. ``required``: a body whose
    fields are all optional (a merge) must still be sent, if only as ``{}``."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidRequest(f"The body must not exceed {MAX_BODY_BYTES} bytes.")
    if required and not raw.strip():
        raise InvalidRequest("The body must be a JSON object.")
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
    # ASCII digits only: str.isdigit() and int() also take "²", "٥" or "５", and int()
    # takes "1_0" and " 7". The length bound keeps int() away from huge inputs.
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= 100:
        raise InvalidRequest("limit must be an integer from 1 to 100.")
    return int(raw)


def status_param(request, default: RequestStatus | None) -> RequestStatus | None:
    raw = query_param(request, "status")
    if raw is None:
        return default
    try:
        return RequestStatus(raw)
    except ValueError as e:
        raise InvalidRequest(f"status must be one of {', '.join(RequestStatus)}.") from e


def cursor_param(request) -> str | None:
    raw = query_param(request, "cursor")
    if raw is None or raw == "":
        return None
    if len(raw) > 2048:
        raise InvalidCursor()
    return raw


def object_id(value: str, missing: type[DomainError]) -> str:
    """Ids are ours: anything not shaped like one cannot exist.

    ``missing`` is the error class, raised afresh each time: an instance kept and
    raised again would carry every earlier traceback along in a warm container."""
    if not _ID.fullmatch(value):
        raise missing()
    return value


def user_id(value: str) -> str:
    if not _USER_ID.fullmatch(value):
        raise MemberNotFound()
    return value


def base_url(request) -> str:
    """The API's root as the caller reached it, e.g. ``https://<id>.execute-api.<region>.amazonaws.com/api``
    deployed, ``http://127.0.0.1:8000`` under ``chalice local``.

    API Gateway's ``requestContext.path`` is the path the caller sent: the stage first on
    the execute-api domain, a custom domain's base path, or nothing locally; what precedes
    this route's own path in it is the root. A Host that is not a plain host name gives a
    root relative to the caller's origin instead of echoing it."""
    context = request.context or {}
    own_path = context.get("resourcePath", "")
    for name, value in (request.uri_params or {}).items():
        own_path = own_path.replace("{" + name + "}", value)
    sent_path = context.get("path", "")
    if own_path and sent_path.endswith(own_path):
        prefix = sent_path[: len(sent_path) - len(own_path)]
    else:
        prefix = f"/{context['stage']}" if context.get("stage") else ""
    host = request.headers.get("host", "")
    if not _HOST.fullmatch(host):
        return prefix
    scheme = request.headers.get("x-forwarded-proto", "http").lower()
    return f"{'https' if scheme == 'https' else 'http'}://{host}{prefix}"
