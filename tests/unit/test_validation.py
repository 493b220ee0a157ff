"""Bodies are checked against the schemas published in openapi.json."""

from __future__ import annotations

import functools
import re
import unicodedata

import pytest

from chalicelib.api.validation import (
    DEFAULT_IGNORABLE,
    UNICODE_VERSION,
    openapi,
    refuses,
    validate_body,
)
from chalicelib.errors import InvalidRequest


def test_strings_are_trimmed_and_line_breaks_normalized():
    assert validate_body("MembershipRequestCreate", {"comment": "  a\r\nb\rc  "}) == {"comment": "a\nb\nc"}


def test_optional_fields_may_be_absent_and_null_only_where_the_schema_says_so():
    assert validate_body("RefuseDecision", {}) == {}
    # Kept as given: a merge (PUT /me/preferences) tells "reset" from "unchanged".
    assert validate_body("RefuseDecision", {"reason": None}) == {"reason": None}
    assert validate_body("OrganizationCreate", {"name": "X"}) == {"name": "X"}
    with pytest.raises(InvalidRequest):
        validate_body("OrganizationCreate", {"name": "X", "description": None})


def test_arrays_of_strings_are_checked_item_by_item():
    org = "a" * 32
    assert validate_body("PreferencesUpdate", {"muted_organizations": [org]}) == {
        "muted_organizations": [org]
    }
    with pytest.raises(InvalidRequest, match=r"muted_organizations\[1\] contains characters"):
        validate_body("PreferencesUpdate", {"muted_organizations": [org, "ORG"]})
    with pytest.raises(InvalidRequest, match="muted_organizations must be a list"):
        validate_body("PreferencesUpdate", {"muted_organizations": org})
    with pytest.raises(InvalidRequest, match="at most 100 items"):
        validate_body("PreferencesUpdate", {"muted_organizations": [org] * 101})


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
            "comment contains a character that is not allowed (U+202E).",
        ),
        (
            "MembershipRequestCreate",
            {"comment": "a\x1bb"},
            "comment contains a character that is not allowed (U+001B).",
        ),
        (
            "OrganizationCreate",
            {"name": "two\nlines"},
            "name contains a character that is not allowed (U+000A).",
        ),
        ("OrganizationCreate", ["name"], "The body must be a JSON object."),
        ("RoleChange", {"role": "owner"}, "role must be one of: admin, editor."),
        ("RoleChange", {"role": "a" * 10_001}, "role must be at most 10000 characters."),
        ("RoleChange", {"role": " admin"}, "role must be one of: admin, editor."),
        ("AcceptDecision", {"role": None, "user_id": "x"}, "Unknown field: user_id."),
    ],
)
def test_invalid_bodies_are_refused_with_a_clear_message(schema, body, message):
    with pytest.raises(InvalidRequest) as raised:
        validate_body(schema, body)
    assert raised.value.message == message


def test_length_limits_count_characters_not_bytes():
    assert validate_body("OrganizationCreate", {"name": "é" * 120})["name"] == "é" * 120


# -- Plain text ---------------------------------------------------------------------------
#
# Default_Ignorable_Code_Point as Unicode 15.1 lists it, transcribed in the file's own
# format from https://www.unicode.org/Public/15.1.0/ucd/DerivedCoreProperties.txt, so
# that the validator's table is checked against a second copy, not against itself.
DERIVED_CORE_PROPERTIES_15_1 = """
00AD          ; Default_Ignorable_Code_Point # Cf       SOFT HYPHEN
034F          ; Default_Ignorable_Code_Point # Mn       COMBINING GRAPHEME JOINER
061C          ; Default_Ignorable_Code_Point # Cf       ARABIC LETTER MARK
115F..1160    ; Default_Ignorable_Code_Point # Lo   [2] HANGUL CHOSEONG FILLER..HANGUL JUNGSEONG FILLER
17B4..17B5    ; Default_Ignorable_Code_Point # Mn   [2] KHMER VOWEL INHERENT AQ..KHMER VOWEL INHERENT AA
180B..180D    ; Default_Ignorable_Code_Point # Mn   [3] MONGOLIAN FREE VARIATION SELECTOR ONE..THREE
180E          ; Default_Ignorable_Code_Point # Cf       MONGOLIAN VOWEL SEPARATOR
180F          ; Default_Ignorable_Code_Point # Mn       MONGOLIAN FREE VARIATION SELECTOR FOUR
200B..200F    ; Default_Ignorable_Code_Point # Cf   [5] ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
202A..202E    ; Default_Ignorable_Code_Point # Cf   [5] LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
2060..2064    ; Default_Ignorable_Code_Point # Cf   [5] WORD JOINER..INVISIBLE PLUS
2065          ; Default_Ignorable_Code_Point # Cn       <reserved-2065>
2066..206F    ; Default_Ignorable_Code_Point # Cf  [10] LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
3164          ; Default_Ignorable_Code_Point # Lo       HANGUL FILLER
FE00..FE0F    ; Default_Ignorable_Code_Point # Mn  [16] VARIATION SELECTOR-1..VARIATION SELECTOR-16
FEFF          ; Default_Ignorable_Code_Point # Cf       ZERO WIDTH NO-BREAK SPACE
FFA0          ; Default_Ignorable_Code_Point # Lo       HALFWIDTH HANGUL FILLER
FFF0..FFF8    ; Default_Ignorable_Code_Point # Cn   [9] <reserved-FFF0>..<reserved-FFF8>
1BCA0..1BCA3  ; Default_Ignorable_Code_Point # Cf   [4] SHORTHAND FORMAT LETTER OVERLAP..UP STEP
1D173..1D17A  ; Default_Ignorable_Code_Point # Cf   [8] MUSICAL SYMBOL BEGIN BEAM..MUSICAL SYMBOL END PHRASE
E0000         ; Default_Ignorable_Code_Point # Cn       <reserved-E0000>
E0001         ; Default_Ignorable_Code_Point # Cf       LANGUAGE TAG
E0002..E001F  ; Default_Ignorable_Code_Point # Cn  [30] <reserved-E0002>..<reserved-E001F>
E0020..E007F  ; Default_Ignorable_Code_Point # Cf  [96] TAG SPACE..CANCEL TAG
E0080..E00FF  ; Default_Ignorable_Code_Point # Cn [128] <reserved-E0080>..<reserved-E00FF>
E0100..E01EF  ; Default_Ignorable_Code_Point # Mn [240] VARIATION SELECTOR-17..VARIATION SELECTOR-256
E01F0..E0FFF  ; Default_Ignorable_Code_Point # Cn [3600] <reserved-E01F0>..<reserved-E0FFF>
"""
# Total code points: 4174
REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
ALL_CODE_POINTS = range(0x110000)


