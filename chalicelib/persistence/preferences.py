"""Email preferences on the profile item, the one-click unsubscribe, and the admins'
digest notices the stream files new requests into.

Keys come from :mod:`chalicelib.persistence.keys`, items from
:mod:`chalicelib.persistence.items`; failed conditions become domain errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import UpdateError

from chalicelib.domain import AdminEmails, DueKind, NoticeKind, Organization, Role, UserProfile
from chalicelib.errors import InvalidLink, LinkUsed
from chalicelib.persistence import keys
from chalicelib.persistence.items import organization_of, profile_item, profile_of, profile_refresh
from chalicelib.persistence.tables import Tables
from chalicelib.persistence.transactions import Writes, commit

#: Filing an entry into a notice: append, else create, else (closed meanwhile by the
#: scheduled function) the caller picks another notice. Two writers creating the same
#: notice at once: the loser appends on its next try.
_NOTICE_ATTEMPTS = 3


def _condition_failed(error: UpdateError) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class PynamoPreferencesRepository:
    """Preferences, unsubscribe links and digest notices in the single table."""

    def __init__(
        self, tables: Tables, connection: Connection, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._tables = tables
        self._dynamodb = connection
        self._sleep = sleep
        tables.describe_to(connection)

    # -- preferences ------------------------------------------------------------------

    def get_profile(self, user_id: str) -> UserProfile | None:
        """The stored profile, strongly consistent (a PUT's answer is read back)."""
        profiles = self._tables.profiles
        try:
            return profile_of(profiles.get(keys.user_pk(user_id), keys.PROFILE_SK, consistent_read=True))
        except profiles.DoesNotExist:
            return None

    def administered_among(self, user_id: str, org_ids: Iterable[str]) -> set[str]:
        """Those of ``org_ids`` that ``user_id`` administers (one BatchGetItem)."""
        members = self._tables.members
        wanted = [(keys.org_pk(org_id), keys.member_sk(user_id)) for org_id in dict.fromkeys(org_ids)]
        if not wanted:
            return set()
        return {
            member.organization_id
            for member in members.batch_get(wanted, consistent_read=True)
            if member.role == Role.ADMIN.value
        }

    def organizations(self, org_ids: Iterable[str]) -> list[Organization]:
        wanted = [(keys.org_pk(org_id), keys.ORG_SK) for org_id in dict.fromkeys(org_ids)]
        if not wanted:
            return []
        return [organization_of(item) for item in self._tables.organizations.batch_get(wanted)]

    def save_preferences(self, profile: UserProfile) -> None:
        """Write ``profile.preferences`` on the profile, which is created (or refreshed)
        from ``profile``'s name, address and locale, as the caller's token gives them."""
        model = self._tables.profiles
        preferences = profile.preferences
        actions = [*profile_refresh(profile), model.admin_emails.set(preferences.admin_emails.value)]
        # DynamoDB stores no empty set and no null worth keeping: absent is the default.
        actions.append(
            model.language.set(preferences.language) if preferences.language else model.language.remove()
        )
        actions.append(
            model.muted_organizations.set(set(preferences.muted_organizations))
            if preferences.muted_organizations
            else model.muted_organizations.remove()
        )
        profile_item(profile, model).update(actions=actions)

    def unsubscribe(
        self, user_id: str, org_id: str | None, link_id: str, link_expires_at: datetime, now: datetime
    ):
        """Apply a one-click unsubscribe link once: mute ``org_id`` for ``user_id`` (or,
        with no organization, set their admin emails to ``off``) and mark the link used,
        in one transaction. Raises :class:`LinkUsed` the second time, :class:`InvalidLink`
        when the user has no profile (nobody was ever emailed such a link)."""
        t = self._tables
        writes = Writes()
        writes.put(
            t.used_links(
                keys.unsubscribe_pk(link_id),
                keys.UNSUBSCRIBE_USED_SK,
                used_at=now,
                expires_at=link_expires_at,
            ),
            condition=t.used_links.pk.does_not_exist(),
            error=LinkUsed(),
        )
        action = (
            t.profiles.muted_organizations.add({org_id})
            if org_id
            else t.profiles.admin_emails.set(AdminEmails.OFF.value)
        )
        writes.update(
            t.profiles(keys.user_pk(user_id), keys.PROFILE_SK),
            [action],
            condition=t.profiles.pk.exists(),
            error=InvalidLink(),
        )
        commit(self._dynamodb, writes, self._sleep)

    # -- notices ----------------------------------------------------------------------

    def file_in_notice(
        self,
        user_id: str,
        kind: NoticeKind,
        key: str,
        due_at: datetime,
        entry_key: str,
        entry: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Put ``entry`` under ``entry_key`` in the user's open notice ``kind``/``key``,
        creating it (open, due at ``due_at`` in the schedule) if it does not exist. Writing
        the same entry again keeps one (stream redelivery). False when the notice is
        already closed without this entry: it was emailed, or is being."""
        model = self._tables.notices
        pk, sk = keys.notice_pk(user_id), keys.notice_sk(kind.value, key)
        item = model(pk, sk)
        for _ in range(_NOTICE_ATTEMPTS):
            try:
                item.update(
                    actions=[model.entries[entry_key].set(entry)],
                    condition=(model.status == "open") & model.entries.exists(),
                )
                return True
            except UpdateError as e:
                if not _condition_failed(e):
                    raise
            gsi4pk, gsi4sk = keys.due_keys(due_at, DueKind.NOTICE, f"{user_id}#{kind.value}#{key}")
            try:
                item.update(
                    actions=[
                        model.user_id.set(user_id),
                        model.kind.set(kind.value),
                        model.status.set("open"),
                        model.created_at.set(now),
                        model.entries.set({entry_key: entry}),
                        model.gsi4pk.set(gsi4pk),
                        model.gsi4sk.set(gsi4sk),
                    ],
                    condition=model.pk.does_not_exist(),
                )
                return True
            except UpdateError as e:
                if not _condition_failed(e):
                    raise
            current = model.get(pk, sk, consistent_read=True)
            if current.status != "open":
                # Closed: a redelivered record finds its entry there, already told.
                return current.entries is not None and entry_key in current.entries.as_dict()
        return False
