"""What each email says, in French or English: the template of each transition, its
subject and footer, the words for roles, and the Jinja2 templates rendered with them.

HTML templates are autoescaped. The one piece of user-written text that reaches a
header is the organization's name in the subject (an admin of several organizations
must tell their emails apart): it goes in through :func:`header_text`, which keeps it to
one line of visible characters, whatever the stored name holds.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Any

import jinja2

from chalicelib.domain import NoticeKind, Role, Transition, language_of

_TEMPLATES = Path(__file__).parent / "templates"

TEMPLATES = {
    Transition.REQUESTED: "request_created",
    Transition.ACCEPTED: "request_accepted",
    Transition.REFUSED: "request_refused",
    Transition.EXPIRED: "request_expired",
}
#: The emails that list several requests to one admin (``NoticeKind`` → template).
NOTICE_TEMPLATES = {NoticeKind.REMINDER: "reminder", NoticeKind.DIGEST: "digest"}
#: ``str.format`` patterns: ``{organization}`` is the organization's name, as
#: :func:`header_text` gives it.
SUBJECTS = {
    "fr": {
        "request_created": "Nouvelle demande d'adhésion à « {organization} »",
        "request_accepted": "Votre demande d'adhésion à « {organization} » a été acceptée",
        "request_refused": "Votre demande d'adhésion à « {organization} » a été refusée",
        "request_expired": "Votre demande d'adhésion à « {organization} » a expiré",
    },
    "en": {
        "request_created": 'New request to join "{organization}"',
        "request_accepted": 'Your request to join "{organization}" was accepted',
        "request_refused": 'Your request to join "{organization}" was declined',
        "request_expired": 'Your request to join "{organization}" expired',
    },
}
#: Why the recipient gets the email: the last line of both parts.
_TO_ADMINS = {
    "fr": "Vous recevez ce message parce que vous administrez cette organisation.",
    "en": "You receive this message because you administer this organization.",
}
_TO_REQUESTERS = {
    "fr": "Vous recevez ce message parce que vous avez demandé à rejoindre cette organisation.",
    "en": "You receive this message because you asked to join this organization.",
}
#: The subjects of notices, for one request and for several: ``{count}`` is the number
#: of requests listed.
NOTICE_SUBJECTS = {
    "fr": {
        "reminder": ("{count} demande d'adhésion en attente", "{count} demandes d'adhésion en attente"),
        "digest": ("Nouvelles demandes du jour ({count})", "Nouvelles demandes du jour ({count})"),
    },
    "en": {
        "reminder": ("{count} membership request is waiting", "{count} membership requests are waiting"),
        "digest": ("Today's new membership requests ({count})", "Today's new membership requests ({count})"),
    },
}
_TO_ADMINS_OF_MANY = {
    "fr": "Vous recevez ce message parce que vous administrez ces organisations.",
    "en": "You receive this message because you administer these organizations.",
}
FOOTERS = {
    language: {
        "request_created": _TO_ADMINS[language],
        "request_accepted": _TO_REQUESTERS[language],
        "request_refused": _TO_REQUESTERS[language],
        "request_expired": _TO_REQUESTERS[language],
        "reminder": _TO_ADMINS_OF_MANY[language],
        "digest": _TO_ADMINS_OF_MANY[language],
    }
    for language in ("fr", "en")
}
ROLE_LABELS = {
    "fr": {Role.ADMIN: "administrateur", Role.EDITOR: "éditeur"},
    "en": {Role.ADMIN: "admin", Role.EDITOR: "editor"},
}
#: Names longer than this are cut in subjects (mail clients cut long subjects anyway);
#: the body gives the whole name.
SUBJECT_NAME_LENGTH = 80


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def role_label(role: Role | None, locale: str) -> str:
    """The role's name in the recipient's language ("" for no role)."""
    return ROLE_LABELS[language_of(locale)].get(role, "") if role else ""


def breaks_a_header(char: str) -> bool:
    """Whether ``char`` has no place in a header: a control, format, private-use or
    unassigned character, or a line or paragraph separator."""
    category = unicodedata.category(char)
    return category[0] == "C" or category in ("Zl", "Zp")


def header_text(text: str, limit: int = SUBJECT_NAME_LENGTH) -> str:
    """``text`` as one line of visible characters, for a header. The API already refuses
    names with line breaks or invisible characters; this holds for a name stored by any
    other path (an operator, an older rule): control, format and private-use characters
    and every line or paragraph separator become spaces, runs of spaces become one."""
    visible = "".join(" " if breaks_a_header(char) else char for char in text)
    line = " ".join(visible.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def subject(template: str, locale: str, organization_name: str) -> str:
    """The subject of ``template`` in the recipient's language, naming the organization."""
    return SUBJECTS[language_of(locale)][template].format(organization=header_text(organization_name))


def render(template: str, locale: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Return ``(subject, text, html)`` of ``template`` in the recipient's language.
    ``context`` names the organization (``organization_name``), as every email does."""
    language = language_of(locale)
    environment = _environment()
    context = {**context, "lang": language, "footer": FOOTERS[language][template]}
    text = environment.get_template(f"{language}/{template}.txt").render(context)
    html = environment.get_template(f"{language}/{template}.html").render(context)
    return subject(template, language, context["organization_name"]), text, html


def render_notice(template: str, locale: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Return ``(subject, text, html)`` of a notice (``reminder``, ``digest``) in the
    recipient's language. ``context["groups"]`` lists the organizations, each with its
    ``organization_name`` and ``entries``; the subject counts the entries."""
    language = language_of(locale)
    environment = _environment()
    context = {**context, "lang": language, "footer": FOOTERS[language][template]}
    count = sum(len(group["entries"]) for group in context["groups"])
    text = environment.get_template(f"{language}/{template}.txt").render(context)
    html = environment.get_template(f"{language}/{template}.html").render(context)
    one, many = NOTICE_SUBJECTS[language][template]
    return (one if count == 1 else many).format(count=count), text, html
