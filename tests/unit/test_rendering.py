"""Email rendering: languages, escaping, subjects that name the organization on one
line, and one footer for both parts."""

from __future__ import annotations

import html as markup
import re
import string
import unicodedata

import pytest

from chalicelib.mail import rendering

CONTEXT = {
    "recipient_name": "Alice",
    "requester_name": "Paul <b>",
    "requester_email": "paul@example.org",
    "organization_name": "Org & Co",
    "comment": "<script>alert(1)</script>\nsecond line",
    "reason": "Not <i>now</i>",
    "role_label": "editor",
    "review_url": "https://x.test/r",
    "organization_url": "https://x.test/o",
}


@pytest.mark.parametrize(
    "template", ["request_created", "request_accepted", "request_refused", "request_expired"]
)
@pytest.mark.parametrize("locale", ["fr", "en", "en-US", "de"])
def test_every_template_renders_in_both_languages(template, locale):
    subject, text, html = rendering.render(template, locale, CONTEXT)
    language = "en" if locale.startswith("en") else "fr"
    assert subject == rendering.SUBJECTS[language][template].format(organization="Org & Co")
    assert f'<html lang="{language}">' in html
    assert ("Hello Alice" if language == "en" else "Bonjour Alice") in text
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "Org &amp; Co" in html


def test_the_motivation_is_escaped_in_html_and_verbatim_in_text():
    _, text, html = rendering.render("request_created", "en", CONTEXT)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>\nsecond line" in text
    assert "paul@example.org" in text and "https://x.test/r" in html


def test_the_reason_appears_only_when_given():
    _, with_reason, _ = rendering.render("request_refused", "fr", CONTEXT)
    _, without, html = rendering.render("request_refused", "fr", CONTEXT | {"reason": ""})
    assert "Not <i>now</i>" in with_reason
    assert "Motif" not in without and "Motif" not in html


def test_subject_patterns_take_the_organization_name_and_nothing_else():
    for subjects in rendering.SUBJECTS.values():
        for pattern in subjects.values():
            fields = [field for _, field, _, _ in string.Formatter().parse(pattern) if field is not None]
            assert fields == ["organization"] and "\n" not in pattern


@pytest.mark.parametrize("template", ["request_created", "request_accepted", "request_refused"])
def test_an_admin_of_several_organizations_tells_their_emails_apart_by_subject(template):
    # GIVEN the same email about two organizations
    # WHEN each is rendered, in each language
    # THEN each subject names its organization
    assert (
        rendering.render(template, "fr", CONTEXT | {"organization_name": "Cadastre"})[0]
        == {
            "request_created": "Nouvelle demande d'adhésion à « Cadastre »",
            "request_accepted": "Votre demande d'adhésion à « Cadastre » a été acceptée",
            "request_refused": "Votre demande d'adhésion à « Cadastre » a été refusée",
        }[template]
    )
    assert (
        rendering.render(template, "en", CONTEXT | {"organization_name": "Etalab"})[0]
        == {
            "request_created": 'New request to join "Etalab"',
            "request_accepted": 'Your request to join "Etalab" was accepted',
            "request_refused": 'Your request to join "Etalab" was declined',
        }[template]
    )


def test_a_hostile_organization_name_reaches_the_subject_as_one_visible_line():
    # GIVEN a stored name (not through the API, which refuses it) that tries header
    # injection, bidi reordering, zero-width and separator characters
    name = "Evil\r\nBcc: victim@example.org\x00\u2028X-Hdr: 1\u202e\u200bgro\u0085end\t."

    # WHEN an email about it is rendered
    subject, _, _ = rendering.render("request_created", "en", CONTEXT | {"organization_name": name})

    # THEN the subject is one line of visible characters, the name's words kept
    assert subject == 'New request to join "Evil Bcc: victim@example.org X-Hdr: 1 gro end ."'
    assert not [char for char in subject if unicodedata.category(char)[0] == "C" or char in "\u2028\u2029"]


def test_a_long_name_is_cut_in_the_subject_and_whole_in_the_body():
    name = "Direction " + "très " * 30 + "générale"

    subject, text, html = rendering.render("request_accepted", "fr", CONTEXT | {"organization_name": name})

    shown = subject.removeprefix("Votre demande d'adhésion à « ").removesuffix(" » a été acceptée")
    assert len(shown) == rendering.SUBJECT_NAME_LENGTH and shown.endswith("…")
    assert name.startswith(shown[:-1])
    assert name in text and name in html


