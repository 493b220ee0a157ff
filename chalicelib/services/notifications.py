"""Who is told what when a membership request changes status.

Driven by the table's stream: each email is keyed by (request, transition,
recipient) in a ledger, so a redelivered record sends nothing twice.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.domain import MembershipRequest, RequestStatus, Role, Transition
from chalicelib.mail import rendering
from chalicelib.mail.port import EmailMessage, Mailer

logger = logging.getLogger(__name__)

_TEMPLATES = {
    Transition.REQUESTED: "request_created",
    Transition.ACCEPTED: "request_accepted",
    Transition.REFUSED: "request_refused",
}
_ROLE_LABELS = {
    "fr": {Role.ADMIN: "administrateur", Role.EDITOR: "éditeur"},
    "en": {Role.ADMIN: "admin", Role.EDITOR: "editor"},
}


class EmailInFlight(Exception):
    """Another worker holds a live claim on this email; retry the record later."""


def transition_of(old: MembershipRequest | None,
                  new: MembershipRequest | None) -> Transition | None:
    """The transition worth an email, if any, between two images of a request."""
    if new is None:
        return None
    if old is None:
        return Transition.REQUESTED if new.status is RequestStatus.PENDING else None
    if old.status is RequestStatus.PENDING and new.status in (RequestStatus.ACCEPTED,
                                                               RequestStatus.REFUSED):
        return Transition(new.status.value)
    return None


@dataclass(frozen=True)
class Links:
    frontend_base_url: str

    def organization(self, org_id: str) -> str:
        return f"{self.frontend_base_url}/organizations/{org_id}"

    def request(self, org_id: str, request_id: str) -> str:
        return f"{self.organization(org_id)}/membership-requests/{request_id}"


class MembershipNotifier:
    """Sends the emails a request transition calls for, each at most once.

    ``directory`` answers ``get_organization``, ``admins`` and ``profiles`` (the
    repository); ``ledger`` answers ``claim``, ``state``, ``mark_sent`` and ``release``.
    """

    def __init__(self, directory, ledger, mailer: Mailer, links: Links, max_admin_emails: int,
                 new_token: Callable[[], str]) -> None:
        self._directory = directory
        self._ledger = ledger
        self._mailer = mailer
        self._links = links
        self._max_admin_emails = max_admin_emails
        self._new_token = new_token

    def notify(self, old: MembershipRequest | None, new: MembershipRequest | None) -> int:
        """Send what the change calls for; return how many emails went out now."""
        transition = transition_of(old, new)
        if transition is None:
            return 0
        organization = self._directory.get_organization(new.organization_id)
        if transition is Transition.REQUESTED:
            # The earliest admins are emailed; beyond the cap the others rely on their inbox.
            recipient_ids = [admin.user_id for admin in
                             self._directory.admins(new.organization_id, self._max_admin_emails)]
        else:
            recipient_ids = [new.user.id]
        profiles = self._directory.profiles([*recipient_ids, new.user.id])
        requester = profiles.get(new.user.id)
        sent = 0
        for recipient_id in recipient_ids:
            recipient = profiles.get(recipient_id)
            log = {"request_id": new.id, "organization_id": new.organization_id,
                   "transition": transition.value, "recipient_id": recipient_id}
            if recipient is None or not recipient.email:
                # Permanent: retrying cannot make an address appear.
                logger.warning("no email address for recipient", extra=log)
                continue
            context = {
                "recipient_name": recipient.name,
                "requester_name": new.user.name,
                "requester_email": requester.email if requester else "",
                "organization_name": organization.name,
                "comment": new.comment,
                "reason": new.reason or "",
                "role_label": _ROLE_LABELS[rendering.language_of(recipient.locale)].get(new.role, ""),
                "review_url": self._links.request(new.organization_id, new.id),
                "organization_url": self._links.organization(new.organization_id),
            }
            subject, text, html = rendering.render(_TEMPLATES[transition], recipient.locale, context)
            message = EmailMessage(to=recipient.email, subject=subject, text=text, html=html)
            if self._send_once(f"{new.id}#{transition.value}#{recipient_id}", message):
                sent += 1
                logger.info("email sent", extra=log)
        return sent

    def _send_once(self, email_key: str, message: EmailMessage) -> bool:
        token = self._new_token()
        if not self._ledger.claim(email_key, token):
            if self._ledger.state(email_key) == "sent":
                return False
            raise EmailInFlight(email_key)
        try:
            message_id = self._mailer.send(message)
        except Exception:
            self._ledger.release(email_key, token)
            raise
        self._ledger.mark_sent(email_key, token, message_id)
        return True