def _ucd_ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    for line in text.strip().splitlines():
        codes = line.split(";")[0].strip()
        start, _, end = codes.partition("..")
        ranges.append((int(start, 16), int(end or start, 16)))
    return ranges


@functools.cache
def _forbidden_ranges() -> dict[str, list[tuple[int, int]]]:
    """Each kind of forbidden code point, as ranges: the Default_Ignorable_Code_Point
    list above, and each refused general category over all of Unicode."""
    ranges: dict[str, list[list[int]]] = {category: [] for category in REFUSED_CATEGORIES}
    for code in ALL_CODE_POINTS:
        category = unicodedata.category(chr(code))
        if category in ranges:
            runs = ranges[category]
            if runs and runs[-1][1] == code - 1:
                runs[-1][1] = code
            else:
                runs.append([code, code])
    return {"Default_Ignorable_Code_Point": _ucd_ranges(DERIVED_CORE_PROPERTIES_15_1)} | {
        category: [(start, end) for start, end in ranges[category]] for category in sorted(ranges)
    }


def _refusal(schema: str, field: str, text: str) -> str | None:
    try:
        validate_body(schema, {field: text} | ({"name": "x"} if field == "description" else {}))
    except InvalidRequest as error:
        return error.message
    return None


def test_the_rule_is_stated_in_the_unicode_version_python_carries():
    # Cn (unassigned) and the table below are Unicode 15.1's; a Python with another
    # version must come with the table of that version.
    assert unicodedata.unidata_version == UNICODE_VERSION == "15.1.0"


def test_the_default_ignorable_table_is_unicodes():
    assert list(DEFAULT_IGNORABLE) == _ucd_ranges(DERIVED_CORE_PROPERTIES_15_1)
    assert sum(end - start + 1 for start, end in DEFAULT_IGNORABLE) == 4174


@pytest.mark.parametrize("kind", ["Default_Ignorable_Code_Point", *sorted(REFUSED_CATEGORIES)])
def test_every_code_point_of_every_forbidden_range_is_refused_in_every_text_field(kind):
    # GIVEN every range of this kind, code point by code point (tab, LF and CR, the
    # controls a multi-line field takes, are checked apart below)
    codes = [
        code
        for start, end in _forbidden_ranges()[kind]
        for code in range(start, end + 1)
        if chr(code) not in "\t\n\r"
    ]
    assert codes
    refused = {}
    for code in codes:
        # WHEN it is sent inside ordinary text of a multi-line field
        refused[code] = _refusal("MembershipRequestCreate", "comment", f"a{chr(code)}b")
    # THEN each is refused, naming the character
    wrong = [hex(code) for code, message in refused.items() if message != _named(code, "comment")]
    assert wrong == [], f"{len(wrong)} {kind} code points accepted or misreported, e.g. {wrong[:5]}"
    # AND a single-line field refuses them too (a sample of each range: the same function decides)
    for start, end in _forbidden_ranges()[kind]:
        for code in {start, end} - {0x09, 0x0A, 0x0D}:
            assert _refusal("OrganizationCreate", "name", f"a{chr(code)}b") == _named(code, "name")


def _named(code: int, field: str) -> str:
    return f"{field} contains a character that is not allowed (U+{code:04X})."


