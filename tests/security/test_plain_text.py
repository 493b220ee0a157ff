"""Invisible, bidi and other format characters never get into an organization's name or
description, a motivation or a refusal reason: each is refused at the door, nothing is
stored and no email goes out, while ordinary text in any script gets through as written.
(Every code point of every refused range is checked in tests/unit/test_validation.py.)"""

from __future__ import annotations

import unicodedata

import pytest

# What the probe stored (201) before, then one of each other kind the rule refuses.
REFUSED = {
    0x061C: "ARABIC LETTER MARK",
    0x200B: "ZERO WIDTH SPACE",
    0x200D: "ZERO WIDTH JOINER",
    0x2060: "WORD JOINER",
    0xFEFF: "ZERO WIDTH NO-BREAK SPACE",
    0x00AD: "SOFT HYPHEN",
    0x180E: "MONGOLIAN VOWEL SEPARATOR",
    0x034F: "COMBINING GRAPHEME JOINER (a mark, but default-ignorable)",
    0xE0001: "LANGUAGE TAG",
    0xE0041: "TAG LATIN CAPITAL LETTER A",
    0xE007F: "CANCEL TAG",
    0x202E: "RIGHT-TO-LEFT OVERRIDE",
    0x2067: "RIGHT-TO-LEFT ISOLATE",
    0xFE0F: "VARIATION SELECTOR-16",
    0x3164: "HANGUL FILLER",
    0x0085: "NEXT LINE (NEL)",
    0x2028: "LINE SEPARATOR",
    0x2029: "PARAGRAPH SEPARATOR",
    0x001B: "ESCAPE",
    0xE000: "a private use character",
    0x10FFFD: "a private use character beyond the BMP",
    0x0378: "an unassigned code point",
    0xFFFF: "a noncharacter",
}

ORDINARY = [
    "Élise Lefèvre, maîtresse d'œuvre à l'Hôtel de Ville — « ça va ? »",
    "Données ouvertes 🎉👍🏽🇫🇷",
    "数据开放平台 · データ公開 · 공공 데이터",
    "مرحبا · שלום · नमस्ते · Ελληνικά",
]


def _sent(aws, stream) -> int:
    stream.deliver()
    return len(aws.emails())


def _message(code: int, field: str) -> str:
    return f"{field} contains a character that is not allowed (U+{code:04X})."


@pytest.fixture
def calls(api, world):
    """One call per text field, each by a caller allowed to make it."""
    base = f"/organizations/{world.org_id}/membership-requests"
    return {
        "name": lambda text: api.post("/organizations", world.outsider, {"name": text}),
        "description": lambda text: api.post(
            "/organizations", world.outsider, {"name": "Etalab bis", "description": text}
        ),
        "comment": lambda text: api.post(base, world.outsider, {"comment": text}),
        "reason": lambda text: api.post(
            f"{base}/{world.request['id']}/refuse", world.admin, {"reason": text}
        ),
    }


@pytest.mark.parametrize("field", ["name", "description", "comment", "reason"])
def test_invisible_and_format_characters_are_refused_and_nothing_is_stored_or_sent(
    calls, field, items, aws, stream
):
    # GIVEN an organization whose emails so far have all gone out
    sent = _sent(aws, stream)
    before = items()
    for code, label in REFUSED.items():
        # WHEN the field carries one such character inside ordinary text
        reply = calls[field](f"Etalab{chr(code)}data")
        # THEN the call is refused, naming the character
        assert (reply.status, reply.body) == (
            400,
            {"code": "invalid_request", "message": _message(code, field)},
        ), label
    # AND nothing was written and no email goes out
    assert items() == before
    assert _sent(aws, stream) == sent


def test_ordinary_names_and_descriptions_of_any_script_are_stored_as_written(api, make_user, item):
    alice = make_user("alice")
    for text in ORDINARY:
        reply = api.post("/organizations", alice, {"name": text[:120], "description": f"{text}\n{text}"})
        assert reply.status == 201, text
        stored = item(f"ORG#{reply.body['id']}", "ORG")
        assert (stored["name"], stored["description"]) == (text[:120], f"{text}\n{text}")


def test_ordinary_motivations_and_reasons_reach_the_admins_and_the_requester(api, world, item, aws, stream):
    sent = _sent(aws, stream)
    base = f"/organizations/{world.org_id}/membership-requests"
    motivation = "\n".join(ORDINARY)
    # WHEN a motivation and a refusal reason mix scripts, accents and emoji
    asked = api.post(base, world.outsider, {"comment": motivation})
    refused = api.post(f"{base}/{world.request['id']}/refuse", world.admin, {"reason": ORDINARY[0]})
    # THEN both are stored as written, and emailed
    assert (asked.status, refused.status) == (201, 200)
    assert item(f"ORG#{world.org_id}", f"REQ#{asked.body['id']}")["comment"] == motivation
    assert item(f"ORG#{world.org_id}", f"REQ#{world.request['id']}")["reason"] == ORDINARY[0]
    stream.deliver()
    emails = aws.emails()[sent:]
    assert len(emails) == 2
    assert "数据开放平台" in emails[0].body and "🎉👍🏽🇫🇷" in emails[0].body
    assert "maîtresse d&#39;œuvre" in emails[1].body or "maîtresse d'œuvre" in emails[1].body


def test_a_decomposed_accent_is_stored_composed(api, make_user, item):
    # "e" followed by COMBINING ACUTE ACCENT, as some keyboards and macOS file names send it
    reply = api.post("/organizations", make_user("alice"), {"name": "Cre\u0301teil"})
    assert reply.status == 201
    assert reply.body["name"] == "Créteil" == unicodedata.normalize("NFC", "Cre\u0301teil")
    assert item(f"ORG#{reply.body['id']}", "ORG")["name"] == "Créteil"
