"""Use cases on a user's email preferences: reading and changing them (``/me/preferences``)
and the one-click unsubscribe link of an admin email (``/unsubscribe``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain import AdminEmails, Caller, Organization, Preferences
from chalicelib.errors import InvalidLink, InvalidRequest
from chalicelib.mail.unsubscribe import UnsubscribeLink, UnsubscribeLinks
from chalicelib.services.organizations import profile_of
from chalicelib.services.ports import Clock, PreferencesRepository

#: An admin of more organizations than this mutes them all with ``admin_emails: off``.
MAX_MUTED_ORGANIZATIONS = 100


@dataclass(frozen=True)
class PreferencesView:
    """The preferences, with the muted organizations named (those that still exist)."""

    preferences: Preferences
    muted: list[Organization]


class PreferencesService:
    def __init__(
        self, repository: PreferencesRepository, links: UnsubscribeLinks | None, clock: Clock
    ) -> None:
        self._repository = repository
        self._links = links
        self._clock = clock

    def _view(self, preferences: Preferences) -> PreferencesView:
        muted = self._repository.organizations(preferences.muted_organizations)
        return PreferencesView(preferences, sorted(muted, key=lambda org: (org.name, org.id)))

    def get(self, caller: Caller) -> PreferencesView:
        """The caller's preferences; the defaults when nothing was ever stored."""
        profile = self._repository.get_profile(caller.user_id)
        return self._view(profile.preferences if profile else Preferences())

    def update(self, caller: Caller, changes: dict[str, Any]) -> PreferencesView:
        """Merge ``changes`` (the fields given; ``language`` None: the token's locale again)
        into the stored preferences. Organizations newly muted must be ones the caller
        administers (:class:`InvalidRequest`); nothing is written then. The profile is
        written from the caller's token like every write's (:class:`EmailNotVerified`)."""
        caller_profile = profile_of(caller)
        stored = self._repository.get_profile(caller.user_id)
        current = stored.preferences if stored else Preferences()
        merged = current
        if "admin_emails" in changes:
            merged = replace(merged, admin_emails=AdminEmails(changes["admin_emails"]))
        if "language" in changes:
            merged = replace(merged, language=changes["language"])
        if "muted_organizations" in changes:
            wanted = frozenset(changes["muted_organizations"])
            if len(wanted) > MAX_MUTED_ORGANIZATIONS:
                raise InvalidRequest(
                    f"muted_organizations must name at most {MAX_MUTED_ORGANIZATIONS} organizations."
                )
            # Those already muted may stay so after the caller stopped administering them
            # (the console sends the list back as it got it).
            new = wanted - current.muted_organizations
            refused = sorted(new - self._repository.administered_among(caller.user_id, new))
            if refused:
                raise InvalidRequest(f"muted_organizations: you do not administer {refused[0]}.")
            merged = replace(merged, muted_organizations=wanted)
        self._repository.save_preferences(replace(caller_profile, preferences=merged))
        return self._view(merged)

    def check_link(self, token: str | None) -> UnsubscribeLink:
        """What a link would turn off, changing nothing (mail scanners follow links).
        Raises :class:`~chalicelib.errors.InvalidLink`."""
        return self._verify(token)

    def _verify(self, token: str | None) -> UnsubscribeLink:
        if self._links is None:
            # No key configured: no email ever carried a link.
            raise InvalidLink()
        return self._links.verify(token)

    def unsubscribe(self, token: str | None) -> UnsubscribeLink:
        """Apply a link once: its organization's admin emails (or all of them) off.
        Raises InvalidLink, or :class:`~chalicelib.errors.LinkUsed` the second time."""
        link = self._verify(token)
        self._repository.unsubscribe(
            link.user_id, link.organization_id, link.link_id, link.expires_at, self._clock()
        )
        return link
