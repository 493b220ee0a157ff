"""Every key of the single table: how each is written, and how a key read back (from a
stream record, a cursor, an item) says what it is.

Nothing outside ``chalicelib/persistence`` writes or parses these strings: the stream
function, the operators' tools and the benchmarks ask this module. Imported by the
stream function at module level: plain strings, no PynamoDB.

======================  ==================================  ==========================================
item                    PK / SK                             index entries
======================  ==================================  ==========================================
organization            ORG#<org> / ORG
member                  ORG#<org> / MEMBER#<user>           GSI1 ORG#<org>#ROLE#<role> / <since>#<user>;
                                                            GSI2 USER#<user> / MEMBER#<role>#<org>
request                 ORG#<org> / REQ#<request>           GSI1 ORG#<org>#REQ#<status> / <stamp>;
                                                            GSI2 USER#<user> / REQ#<stamp>;
                                                            GSI3 USER#<user>#REQ#<status> / <stamp>;
                                                            GSI4 DUE#<day> / <moment>#REQ#<request>
                                                            (while pending)
admin notice            NOTICE#<user> / <kind>#<key>        GSI4 DUE#<day> /
                                                            <moment>#NOTICE#<user>#<kind>#<key> (while open)
schedule checkpoint     SCHEDULE / CHECKPOINT
unsubscribe link used   UNSUBSCRIBE#<link> / USED
pending request lock    ORG#<org> / PENDING#<user>
last asked (cooldown)   ORG#<org> / ASKED#<user>
profile                 USER#<user> / PROFILE
email ledger round      EMAIL#<request>#<transition> / ROUND
operator action         ORG#<org> / HISTORY#<moment>#<id>   GSI1 OPS#<month> / <moment>#<id>
(of no organization)    OPERATION#<id> / OPERATION          GSI1 OPS#<month> / <moment>#<id>
======================  ==================================  ==========================================

``<stamp>`` is ``<created_at>#<request>``: by creation time, the id breaking ties.
Members are ordered oldest first (``<since>``), so that the founding admins are the
ones emailed when there are many.

A user's collection in GSI2 holds their memberships (``MEMBER#...``: the organizations
they belong to, those they administer first, each member item carrying its
organization's name) and their requests (``REQ#...``, newest last): each listing is one
Query of it with ``begins_with``, and a listing's cursor must stay under its prefix.

An organization's history is its partition's ``HISTORY#`` items: ``<moment>`` is a UTC
timestamp of fixed width (microseconds), so one ``Query`` (``begins_with HISTORY#``,
backwards) pages through it newest first. Operator actions are its first kind; other
events of the organization's life belong under the same prefix, so that the history
reads them all in that one Query. ``OPS#<month>`` (``YYYY-MM``) in GSI1 is the operators'
log: every operator action of a month, whichever organization it concerns. None of
these keys starts with ``REQ#`` or ``NOTICE#``: the stream function's filter never lets
them in (it lets requests in, and notices, which it emails once they are ``ready``).

GSI4 is the schedule: what the scheduled function must look at, by the moment it is due.
Only pending requests (their next reminder, else their expiry) and open notices (an
admin's reminders or digest, due to be closed and emailed) have GSI4 keys, and each
loses them when it leaves that state, so the index holds what is still to do and
nothing else. ``<day>`` is the due moment's UTC date (``YYYY-MM-DD``): a pass reads the
days from its checkpoint to today, each one Query bounded by ``now``, so its cost grows
with what is due, never with the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.domain import DueKind, NoticeKind, Role

#: The names of the table's own key attributes.
TABLE_KEYS = frozenset({"PK", "SK"})


def index_keys(number: int) -> frozenset[str]:
    """The key attributes of an item read through ``GSI<number>`` (a cursor's names)."""
    return TABLE_KEYS | {f"GSI{number}PK", f"GSI{number}SK"}


# -- the table's keys (the arguments each format takes, in order) ---------------------

#: (org_id): an organization's partition: its item, members, requests, locks.
org_pk = "ORG#{}".format
ORG_SK = "ORG"
#: (user_id): a user's partition (their profile); also a user's collection in GSI2.
user_pk = "USER#{}".format
PROFILE_SK = "PROFILE"
#: (user_id)
member_sk = "MEMBER#{}".format
#: (request_id)
request_sk = "REQ#{}".format
#: (user_id): the lock of a user's one pending request in an organization.
pending_sk = "PENDING#{}".format
#: (user_id): when a user last asked an organization (the cooldown).
asked_sk = "ASKED#{}".format
#: (request_id, transition): the email ledger's record of one round.
round_pk = "EMAIL#{}#{}".format
ROUND_SK = "ROUND"

#: (moment, action_id): an event of an organization's history (see ``history_sk``).
HISTORY_SK_PREFIX = "HISTORY#"
#: (action_id): an operator action that concerns no one organization (a re-drive).
operation_pk = "OPERATION#{}".format
OPERATION_SK = "OPERATION"

#: (user_id): an admin's notices (the emails that list several requests).
notice_pk = "NOTICE#{}".format
#: (NoticeKind, key): one notice of an admin (a reminder round, a day's digest).
notice_sk = "{}#{}".format
#: What every notice's ``PK`` starts with.
NOTICE_PK_PREFIX = notice_pk("")
#: The transition of a notice's round in the email ledger (``round_pk(notice_round_id(...), ...)``).
NOTICE_READY = "ready"
#: The scheduled function's checkpoint: the earliest day that may still hold due items.
SCHEDULE_PK = "SCHEDULE"
CHECKPOINT_SK = "CHECKPOINT"
#: (link id): marks a one-click unsubscribe link as used.
unsubscribe_pk = "UNSUBSCRIBE#{}".format
UNSUBSCRIBE_USED_SK = "USED"

#: What every member's ``SK`` starts with, in its organization's partition.
MEMBER_SK_PREFIX = member_sk("")
#: What every request's ``SK`` starts with in its organization's partition, and its
#: ``GSI2SK`` in its user's (where memberships are too).
REQUEST_SK_PREFIX = request_sk("")

# -- the indexes' keys ---------------------------------------------------------------

#: (org_id, role): GSI1PK of an organization's members of one role.
members_by_role_pk = "ORG#{}#ROLE#{}".format
#: What the ``GSI2SK`` of every membership starts with in its user's collection.
USER_MEMBERSHIP_PREFIX = "MEMBER#"
#: (role, org_id): GSI2SK of a membership in its user's collection.
user_membership_sk = (USER_MEMBERSHIP_PREFIX + "{}#{}").format
#: (org_id, status): GSI1PK of an organization's requests of one status.
org_requests_pk = "ORG#{}#REQ#{}".format
#: (user_id, status): GSI3PK of a user's requests of one status.
user_requests_pk = "USER#{}#REQ#{}".format
#: (month as YYYY-MM): GSI1PK of the operators' log of one month.
operator_log_pk = "OPS#{}".format


def due_pk(day: date) -> str:
    """GSI4PK of what is due on ``day`` (UTC)."""
    return f"DUE#{day.isoformat()}"


def due_keys(at: datetime, kind: DueKind, ident: str) -> tuple[str, str]:
    """GSI4PK and GSI4SK of an item due at ``at``: ``ident`` is the request id, or the
    notice's ``<user>#<kind>#<key>``."""
    return due_pk(at.astimezone(UTC).date()), f"{moment(at)}#{kind.value}#{ident}"


def due_until(now: datetime) -> str:
    """The upper bound of GSI4SK for what is due at ``now`` (``<=``)."""
    return f"{moment(now)}#~"


def notice_due_ident(user_id: str, kind: NoticeKind, key: str) -> str:
    """The ``ident`` of a notice in its GSI4SK (``due_keys``): ``<user>#<kind>#<key>``."""
    return f"{user_id}#{kind.value}#{key}"


def notice_round_id(user_id: str, kind: NoticeKind, key: str) -> str:
    """What the email ledger knows a notice by: its ``PK`` and ``SK`` joined, so that its
    round is ``EMAIL#NOTICE#<user>#<kind>#<key>#ready``."""
    return f"{notice_pk(user_id)}#{notice_sk(kind.value, key)}"


def user_memberships_prefix(role: Role) -> str:
    """What the ``GSI2SK`` of a user's memberships of one role start with."""
    return user_membership_sk(role, "")


def member_since_sk(since: datetime, user_id: str) -> str:
    """GSI1SK of a member."""
    return f"{since.isoformat()}#{user_id}"


def request_stamp(created_at: datetime, request_id: str) -> str:
    """GSI1SK and GSI3SK of a request."""
    return f"{created_at.isoformat()}#{request_id}"


def user_request_sk(created_at: datetime, request_id: str) -> str:
    """GSI2SK of a request in its user's collection."""
    return request_sk(request_stamp(created_at, request_id))


def moment(at: datetime) -> str:
    """A UTC timestamp of fixed width, so that keys sort as time does."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def history_sk(at: datetime, event_id: str) -> str:
    """SK of an event in its organization's history."""
    return f"{HISTORY_SK_PREFIX}{moment(at)}#{event_id}"


def operator_log_keys(at: datetime, action_id: str) -> tuple[str, str]:
    """GSI1PK and GSI1SK of an operator action in the operators' log of its month."""
    return operator_log_pk(at.astimezone(UTC).strftime("%Y-%m")), f"{moment(at)}#{action_id}"


# -- reading keys back -----------------------------------------------------------------


def _string(attributes: Mapping[str, Any], name: str) -> str:
    value = attributes.get(name)
    return value.get("S", "") if isinstance(value, Mapping) else ""


def request_key_of(attributes: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """``(org_id, request_id)`` when the keys (DynamoDB JSON: a stream record's ``Keys``
    or image, an item) are a membership request's; None for every other kind of item."""
    attributes = attributes or {}
    sk = _string(attributes, "SK")
    if not sk.startswith(REQUEST_SK_PREFIX):
        return None
    return _string(attributes, "PK").removeprefix(org_pk("")), sk.removeprefix(REQUEST_SK_PREFIX)


def notice_key_of(attributes: Mapping[str, Any] | None) -> tuple[str, NoticeKind, str] | None:
    """``(user_id, kind, key)`` when the keys (DynamoDB JSON) are an admin notice's; None
    for every other kind of item."""
    attributes = attributes or {}
    pk = _string(attributes, "PK")
    if not pk.startswith(NOTICE_PK_PREFIX):
        return None
    kind, _, key = _string(attributes, "SK").partition("#")
    if kind not in NoticeKind.__members__.values() or not key:
        return None
    return pk.removeprefix(NOTICE_PK_PREFIX), NoticeKind(kind), key


def is_notice_image(image: Mapping[str, Any] | None) -> bool:
    """Whether a stream image is an admin notice's."""
    return notice_key_of(image) is not None


def is_request_image(image: Mapping[str, Any] | None) -> bool:
    """Whether a stream image is a membership request's."""
    return request_key_of(image) is not None


def user_id_of(pk: str) -> str:
    """The user a profile's partition key names."""
    return pk.removeprefix(user_pk(""))


def is_round_key(pk: str) -> bool:
    """Whether a partition key is an email ledger round's: what ``round_pk`` writes."""
    request_id, _, transition = pk.partition("#")[2].rpartition("#")
    return pk == round_pk(request_id, transition)


def is_admins_partition(gsi1pk: str) -> bool:
    """Whether a ``GSI1PK`` is some organization's admins (what the notifier queries)."""
    org_id = gsi1pk.removeprefix(org_pk("")).partition("#")[0]
    return gsi1pk == members_by_role_pk(org_id, Role.ADMIN)
