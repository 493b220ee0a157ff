"""Composing the emails of a round: who is told of a request's transition, and everything
their template needs (names, the motivation or the reason, the role in their language,
links), rendered in their language with its fixed subject.

Reads only; sending, the ledger, retries and ordering are ``chalicelib.services.rounds``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from chalicelib.domain import (
    AdminEmails,
    Membership,
    MembershipRequest,
    Organization,
    RequestStatus,
    Transition,
    UserProfile,
)
from chalicelib.mail import rendering
from chalicelib.mail.port import EmailMessage
from chalicelib.mail.unsubscribe import UnsubscribeLinks
from chalicelib.services.delivery import Metrics
from chalicelib.services.ports import Directory

logger = logging.getLogger(__name__)

#: (recipient id, message, or None when the recipient has no address), in sending order
type Messages = list[tuple[str, EmailMessage | None]]


@dataclass(frozen=True)
class Links:
    frontend_base_url: str

    def organization(self, org_id: str) -> str:
        return f"{self.frontend_base_url}/organizations/{org_id}"

    def request(self, org_id: str, request_id: str) -> str:
        return f"{self.organization(org_id)}/membership-requests/{request_id}"


@dataclass(frozen=True)
class ComposedRound:
    """A round's messages, and the admins who hear of it in their digest instead."""

    messages: Messages
    organization: Organization
    digest_ids: list[str]


