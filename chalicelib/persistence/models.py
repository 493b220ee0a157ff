"""PynamoDB models of Adhesion's single table. They only describe items.

Every item lives in one table (``infra/template.yaml``, resource ``Table``) keyed by
``PK``/``SK`` with three overloaded global secondary indexes:

- ``GSI1`` (``GSI1PK``/``GSI1SK``): collections inside one organization
  (requests by status, members by role), and the operators' log of each month.
- ``GSI2`` (``GSI2PK``/``GSI2SK``): collections of one user across organizations.
- ``GSI3`` (``GSI3PK``/``GSI3SK``): one user's requests of one status.
- ``GSI4`` (``GSI4PK``/``GSI4SK``): the schedule, what is due by day and moment
  (pending requests, open notices); sparse.

The key formats are written and parsed in ``chalicelib/persistence/keys.py`` only.

These classes are unbound: they name no table, region or endpoint, so importing them
reads no settings and creates no connection. ``chalicelib.persistence.tables.bind``
derives the classes that talk to one table, when the container is built; the unbound
ones still build items and read stream images, which need no connection.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


def _index(
    number: int, sparse: bool = False
) -> tuple[UnicodeAttribute, UnicodeAttribute, GlobalSecondaryIndex]:
    """A model's entry in the overloaded index ``GSI<number>``, which projects every
    attribute: its two key attributes (``GSI<number>PK``, ``GSI<number>SK``) and the index.
    ``sparse``: the item is in the index only while it has the keys."""
    meta = type("Meta", (), {"index_name": f"GSI{number}", "projection": AllProjection()})
    pk, sk = f"GSI{number}PK", f"GSI{number}SK"
    index = type(
        f"Index{number}",
        (GlobalSecondaryIndex,),
        {
            "Meta": meta,
            pk.lower(): UnicodeAttribute(hash_key=True, attr_name=pk),
            sk.lower(): UnicodeAttribute(range_key=True, attr_name=sk),
        },
    )
    return UnicodeAttribute(attr_name=pk, null=sparse), UnicodeAttribute(attr_name=sk, null=sparse), index()


class _Item(Model):
    """What every item has: the table's keys. Bound subclasses add the table."""

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


class OrganizationModel(_Item):
    """An organization. ``PK: ORG#<org_id>``, ``SK: ORG``.

    The counters are kept by the same transactions that add or remove members and
    requests, so reading them never costs a query.
    """

    organization_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    members_count = NumberAttribute(default=0)
    admins_count = NumberAttribute(default=0)
    pending_count = NumberAttribute(default=0)
    # Settings (GET/PUT /organizations/{id}/settings); absent on items written before
    # them, which read as the defaults of ``domain.OrganizationSettings``.
    requests_open = BooleanAttribute(null=True)
    request_guidance = UnicodeAttribute(null=True)
    auto_accept_domains = UnicodeSetAttribute(null=True)
    auto_accept_role = UnicodeAttribute(null=True)
    request_expiry_days = NumberAttribute(null=True)
    reminder_days = ListAttribute(of=NumberAttribute, null=True)
    settings_version = NumberAttribute(default=0)


class MembershipModel(_Item):
    """A member of an organization. ``PK: ORG#<org_id>``, ``SK: MEMBER#<user_id>``.

    ``GSI1PK: ORG#<org_id>#ROLE#<role>``, ``GSI1SK: <since>#<user_id>`` (the admins to email);
    ``GSI2PK: USER#<user_id>``, ``GSI2SK: MEMBER#<role>#<org_id>`` (a user's organizations).

    ``organization_name`` is the organization's name, copied when the member joins, so that
    a page of a user's organizations is one Query of GSI2 with nothing else to read. No
    operation renames an organization; one that did would rewrite its members' items in
    the same transaction. Items written before the copy have none (``null``).
    """

    organization_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    since = UTCDateTimeAttribute()
    organization_name = UnicodeAttribute(null=True)
    gsi1pk, gsi1sk, by_organization = _index(1)
    gsi2pk, gsi2sk, by_user = _index(2)


