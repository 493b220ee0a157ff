"""Email rendering: languages, escaping, and no user text in headers."""

from __future__ import annotations

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


@pytest.mark.parametrize("template", ["request_created", "request_accepted", "request_refused"])
@pytest.mark.parametrize("locale", ["fr", "en", "en-US", "de"])
def test_every_template_renders_in_both_languages(template, locale):
    subject, text, html = rendering.render(template, locale, CONTEXT)
    language = "en" if locale.startswith("en") else "fr"
    assert subject == rendering.SUBJECTS[language][template]
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


def test_subjects_contain_no_template_syntax_or_user_text():
    for subjects in rendering.SUBJECTS.values():
        for subject in subjects.values():
            assert "{" not in subject and "\n" not in subject