class MessageComposer:
    """The messages of a round, built from what ``directory`` says now.

    New request: one message per admin (the earliest ``max_admin_emails``; the others
    rely on their inbox) whose preference for the organization is ``immediate``, never
    to the requester, and none at all once the request is no longer pending; admins on
    ``daily_digest`` are named for their digest instead, those ``off`` not at all.
    Decision: one message to the requester. Every email is in the recipient's language
    (their preference, else their token's locale); every admin email carries its
    one-click unsubscribe headers when ``unsubscribe`` signs links.
    """

    def __init__(
        self,
        directory: Directory,
        links: Links,
        max_admin_emails: int,
        metrics: Metrics,
        unsubscribe: UnsubscribeLinks | None = None,
    ) -> None:
        self._directory = directory
        self._links = links
        self._max_admin_emails = max_admin_emails
        self._metrics = metrics
        self._unsubscribe = unsubscribe

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Share the directory's answers between the rounds composed inside the block (one
        stream batch)."""
        directory = self._directory
        self._directory = BatchDirectory(directory)
        try:
            yield
        finally:
            self._directory = directory

    def compose(self, request: MembershipRequest, transition: Transition) -> Messages:
        """Raises :class:`~chalicelib.errors.OrganizationNotFound`."""
        return self.compose_round(request, transition).messages

    def compose_round(self, request: MembershipRequest, transition: Transition) -> ComposedRound:
        """The messages, and who reads of the request in their digest instead. Raises
        :class:`~chalicelib.errors.OrganizationNotFound`."""
        organization = self._directory.get_organization(request.organization_id)
        digest_ids: list[str] = []
        if transition is Transition.REQUESTED:
            admin_ids, profiles = self._admins_of_pending(request)
            by_preference = self._by_preference(admin_ids, profiles, request.organization_id)
            recipient_ids, digest_ids = (
                by_preference[AdminEmails.IMMEDIATE],
                by_preference[AdminEmails.DAILY_DIGEST],
            )
        else:
            recipient_ids = [request.user.id]
            profiles = self._directory.profiles(recipient_ids)
        requester = profiles.get(request.user.id)
        messages: Messages = [
            (
                recipient_id,
                self._message(request, transition, organization, profiles.get(recipient_id), requester),
            )
            for recipient_id in recipient_ids
        ]
        return ComposedRound(messages, organization, digest_ids)

    def auto_accepted_round(self, request: MembershipRequest) -> tuple[Organization, list[str]]:
        """The organization of a request accepted automatically, and the admins to tell
        in their digest: every one not ``off`` for it, whatever their pace."""
        organization = self._directory.get_organization(request.organization_id)
        admin_ids = self._admin_ids(request)
        profiles = self._directory.profiles(admin_ids)
        by_preference = self._by_preference(admin_ids, profiles, request.organization_id)
        return organization, by_preference[AdminEmails.IMMEDIATE] + by_preference[AdminEmails.DAILY_DIGEST]

    @staticmethod
    def _by_preference(
        admin_ids: list[str], profiles: dict[str, UserProfile], org_id: str
    ) -> dict[AdminEmails, list[str]]:
        """The admins by how they want to hear of the organization's requests, in order;
        an admin without profile has the defaults (and no address: the round says so)."""
        grouped: dict[AdminEmails, list[str]] = {choice: [] for choice in AdminEmails}
        for admin_id in admin_ids:
            profile = profiles.get(admin_id)
            choice = profile.preferences.admin_emails_for(org_id) if profile else AdminEmails.IMMEDIATE
            grouped[choice].append(admin_id)
        return grouped

    def _admin_ids(self, request: MembershipRequest) -> list[str]:
        # Never the requester: made an admin (their request accepted with that role) before
        # this record was handled, they would be told of their own request.
        return [
            admin.user_id
            for admin in self._directory.admins(request.organization_id, self._max_admin_emails)
            if admin.user_id != request.user.id
        ]

    def _admins_of_pending(self, request: MembershipRequest) -> tuple[list[str], dict[str, UserProfile]]:
        """The admins to tell of a new request, and the profiles of them and the requester."""
        admin_ids = self._admin_ids(request)
        # The request as it is now, read with the profiles (one consistent read): a request
        # decided or withdrawn since its record was written calls for no "new request"
        # email. The round still ends handled, so the outcome can follow.
        status, profiles = self._directory.request_status_and_profiles(
            request.organization_id, request.id, [*admin_ids, request.user.id]
        )
        if status is not RequestStatus.PENDING:
            logger.info(
                "no new-request email: the request is no longer pending",
                extra={"reason": "request_not_pending", "status": status and status.value},
            )
            self._metrics.count("RoundsSuperseded")
            return [], profiles
        return admin_ids, profiles

    def _message(
        self,
        request: MembershipRequest,
        transition: Transition,
        organization: Organization,
        recipient: UserProfile | None,
        requester: UserProfile | None,
    ) -> EmailMessage | None:
        if recipient is None or not recipient.email:
            return None
        context = {
            "recipient_name": recipient.name,
            "requester_name": request.user.name,
            "requester_email": requester.email if requester else "",
            "organization_name": organization.name,
            "comment": request.comment,
            "reason": request.reason or "",
            "role_label": rendering.role_label(request.role, recipient.language),
            "review_url": self._links.request(request.organization_id, request.id),
            "organization_url": self._links.organization(request.organization_id),
        }
        subject, text, html = rendering.render(rendering.TEMPLATES[transition], recipient.language, context)
        headers: tuple[tuple[str, str], ...] = ()
        if transition is Transition.REQUESTED and self._unsubscribe is not None:
            headers = self._unsubscribe.headers(recipient.user_id, request.organization_id)
        return EmailMessage(to=recipient.email, subject=subject, text=text, html=html, headers=headers)


class BatchDirectory:
    """The directory's answers, remembered for the records of one batch: a batch of new
    requests to the same organization reads its admins (and their profiles) once, not
    once per record. It lives as long as the batch (seconds), so the next batch sees
    admins added or removed meanwhile, as the uncached directory would."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self._organizations: dict[str, Organization] = {}
        self._admins: dict[tuple[str, int], list[Membership]] = {}
        self._profiles: dict[str, UserProfile | None] = {}

    def get_organization(self, org_id: str) -> Organization:
        if org_id not in self._organizations:
            self._organizations[org_id] = self._directory.get_organization(org_id)
        return self._organizations[org_id]

    def admins(self, org_id: str, limit: int) -> list[Membership]:
        if (org_id, limit) not in self._admins:
            self._admins[(org_id, limit)] = self._directory.admins(org_id, limit)
        return self._admins[(org_id, limit)]

    def profiles(self, user_ids: Iterable[str]) -> dict[str, UserProfile]:
        user_ids = list(dict.fromkeys(user_ids))
        missing = [user_id for user_id in user_ids if user_id not in self._profiles]
        if missing:
            self._remember(missing, self._directory.profiles(missing))
        return self._known(user_ids)

    def request_status_and_profiles(
        self, org_id: str, request_id: str, user_ids: Iterable[str]
    ) -> tuple[RequestStatus | None, dict[str, UserProfile]]:
        # The status is never remembered: it is what changes between two records.
        user_ids = list(dict.fromkeys(user_ids))
        missing = [user_id for user_id in user_ids if user_id not in self._profiles]
        status, found = self._directory.request_status_and_profiles(org_id, request_id, missing)
        self._remember(missing, found)
        return status, self._known(user_ids)

    def _remember(self, user_ids: list[str], found: dict[str, UserProfile]) -> None:
        self._profiles.update({user_id: found.get(user_id) for user_id in user_ids})

    def _known(self, user_ids: list[str]) -> dict[str, UserProfile]:
        return {user_id: profile for user_id in user_ids if (profile := self._profiles[user_id]) is not None}
