"""Routes on the caller's email preferences, and the one-click unsubscribe links of admin
emails (public: a link needs no sign-in, its signature is its authority)."""

from __future__ import annotations

import html
import urllib.parse

from chalice import Blueprint, Response

from chalicelib.api import representations as rep
from chalicelib.api.http import caller_of, error_response, json_body, query_param, route
from chalicelib.bootstrap import container
from chalicelib.errors import DomainError, InvalidLink, InvalidRequest

bp = Blueprint(__name__)

# Mail providers POST the one-click form-encoded (RFC 8058); the page's own button too.
_UNSUBSCRIBE_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/json",
    "text/plain",
]
# The page runs no script and loads nothing; its one form posts back to this API.
_PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": (
        "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@route(bp, "/me/preferences", methods=["GET"])
def get_my_preferences():
    return rep.preferences(container().preferences.get(caller_of(bp.current_request)))


@route(bp, "/me/preferences", methods=["PUT"])
def update_my_preferences():
    request = bp.current_request
    changes = json_body(request, "PreferencesUpdate")
    return rep.preferences(container().preferences.update(caller_of(request), changes))


def _page(title: str, paragraphs: list[str], token: str | None = None) -> str:
    """The page in French then English; ``token``: with the button that applies it."""
    form = ""
    if token is not None:
        action = html.escape("?token=" + urllib.parse.quote(token, safe=""), quote=True)
        form = (
            f'<form method="post" action="{action}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">Ne plus recevoir ces e-mails / Stop these emails</button></form>'
        )
    body = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{body}{form}</body></html>\n"
    )


@bp.route("/unsubscribe", methods=["GET"], authorizer=None)
def unsubscribe_page():
    """What a link opened in a browser shows: a button. A GET changes nothing, because
    mail scanners open every link they find."""
    token = query_param(bp.current_request, "token")
    try:
        link = container().preferences.check_link(token)
    except InvalidLink:
        page = _page(
            "Lien invalide / Invalid link",
            [
                "Ce lien de désabonnement n'est pas valide (modifié ou expiré) : "
                "changez vos préférences dans la console.",
                "This unsubscribe link is not valid (altered or expired): "
                "change your preferences in the console.",
            ],
        )
        return Response(body=page, status_code=400, headers=_PAGE_HEADERS)
    what = (
        ("les e-mails d'administration de cette organisation", "this organization's admin emails")
        if link.organization_id
        else ("tous vos e-mails d'administration", "all your admin emails")
    )
    page = _page(
        "Se désabonner / Unsubscribe",
        [f"Ne plus recevoir {what[0]} ?", f"Stop receiving {what[1]}?"],
        token,
    )
    return Response(body=page, status_code=200, headers=_PAGE_HEADERS)


def _one_click_body(request) -> None:
    """A form that names ``List-Unsubscribe`` must say ``One-Click`` (RFC 8058); any
    other body is not read."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded" or not request.raw_body:
        return
    form = urllib.parse.parse_qs(request.raw_body.decode("utf-8", "replace"), keep_blank_values=True)
    if form.get("List-Unsubscribe", ["One-Click"]) != ["One-Click"]:
        raise InvalidRequest("List-Unsubscribe must be One-Click.")


@bp.route("/unsubscribe", methods=["POST"], authorizer=None, content_types=_UNSUBSCRIBE_TYPES)
def unsubscribe():
    """RFC 8058's one-click: whatever the body says (``List-Unsubscribe=One-Click``, or
    nothing), the signed token in the URL is what is applied, once."""
    request = bp.current_request
    try:
        _one_click_body(request)
        link = container().preferences.unsubscribe(query_param(request, "token"))
    except DomainError as error:
        return error_response(error)
    return Response(
        body={"organization_id": link.organization_id, "admin_emails": "off"},
        status_code=200,
        headers={"Content-Type": "application/json"},
    )
