"""Bodies are checked against the schemas published in openapi.json."""

from __future__ import annotations

import pytest

from chalicelib.api.validation import validate_body
from chalicelib.errors import InvalidRequest


def test_strings_are_trimmed_and_line_breaks_normalized():
    assert validate_body("MembershipRequestCreate", {"comment": "  a\r\nb\rc  "}) == {"comment": "a\nb\nc"}


def test_optional_fields_may_be_absent_and_null_only_where_the_schema_says_so():
    assert validate_body("RefuseDecision", {}) == {}
    assert validate_body("RefuseDecision", {"reason": None}) == {}
    assert validate_body("OrganizationCreate", {"name": "X"}) == {"name": "X"}
    with pytest.raises(InvalidRequest):
        validate_body("OrganizationCreate", {"name": "X", "description": None})


@pytest.mark.parametrize(
    ("schema", "body", "message"),
    [
        ("MembershipRequestCreate", {}, "Missing field: comment."),
        ("MembershipRequestCreate", {"comment": " "}, "comment must not be empty."),
        ("MembershipRequestCreate", {"comment": "x" * 2001}, "comment must be at most 2000 characters."),
        ("MembershipRequestCreate", {"comment": 5}, "comment must be a string."),
        ("MembershipRequestCreate", {"comment": "ok", "status": "accepted"}, "Unknown field: status."),
        (
            "MembershipRequestCreate",
            {"comment": "a\u202eb"},
            "comment contains characters that are not allowed.",
        ),
        (
            "MembershipRequestCreate",
            {"comment": "a\x1bb"},
            "comment contains characters that are not allowed.",
        ),
        ("OrganizationCreate", {"name": "two\nlines"}, "name contains characters that are not allowed."),
        ("OrganizationCreate", ["name"], "The body must be a JSON object."),
        ("RoleChange", {"role": "owner"}, "role must be one of: admin, editor."),
        ("AcceptDecision", {"role": None, "user_id": "x"}, "Unknown field: user_id."),
    ],
)
def test_invalid_bodies_are_refused_with_a_clear_message(schema, body, message):
    with pytest.raises(InvalidRequest) as raised:
        validate_body(schema, body)
    assert raised.value.message == message


def test_length_limits_count_characters_not_bytes():
    assert validate_body("OrganizationCreate", {"name": "é" * 120})["name"] == "é" * 120
