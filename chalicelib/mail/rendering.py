"""What each email says, in French or English: the template of each transition, its
subject, the words for roles, and the Jinja2 templates rendered with them.

HTML templates are autoescaped; subjects are fixed per template and language so
that no user-written text ever reaches a header.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

from chalicelib.domain import Role, Transition, language_of

_TEMPLATES = Path(__file__).parent / "templates"

TEMPLATES = {
    Transition.REQUESTED: "request_created",
    Transition.ACCEPTED: "request_accepted",
    Transition.REFUSED: "request_refused",
}
SUBJECTS = {
    "fr": {
        "request_created": "Nouvelle demande d'adhésion à votre organisation",
        "request_accepted": "Votre demande d'adhésion a été acceptée",
        "request_refused": "Votre demande d'adhésion a été refusée",
    },
    "en": {
        "request_created": "New request to join your organization",
        "request_accepted": "Your membership request was accepted",
        "request_refused": "Your membership request was declined",
    },
}
ROLE_LABELS = {
    "fr": {Role.ADMIN: "administrateur", Role.EDITOR: "éditeur"},
    "en": {Role.ADMIN: "admin", Role.EDITOR: "editor"},
}


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


def render(template: str, locale: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Return ``(subject, text, html)`` of ``template`` in the recipient's language."""
    language = language_of(locale)
    environment = _environment()
    context = {**context, "lang": language}
    text = environment.get_template(f"{language}/{template}.txt").render(context)
    html = environment.get_template(f"{language}/{template}.html").render(context)
    return SUBJECTS[language][template], text, html