@pytest.mark.parametrize("template", ["request_created", "request_accepted", "request_refused"])
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_text_part_ends_with_the_footer_of_the_html_part(template, locale):
    # WHEN an email is rendered
    _, text, html = rendering.render(template, locale, CONTEXT)

    # THEN the HTML part's footer (its last paragraph) closes the text part too, after a
    # signature separator that mail readers recognize
    [footer] = re.findall(r'<p style="color: #6a6a6a[^"]*">([^<]+)</p>\s*</body>', html)
    assert footer.strip() and footer == markup.escape(rendering.FOOTERS[locale][template], quote=False)
    assert text.endswith(f"\n-- \n{markup.unescape(footer)}\n")


def test_an_expired_request_says_nobody_answered_and_that_one_may_ask_again():
    subject, text, html = rendering.render(
        "request_expired", "fr", CONTEXT | {"organization_name": "Cadastre"}
    )
    assert subject == "Votre demande d'adhésion à « Cadastre » a expiré"
    assert "personne n'y a répondu" in text and "nouvelle demande" in text
    assert "https://x.test/o" in text and 'href="https://x.test/o"' in html
    subject, text, _ = rendering.render("request_expired", "en", CONTEXT | {"organization_name": "Cadastre"})
    assert subject == 'Your request to join "Cadastre" expired'
    assert "nobody answered" in text and "You may ask again" in text


def _entry(org: str, name: str, kind: str, comment: str = "<b>hi</b>", **extra) -> dict:
    return {
        "organization_id": org.lower(),
        "organization_name": org,
        "request_id": name.lower(),
        "requester_name": name,
        "comment": comment,
        "created_at": "2027-01-01T10:00:00+00:00",
        "kind": kind,
        "review_url": f"https://x.test/{org.lower()}/{name.lower()}",
        **extra,
    }


NOTICE = {
    "recipient_name": "Alice",
    "groups": [
        {
            "organization_name": "Cadastre & Co",
            "entries": [
                _entry("Cadastre", "Paul", "reminder", days_pending=3),
                _entry("Cadastre", "Rita", "reminder", days_pending=7),
            ],
        },
        {"organization_name": "Etalab", "entries": [_entry("Etalab", "Carl", "auto_accepted")]},
    ],
}


@pytest.mark.parametrize(
    ("template", "locale", "subject"),
    [
        ("reminder", "fr", "3 demandes d'adhésion en attente"),
        ("reminder", "en", "3 membership requests are waiting"),
        ("digest", "fr", "Nouvelles demandes du jour (3)"),
        ("digest", "en", "Today's new membership requests (3)"),
    ],
)
def test_a_notice_lists_its_requests_by_organization_under_a_subject_that_counts_them(
    template, locale, subject
):
    got, text, html = rendering.render_notice(template, locale, NOTICE)
    assert got == subject
    # Each organization once, its requests under it, each with its review link
    assert text.index("Cadastre & Co") < text.index("Paul") < text.index("Rita") < text.index("Etalab")
    assert "https://x.test/cadastre/paul" in text and 'href="https://x.test/cadastre/rita"' in html
    # Someone who joined automatically needs no review
    assert "https://x.test/etalab/carl" not in text
    # User-written text is escaped in HTML
    assert "<b>hi</b>" in text and "&lt;b&gt;hi&lt;/b&gt;" in html and "Cadastre &amp; Co" in html


def test_a_reminder_says_how_long_each_request_has_waited_and_one_request_is_singular():
    _, text, _ = rendering.render_notice("reminder", "en", NOTICE)
    assert "waiting for 3 days" in text and "waiting for 7 days" in text
    one = {
        "recipient_name": "Alice",
        "groups": [NOTICE["groups"][0] | {"entries": NOTICE["groups"][0]["entries"][:1]}],
    }
    assert rendering.render_notice("reminder", "en", one)[0] == "1 membership request is waiting"
    assert rendering.render_notice("reminder", "fr", one)[0] == "1 demande d'adhésion en attente"
