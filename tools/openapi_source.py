"""Writes chalicelib/openapi.json. The document is kept in the repo (clients and the
validator read it); this script is how it is edited, so that repeated shapes are
written once. Run: python tools/openapi_source.py"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Run as a script from anywhere: the rule lives in the service's own validator.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.api.validation import refuses

TARGET = Path(__file__).resolve().parent.parent / "chalicelib" / "openapi.json"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def error(description: str, *codes: str) -> dict:
    return {
        "description": f"{description} (code: {', '.join(codes)})",
        "content": {"application/json": {"schema": ref("Error")}},
    }


def ok(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def created(description: str, schema: dict, where: str) -> dict:
    return ok(description, schema) | {
        "headers": {
            "Location": {
                "description": f"The URL of {where}.",
                "required": True,
                "schema": {"type": "string", "format": "uri-reference"},
            }
        }
    }


def linked(response: dict, **links: dict) -> dict:
    """A response with the OpenAPI links that say which operations its data feeds."""
    return response | {"links": links}


def link(operation_id: str, description: str, **parameters: str) -> dict:
    return {"operationId": operation_id, "description": description, "parameters": parameters}


def too_many(description: str, *codes: str) -> dict:
    return error(description, *codes) | {
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    }


def body(name: str, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": ref(name)}}}


def page_of(name: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": ref(name)},
            "next_cursor": {"type": "string", "nullable": True},
        },
    }


def path_param(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "maxLength": 128},
    }


ORG_ID = path_param("org_id", "Organization id (32 hexadecimal characters).")
REQUEST_ID = path_param("request_id", "Membership request id (32 hexadecimal characters).")
MEMBER_ID = path_param("member_id", "The member's user id (the token's sub).")
LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
}
CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "Opaque; the next_cursor of the previous page.",
    "schema": {"type": "string", "maxLength": 2048},
}
STATUS_VALUES = ["pending", "accepted", "refused", "withdrawn", "expired"]


def status_param(default: str | None) -> dict:
    schema = {"type": "string", "enum": STATUS_VALUES}
    if default:
        schema["default"] = default
    return {"name": "status", "in": "query", "required": False, "schema": schema}


UNAUTHENTICATED = {"description": "Missing or invalid bearer token."}
BAD = error("Invalid body or parameters", "invalid_request")
FORBIDDEN = error("The caller may not do this", "forbidden")
NOT_FOUND_REQ = error("No such request visible to the caller", "request_not_found")
NOT_PENDING = error("The request is already closed", "request_not_pending")
# Asking to join and creating an organization store the caller's address and email it later.
NOT_VERIFIED = error(
    "Token refused, or the token does not say the caller's email address is verified (email_verified: true)",
    "email_not_verified",
)


# API Gateway's own answer when the stage's rate limit is reached, on any route.
THROTTLED = too_many("API Gateway's rate limit; Retry-After: 1", "too_many_requests")


def secured(operation: dict) -> dict:
    operation["security"] = [{"bearer": []}]
    operation["responses"].setdefault("401", UNAUTHENTICATED)
    operation["responses"].setdefault("403", FORBIDDEN | {"description": "Token refused, or forbidden"})
    return throttled(operation)


def throttled(operation: dict) -> dict:
    operation["responses"].setdefault("429", THROTTLED)
    return operation


def _class(codes) -> str:
    """A regex character class body for the given code points, as \\uXXXX escapes."""
    return "".join(
        f"\\u{code:04x}" if not isinstance(code, tuple) else f"\\u{code[0]:04x}-\\u{code[1]:04x}"
        for code in codes
    )


def _ranges(codes: list[int]) -> list[int | tuple[int, int]]:
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return [start if start == end else (start, end) for start, end in ranges]


def _refused_in_bmp(multiline: bool) -> list[int | tuple[int, int]]:
    """What plain text refuses in the Basic Multilingual Plane, the only characters an
    ECMA-262 pattern without the u flag can name. Surrogates stay out: in such a pattern
    they would bar every character beyond the plane, which JavaScript sees as two of
    them; a lone one is refused when the body is parsed."""
    return _ranges(
        [
            code
            for code in range(0x10000)
            if not 0xD800 <= code <= 0xDFFF and refuses(chr(code), multiline=multiline)
        ]
    )


# Python's str.strip() removes these; a required field needs something else.
_SPACES = [code for code in range(0x110000) if chr(code).isspace()]

PLAIN_TEXT = (
    "Plain text: no character of general category Cc (controls), Cf (format: bidi "
    "controls, zero-width characters, soft hyphen, tags...), Co (private use), Cs "
    "(surrogates) or Cn (unassigned, noncharacters), no line or paragraph separator "
    "(U+2028, U+2029) and no Default_Ignorable_Code_Point (e.g. U+034F, variation "
    "selectors, Hangul fillers), as of Unicode 15.1; {lines}. Refused with 400 "
    "invalid_request. Length counts code points as sent; the text is stored "
    "NFC-normalized, CR LF and CR as LF, surrounding whitespace trimmed{required}. "
    "`pattern` states the rule for the Basic Multilingual Plane only; x-plain-text names it."
)


def text(max_length: int, *, required: bool, multiline: bool) -> dict:
    """A plain text field (chalicelib/api/validation.py enforces its whole rule)."""
    forbidden = _class(_refused_in_bmp(multiline))
    pattern = (
        f"^[^{forbidden}]*[^{forbidden}{_class(_ranges(_SPACES))}][^{forbidden}]*$"
        if required
        else f"^[^{forbidden}]*$"
    )
    schema = {
        "type": "string",
        "maxLength": max_length,
        "pattern": pattern,
        "x-plain-text": "multi-line" if multiline else "single-line",
        "description": PLAIN_TEXT.format(
            lines="tab, LF and CR allowed" if multiline else "one line: no tab, LF or CR",
            required=", and then not empty" if required else "",
        ),
    }
    if required:
        schema["minLength"] = 1
    return schema


USER_REF = {
    "type": "object",
    "required": ["id", "name"],
    "additionalProperties": False,
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
}
TIMESTAMP = {"type": "string", "format": "date-time"}
ROLE = {"type": "string", "enum": ["admin", "editor"]}
# A domain name as email addresses use it, without IDN (punycode is ASCII, so it fits).
DOMAIN = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
GUIDANCE = text(1000, required=False, multiline=True)
GUIDANCE["description"] = "Shown to requesters when they ask. " + GUIDANCE["description"]
SETTINGS_FIELDS = {
    "requests_open": {"type": "boolean", "description": "false: asking to join answers 403 requests_closed"},
    "request_guidance": GUIDANCE,
    "auto_accept_domains": {
        "type": "array",
        "maxItems": 20,
        "items": {"type": "string", "maxLength": 253, "pattern": DOMAIN},
        "description": "Email domains (exact, a subdomain is another domain) whose callers, with a "
        "verified address, are accepted at once with auto_accept_role. Stored lower-case, "
        "without repeats.",
    },
    "auto_accept_role": ROLE,
    "request_expiry_days": {
        "type": "integer",
        "minimum": 1,
        "maximum": 365,
        "description": "A pending request expires this many days after it was made (each request "
        "keeps the value of the moment it was made)",
    },
    "reminder_days": {
        "type": "array",
        "maxItems": 3,
        "uniqueItems": True,
        "items": {"type": "integer", "minimum": 1, "maximum": 364},
        "description": "Days after a request was made when its admins are reminded of it, if still "
        "pending; each below request_expiry_days",
    },
}

ADMIN_EMAILS = ["immediate", "daily_digest", "off"]
# null: the token's locale decides (OpenAPI 3.0 wants null in the enum of a nullable one).
LANGUAGES = ["fr", "en", None]
TOKEN = {
    "name": "token",
    "in": "query",
    "required": True,
    "description": "The signed link of an admin email's List-Unsubscribe header.",
    "schema": {"type": "string", "maxLength": 1024},
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string", "pattern": "^[a-z_]+$"}, "message": {"type": "string"}},
    },
    "OrganizationCreate": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": text(120, required=True, multiline=False),
            "description": text(2000, required=False, multiline=True),
        },
    },
    "RoleChange": {
        "type": "object",
        "required": ["role"],
        "additionalProperties": False,
        "properties": {"role": {"type": "string", "enum": ["admin", "editor"]}},
    },
    "MembershipRequestCreate": {
        "type": "object",
        "required": ["comment"],
        "additionalProperties": False,
        "properties": {"comment": text(2000, required=True, multiline=True)},
    },
    "AcceptDecision": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"role": {"type": "string", "enum": ["admin", "editor"], "default": "editor"}},
    },
    "RefuseDecision": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"reason": text(2000, required=False, multiline=True) | {"nullable": True}},
    },
    "OrganizationSettingsChange": {
        "type": "object",
        "additionalProperties": False,
        "description": "Any subset of the settings: those absent keep their value. Each of "
        "reminder_days must be below request_expiry_days (as changed, or as it is).",
        "properties": SETTINGS_FIELDS,
    },
    "OrganizationSettings": {
        "type": "object",
        "additionalProperties": False,
        "required": [*SETTINGS_FIELDS, "admins_emailed", "admins_count"],
        "properties": SETTINGS_FIELDS
        | {
            "admins_emailed": {
                "type": "integer",
                "minimum": 0,
                "description": "How many admins receive admin emails for this organization (of the "
                "earliest MAX_ADMIN_EMAILS; their preference is not off and they did not mute it). "
                "0: new requests only show in the admins' inbox.",
            },
            "admins_count": {"type": "integer", "minimum": 1},
        },
    },
    "UserRef": USER_REF,
    "Organization": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "name",
            "description",
            "created_at",
            "members_count",
            "my_role",
            "my_pending_request",
            "requests_open",
            "request_guidance",
        ],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "created_at": TIMESTAMP,
            "members_count": {"type": "integer", "minimum": 0},
            "requests_open": {
                "type": "boolean",
                "description": "false: asking to join answers 403 requests_closed",
            },
            "request_guidance": {
                "type": "string",
                "description": "What the admins ask requesters to say (plain text, may be empty)",
            },
            "my_role": {"type": "string", "enum": ["admin", "editor"], "nullable": True},
            "my_pending_request": {"allOf": [ref("MembershipRequest")], "nullable": True},
        },
    },
    "Member": {
        "type": "object",
        "additionalProperties": False,
        "required": ["user_id", "name", "role", "since"],
        "properties": {
            "user_id": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "editor"]},
            "since": TIMESTAMP,
        },
    },
    "MembershipRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "organization_id",
            "user",
            "comment",
            "status",
            "role",
            "reason",
            "created_at",
            "decided_at",
            "decided_by",
            "expires_at",
            "auto_accepted",
        ],
        "properties": {
            "id": {"type": "string"},
            "organization_id": {"type": "string"},
            "user": ref("UserRef"),
            "comment": {"type": "string"},
            "status": {"type": "string", "enum": STATUS_VALUES},
            "role": {"type": "string", "enum": ["admin", "editor"], "nullable": True},
            "reason": {"type": "string", "nullable": True},
            "created_at": TIMESTAMP,
            "decided_at": TIMESTAMP | {"nullable": True},
            "decided_by": {"allOf": [ref("UserRef")], "nullable": True},
            "expires_at": TIMESTAMP
            | {
                "nullable": True,
                "description": "When the request expires if nobody answers it (set when it was "
                "made, from the organization's request_expiry_days); null for requests that "
                "never expire (made before requests expired, or accepted at once)",
            },
            "auto_accepted": {
                "type": "boolean",
                "description": "Accepted at once: the requester's verified email address is in one "
                "of the organization's auto_accept_domains",
            },
        },
    },
    "MembershipRequestPage": page_of("MembershipRequest"),
    "MemberPage": page_of("Member"),
    "MyOrganization": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name", "role", "since"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "editor"]},
            "since": TIMESTAMP,
        },
    },
    "MyOrganizationPage": page_of("MyOrganization"),
    "Decision": {
        "type": "object",
        "additionalProperties": False,
        "required": ["request"],
        "properties": {"request": ref("MembershipRequest"), "member": ref("Member")},
    },
    "Notifications": {
        "type": "object",
        "additionalProperties": False,
        "required": ["count", "items"],
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "organization", "request"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["membership_request"]},
                        "organization": USER_REF,
                        "request": ref("MembershipRequest"),
                    },
                },
            },
        },
    },
    "Preferences": {
        "type": "object",
        "additionalProperties": False,
        "required": ["admin_emails", "language", "muted_organizations"],
        "properties": {
            "admin_emails": {"type": "string", "enum": ADMIN_EMAILS},
            "language": {"type": "string", "enum": LANGUAGES, "nullable": True},
            "muted_organizations": {"type": "array", "items": USER_REF},
        },
    },
    "PreferencesUpdate": {
        "type": "object",
        "additionalProperties": False,
        "description": "A merge: absent fields keep their value. language null: the token's locale "
        "decides. muted_organizations: organizations whose admin emails are off whatever "
        "admin_emails says; each newly muted one must be an organization the caller administers.",
        "properties": {
            "admin_emails": {"type": "string", "enum": ADMIN_EMAILS},
            "language": {"type": "string", "enum": LANGUAGES, "nullable": True},
            "muted_organizations": {
                "type": "array",
                "maxItems": 100,
                "items": {"type": "string", "pattern": "^[0-9a-f]{32}$", "maxLength": 32},
            },
        },
    },
    "Unsubscribed": {
        "type": "object",
        "additionalProperties": False,
        "required": ["organization_id", "admin_emails"],
        "properties": {
            "organization_id": {"type": "string", "nullable": True},
            "admin_emails": {"type": "string", "enum": ["off"]},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "enum": ["ok"]}},
    },
}

REQUESTS = "/organizations/{org_id}/membership-requests"
REQUEST = REQUESTS + "/{request_id}"
NO_ORGANIZATION = error("No such organization", "organization_not_found")

# OpenAPI links: what a client does next with what an answer names. They also let a
# stateful fuzzer (schemathesis) chain real objects instead of guessing ids: create an
# organization, ask to join it, decide, then act on the new member.
THE_ORGANIZATION = {"org_id": "$response.body#/id"}
ORGANIZATION_LINKS = {
    "AskToJoin": link("askToJoin", "Another user asks to join it", **THE_ORGANIZATION),
    "ListMembers": link("listMembers", "Its members: its creator, its first admin", **THE_ORGANIZATION),
    "GetSettings": link(
        "getOrganizationSettings", "Its settings, as its admin reads them", **THE_ORGANIZATION
    ),
    "ChangeSettings": link(
        "changeOrganizationSettings", "Its admin changes its settings", **THE_ORGANIZATION
    ),
}
THE_REQUEST = {"org_id": "$response.body#/organization_id", "request_id": "$response.body#/id"}
REQUEST_LINKS = {
    "GetRequest": link("getMembershipRequest", "The request", **THE_REQUEST),
    "Accept": link("acceptMembershipRequest", "An admin accepts it", **THE_REQUEST),
    "Refuse": link("refuseMembershipRequest", "An admin refuses it", **THE_REQUEST),
    "Withdraw": link("withdrawMembershipRequest", "Its requester withdraws it", **THE_REQUEST),
}


def role_change(description: str, role: str, **member: str) -> dict:
    return link("changeMemberRole", description, **member) | {"requestBody": {"role": role}}


THE_NEW_MEMBER = {"org_id": "$request.path.org_id", "member_id": "$response.body#/member/user_id"}
ACCEPT_LINKS = {
    "MakeAdmin": role_change("Make the new member an admin", "admin", **THE_NEW_MEMBER),
    "MakeEditor": role_change("Make the new member an editor", "editor", **THE_NEW_MEMBER),
    "RemoveMember": link("removeMember", "Remove the new member", **THE_NEW_MEMBER),
}
ROLE_LINKS = {
    "RemoveMember": link(
        "removeMember",
        "Remove the member",
        org_id="$request.path.org_id",
        member_id="$response.body#/user_id",
    ),
}

PATHS = {
    "/health": {
        "get": throttled(
            {
                "operationId": "health",
                "summary": "Liveness",
                "responses": {"200": ok("The service answers", ref("Health"))},
            }
        )
    },
    "/openapi.json": {
        "get": throttled(
            {
                "operationId": "openapi",
                "summary": "This document, with a `servers` entry for the stage it is served from",
                "responses": {"200": ok("OpenAPI 3 description", {"type": "object"})},
            }
        )
    },
    "/organizations": {
        "post": secured(
            {
                "operationId": "createOrganization",
                "summary": "Create an organization (caller becomes admin)",
                "requestBody": body("OrganizationCreate"),
                "responses": {
                    "201": linked(
                        created("Created", ref("Organization"), "the new organization"),
                        **ORGANIZATION_LINKS,
                    ),
                    "400": BAD,
                    "403": NOT_VERIFIED,
                },
            }
        )
    },
    "/organizations/{org_id}": {
        "parameters": [ORG_ID],
        "get": secured(
            {
                "operationId": "getOrganization",
                "summary": "An organization, as the caller sees it",
                "responses": {
                    "200": ok("The organization", ref("Organization")),
                    "404": error("No such organization", "organization_not_found"),
                },
            }
        ),
    },
    "/organizations/{org_id}/settings": {
        "parameters": [ORG_ID],
        "get": secured(
            {
                "operationId": "getOrganizationSettings",
                "summary": "What the admins decided of requests to join (members)",
                "responses": {
                    "200": ok("The settings", ref("OrganizationSettings")),
                    "403": FORBIDDEN | {"description": "Token refused, or not a member (code: forbidden)"},
                    "404": NO_ORGANIZATION,
                },
            }
        ),
        "put": secured(
            {
                "operationId": "changeOrganizationSettings",
                "summary": "Change some of the settings, the others kept (org admins)",
                "requestBody": body("OrganizationSettingsChange"),
                "responses": {
                    "200": ok("The settings as they are now", ref("OrganizationSettings")),
                    "400": BAD,
                    "403": FORBIDDEN | {"description": "Token refused, or not an admin (code: forbidden)"},
                    "404": NO_ORGANIZATION,
                    "409": error("The settings changed meanwhile; read them and try again", "conflict"),
                },
            }
        ),
    },
    "/organizations/{org_id}/members": {
        "parameters": [ORG_ID],
        "get": secured(
            {
                "operationId": "listMembers",
                "summary": "Members, one page at a time",
                "parameters": [LIMIT, CURSOR],
                "responses": {
                    "200": ok("A page of members", ref("MemberPage")),
                    "400": BAD,
                    "404": error("No such organization", "organization_not_found"),
                },
            }
        ),
    },
    "/organizations/{org_id}/members/{member_id}": {
        "parameters": [ORG_ID, MEMBER_ID],
        "put": secured(
            {
                "operationId": "changeMemberRole",
                "summary": "Change a member's role (org admins)",
                "requestBody": body("RoleChange"),
                "responses": {
                    "200": linked(ok("The member", ref("Member")), **ROLE_LINKS),
                    "400": BAD,
                    "404": error("No such member", "member_not_found"),
                    "409": error("The last admin cannot be demoted", "last_admin", "conflict"),
                },
            }
        ),
        "delete": secured(
            {
                "operationId": "removeMember",
                "summary": "Remove a member (org admins, or the member leaving)",
                "responses": {
                    "204": {"description": "Removed"},
                    "404": error("No such member", "member_not_found"),
                    "409": error("The last admin cannot leave", "last_admin", "conflict"),
                },
            }
        ),
    },
    REQUESTS: {
        "parameters": [ORG_ID],
        "post": secured(
            {
                "operationId": "askToJoin",
                "summary": "Ask to join the organization",
                "description": "The request is pending, or accepted at once (status accepted, "
                "auto_accepted true, the caller a member with the organization's auto_accept_role) "
                "when the caller's verified email address is in one of its auto_accept_domains.",
                "requestBody": body("MembershipRequestCreate"),
                "responses": {
                    "201": linked(
                        created(
                            "The pending request, or the request accepted at once",
                            ref("MembershipRequest"),
                            "the new request",
                        ),
                        **REQUEST_LINKS,
                    ),
                    "400": BAD,
                    "403": NOT_VERIFIED
                    | error(
                        "Token refused, the token does not say the caller's email address is verified "
                        "(email_verified: true), or the organization does not take requests now",
                        "email_not_verified",
                        "requests_closed",
                    ),
                    "404": error("No such organization", "organization_not_found"),
                    "409": error(
                        "Already a member, a request is pending, or the settings kept changing",
                        "already_member",
                        "request_pending",
                        "conflict",
                    ),
                    "429": too_many(
                        "Too many pending requests (Retry-After: 3600), asked this organization again "
                        "within REQUEST_COOLDOWN_SECONDS of the previous request (Retry-After: the "
                        "seconds left), or API Gateway's rate limit (Retry-After: 1)",
                        "too_many_pending_requests",
                        "request_cooldown",
                        "too_many_requests",
                    ),
                },
            }
        ),
        "get": secured(
            {
                "operationId": "listOrganizationRequests",
                "summary": "The organization's requests of one status, oldest first (members)",
                "parameters": [status_param("pending"), LIMIT, CURSOR],
                "responses": {
                    "200": ok("A page of requests", ref("MembershipRequestPage")),
                    "400": error("Invalid parameters or cursor", "invalid_request", "invalid_cursor"),
                    "404": error("Not an organization id", "organization_not_found"),
                },
            }
        ),
    },
    REQUEST: {
        "parameters": [ORG_ID, REQUEST_ID],
        "get": secured(
            {
                "operationId": "getMembershipRequest",
                "summary": "One request (the requester or members)",
                "responses": {"200": ok("The request", ref("MembershipRequest")), "404": NOT_FOUND_REQ},
            }
        ),
        "delete": secured(
            {
                "operationId": "withdrawMembershipRequest",
                "summary": "Withdraw a pending request",
                "responses": {
                    "200": ok("The withdrawn request", ref("Decision")),
                    "404": NOT_FOUND_REQ,
                    "409": NOT_PENDING,
                },
            }
        ),
    },
    REQUEST + "/accept": {
        "parameters": [ORG_ID, REQUEST_ID],
        "post": secured(
            {
                "operationId": "acceptMembershipRequest",
                "summary": "Accept, choosing the role (org admins)",
                "requestBody": body("AcceptDecision", required=False),
                "responses": {
                    "200": linked(ok("The decision and the new member", ref("Decision")), **ACCEPT_LINKS),
                    "400": BAD,
                    "404": NOT_FOUND_REQ,
                    "409": error(
                        "Closed already, or already a member",
                        "request_not_pending",
                        "already_member",
                        "conflict",
                    ),
                },
            }
        ),
    },
    REQUEST + "/refuse": {
        "parameters": [ORG_ID, REQUEST_ID],
        "post": secured(
            {
                "operationId": "refuseMembershipRequest",
                "summary": "Refuse, with an optional reason (org admins)",
                "requestBody": body("RefuseDecision", required=False),
                "responses": {
                    "200": ok("The decision", ref("Decision")),
                    "400": BAD,
                    "404": NOT_FOUND_REQ,
                    "409": NOT_PENDING,
                },
            }
        ),
    },
    "/me/membership-requests": {
        "get": secured(
            {
                "operationId": "listMyRequests",
                "summary": "The caller's requests, newest first",
                "parameters": [status_param(None), LIMIT, CURSOR],
                "responses": {
                    "200": ok("A page of requests", ref("MembershipRequestPage")),
                    "400": error("Invalid parameters or cursor", "invalid_request", "invalid_cursor"),
                },
            }
        )
    },
    "/me/organizations": {
        "get": secured(
            {
                "operationId": "listMyOrganizations",
                "summary": "The organizations the caller is a member of, with the caller's role: "
                "those the caller administers first, then in a stable order",
                "parameters": [LIMIT, CURSOR],
                "responses": {
                    "200": ok("A page of organizations", ref("MyOrganizationPage")),
                    "400": error("Invalid parameters or cursor", "invalid_request", "invalid_cursor"),
                },
            }
        )
    },
    "/me/preferences": {
        "get": secured(
            {
                "operationId": "getMyPreferences",
                "summary": "How the caller wants to be emailed",
                "responses": {"200": ok("The preferences", ref("Preferences"))},
            }
        ),
        "put": secured(
            {
                "operationId": "updateMyPreferences",
                "summary": "Change some of the caller's email preferences",
                # A merge: no body changes nothing and answers the preferences.
                "requestBody": body("PreferencesUpdate", required=False),
                "responses": {
                    "200": ok("The preferences as stored", ref("Preferences")),
                    "400": BAD,
                    "403": NOT_VERIFIED,
                },
            }
        ),
    },
    "/unsubscribe": {
        "get": throttled(
            {
                "operationId": "unsubscribePage",
                "summary": "The page an unsubscribe link opens: a button that applies it (a GET "
                "changes nothing, as mail scanners follow links). No token needed.",
                "parameters": [TOKEN],
                "responses": {
                    "200": {"description": "The page (French and English)", "content": {"text/html": {}}},
                    "400": {"description": "An altered or expired link", "content": {"text/html": {}}},
                },
            }
        ),
        "post": throttled(
            {
                "operationId": "unsubscribe",
                "summary": "RFC 8058 one-click unsubscribe: the link's organization's admin emails "
                "off for its user (all admin emails when it names none). Works once. No token needed.",
                "parameters": [TOKEN],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": ok("Applied", ref("Unsubscribed")),
                    "400": error(
                        "An altered, forged or expired link; a form whose List-Unsubscribe is not One-Click",
                        "invalid_link",
                        "invalid_request",
                    ),
                    "409": error("The link was used already", "link_used"),
                },
            }
        ),
    },
    "/me/notifications": {
        "get": secured(
            {
                "operationId": "myNotifications",
                "summary": "Pending requests of the organizations the caller administers",
                "responses": {"200": ok("The inbox", ref("Notifications"))},
            }
        )
    },
}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "Adhesion",
        "version": "1.0.0",
        "description": "Ask to join an organization; its admins accept or refuse. Errors are "
        '{"code", "message"}; every route but /health, /openapi.json and /unsubscribe (whose '
        "signed link is its authority) needs "
        "a bearer token (an OIDC or Cognito ID token). Every 429 carries Retry-After, every "
        "201 a Location. The document served at /openapi.json names in `servers` the root "
        "it was reached at (the stage's, or a custom domain's base path).",
    },
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
    },
}

if __name__ == "__main__":
    TARGET.write_text(json.dumps(DOCUMENT, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")