def test_every_other_code_point_is_accepted_and_stored_as_sent():
    forbidden = {
        code
        for ranges in _forbidden_ranges().values()
        for start, end in ranges
        for code in range(start, end + 1)
    }
    accepted = [code for code in ALL_CODE_POINTS if code not in forbidden]
    # All of Unicode's 1,114,112 code points but the 964,735 refused and tab, LF, CR.
    assert len(accepted) == 149_374
    wrong = []
    for code in accepted:
        text = f"a{chr(code)}b"
        cleaned = validate_body("MembershipRequestCreate", {"comment": text})["comment"]
        if cleaned != unicodedata.normalize("NFC", text):
            wrong.append(hex(code))
    assert wrong == []


def test_the_characters_the_probe_found_are_refused():
    probe = [0x061C, 0x200B, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E, 0x034F, *range(0xE0001, 0xE0080)]
    for code in probe:
        for schema, field in [
            ("OrganizationCreate", "name"),
            ("OrganizationCreate", "description"),
            ("MembershipRequestCreate", "comment"),
            ("RefuseDecision", "reason"),
        ]:
            assert _refusal(schema, field, f"Etalab{chr(code)}") == _named(code, field)


@pytest.mark.parametrize("char", ["\t", "\n", "\r"], ids=ascii)
def test_tab_and_line_breaks_are_for_multi_line_fields_only(char):
    assert _refusal("OrganizationCreate", "name", f"a{char}b") == _named(ord(char), "name")
    for schema, field in [
        ("OrganizationCreate", "description"),
        ("MembershipRequestCreate", "comment"),
        ("RefuseDecision", "reason"),
    ]:
        assert _refusal(schema, field, f"a{char}b") is None


@pytest.mark.parametrize("code", [0x0085, 0x2028, 0x2029], ids=hex)
def test_other_line_and_paragraph_separators_are_refused_even_in_multi_line_fields(code):
    assert _refusal("MembershipRequestCreate", "comment", f"a{chr(code)}b") == _named(code, "comment")


def test_text_is_stored_nfc_normalized():
    # "e" + COMBINING ACUTE ACCENT, and OHM SIGN, are stored as their NFC forms
    assert validate_body("MembershipRequestCreate", {"comment": "Cre\u0301teil \u2126"}) == {
        "comment": "Créteil Ω"
    }


def test_lengths_count_the_text_as_sent_even_where_nfc_lengthens_it():
    # U+0958 DEVANAGARI LETTER QA has no NFC form of its own: it becomes two code points.
    # The contract's maxLength is what a JSON Schema validator measures, the text as sent.
    stored = validate_body("OrganizationCreate", {"name": "\u0958" * 120})["name"]
    assert len(stored) == 240
    assert _refusal("OrganizationCreate", "name", "e\u0301" * 61) == "name must be at most 120 characters."


def test_nfc_never_brings_in_a_refused_character():
    # NFC decomposes, then composes pairs into primary composites: if no accepted
    # character decomposes into a refused one, and no composite is refused, the stored
    # text obeys the rule whenever the text as sent did.
    for code in ALL_CODE_POINTS:
        char = chr(code)
        if refuses(char, multiline=True):
            continue
        decomposed = unicodedata.normalize("NFD", char)
        assert not any(refuses(part, multiline=True) for part in decomposed), hex(code)
        if decomposed != char and unicodedata.normalize("NFC", decomposed) == char:
            assert not refuses(char, multiline=True), hex(code)
    composites = [
        code
        for code in ALL_CODE_POINTS
        if unicodedata.normalize("NFD", chr(code)) != chr(code)
        and unicodedata.normalize("NFC", chr(code)) == chr(code)
    ]
    assert not [hex(code) for code in composites if refuses(chr(code), multiline=True)]


@pytest.mark.parametrize(
    "text",
    [
        "Élise Lefèvre, maîtresse d'œuvre à l'Hôtel de Ville — « ça va ? »",
        "Ärger über Straße",
        "Données ouvertes 🎉👍🏽🇫🇷",
        "数据开放平台",
        "データ公開",
        "공공 데이터",
        "مرحبا بالعالم",
        "שלום",
        "नमस्ते",
        "Ελληνικά",
        "x\u00a0y",
    ],
)
def test_ordinary_text_of_any_script_is_accepted_as_written(text):
    for schema, field in [("OrganizationCreate", "name"), ("MembershipRequestCreate", "comment")]:
        assert validate_body(schema, {field: text}) == {field: unicodedata.normalize("NFC", text)}


@pytest.mark.parametrize(
    ("schema", "field", "multiline"),
    [
        ("OrganizationCreate", "name", False),
        ("OrganizationCreate", "description", True),
        ("MembershipRequestCreate", "comment", True),
        ("RefuseDecision", "reason", True),
    ],
)
def test_the_contracts_pattern_states_the_rule_for_the_basic_multilingual_plane(schema, field, multiline):
    spec = openapi()["components"]["schemas"][schema]["properties"][field]
    assert spec["x-plain-text"] == ("multi-line" if multiline else "single-line")
    pattern = re.compile(spec["pattern"])
    disagree = [
        hex(code)
        for code in range(0x10000)
        if not 0xD800 <= code <= 0xDFFF
        and (pattern.search(f"a{chr(code)}b") is None) != refuses(chr(code), multiline=multiline)
    ]
    assert disagree == []