class MembershipRequestModel(_Item):
    """A request to join, kept forever as history. ``PK: ORG#<org_id>``, ``SK: REQ#<request_id>``.

    ``GSI1PK: ORG#<org_id>#REQ#<status>``, ``GSI1SK: <created_at>#<request_id>`` (an organization's
    requests of one status, oldest first); ``GSI2PK: USER#<user_id>``,
    ``GSI2SK: REQ#<created_at>#<request_id>`` (a user's requests); ``GSI3PK:
    USER#<user_id>#REQ#<status>``, ``GSI3SK: <created_at>#<request_id>`` (a user's requests of
    one status).
    """

    request_id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    user_name = UnicodeAttribute()
    comment = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    role = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    decided_by_id = UnicodeAttribute(null=True)
    decided_by_name = UnicodeAttribute(null=True)
    # The schedule (``domain.RequestSchedule``); absent on requests made before it.
    expires_at = UTCDateTimeAttribute(null=True)
    reminder_days = ListAttribute(of=NumberAttribute, null=True)
    reminders_sent = NumberAttribute(null=True)
    auto_accepted = BooleanAttribute(null=True)
    gsi1pk, gsi1sk, by_organization = _index(1)
    gsi2pk, gsi2sk, by_user = _index(2)
    gsi3pk, gsi3sk, by_user_status = _index(3)
    #: ``GSI4PK: DUE#<day>``, ``GSI4SK: <moment>#REQ#<request_id>`` while pending only
    gsi4pk, gsi4sk, by_due = _index(4, sparse=True)


class PendingRequestModel(_Item):
    """The one pending request a user may hold per organization.

    ``PK: ORG#<org_id>``, ``SK: PENDING#<user_id>``. Created and deleted in the same
    transactions as the request it points to; its existence is the uniqueness guarantee.
    """

    request_id = UnicodeAttribute()


class LastAskedModel(_Item):
    """When a user last asked to join an organization. ``PK: ORG#<org_id>``,
    ``SK: ASKED#<user_id>``. Written by every request, it enforces the cooldown between
    two requests to the same organization, then expires (``expires_at``)."""

    asked_at = NumberAttribute()
    expires_at = TTLAttribute()


class UserProfileModel(_Item):
    """What a user's last token said of them. ``PK: USER#<user_id>``, ``SK: PROFILE``.

    ``pending_count`` caps how many pending requests a user holds at once.
    """

    name = UnicodeAttribute()
    email = UnicodeAttribute()
    locale = UnicodeAttribute()
    pending_count = NumberAttribute(default=0)
    # Email preferences (``domain.Preferences``); absent: the defaults.
    admin_emails = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    muted_organizations = UnicodeSetAttribute(null=True)


class EmailRoundModel(_Item):
    """The ledger record of one round: the emails of one transition of one request.
    ``PK: EMAIL#<request_id>#<transition>``, ``SK: ROUND``.

    ``sent`` holds the recipients whose message SES accepted, ``failed`` the recipients
    given up (recipient id -> reason), ``handled`` says that every email of the round is
    sent or given up. ``version`` makes each write conditional on the version read, so
    that two writers merge instead of overwriting. Records expire (``expires_at``, the
    table's TTL attribute) after the stream can no longer redeliver the record that
    caused them.
    """

    sent = UnicodeSetAttribute(null=True)
    failed = MapAttribute(null=True)
    handled = BooleanAttribute(default=False)
    version = VersionAttribute()
    expires_at = TTLAttribute()


class OperatorActionModel(_Item):
    """What an operator did (``python -m ops``), kept as long as the table.

    ``PK: ORG#<org_id>``, ``SK: HISTORY#<moment>#<action_id>``: in the history of the
    organization it concerns, in time order (``PK: OPERATION#<action_id>``, ``SK:
    OPERATION`` for a re-drive, which concerns no one organization). ``GSI1PK:
    OPS#<YYYY-MM>``, ``GSI1SK: <moment>#<action_id>``: the operators' log of its month.
    Written in the same transaction as the change it records when that change is a
    write to this table.
    """

    action_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    operator = UnicodeAttribute()
    action = UnicodeAttribute()
    organization_id = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    details = MapAttribute(null=True)
    gsi1pk, gsi1sk, by_organization = _index(1)


class NoticeModel(_Item):
    """One email to one admin that lists several requests: the reminders of one pass of
    the scheduled function, or the new requests of one day (``daily_digest``).

    ``PK: NOTICE#<user_id>``, ``SK: <kind>#<key>``. ``entries`` maps ``<org_id>#<request_id>``
    to what the email says of it, so that writing an entry twice keeps one. While
    ``status`` is ``open``, ``GSI4PK: DUE#<day>`` and ``GSI4SK:
    <moment>#NOTICE#<user_id>#<kind>#<key>`` say when it is to be closed; closing it
    (``ready``) removes them, and the stream emails it once.
    """

    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    entries = MapAttribute(null=True)
    gsi4pk, gsi4sk, by_due = _index(4, sparse=True)


class CheckpointModel(_Item):
    """``PK: SCHEDULE``, ``SK: CHECKPOINT``: the earliest day whose due items the
    scheduled function may not have handled, so that a pass starts there."""

    day = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class UsedLinkModel(_Item):
    """``PK: UNSUBSCRIBE#<link_id>``, ``SK: USED``: a one-click unsubscribe link already
    used, written in the same transaction as the preference it changed."""

    used_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)
