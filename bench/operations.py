"""Each API operation and each kind of stream record, measured through the real code paths
on organizations of growing size, against the floor claimed for it.

For each size the emulator starts empty, the organization is seeded (``bench.seed``), and
every operation runs once inside ``Meter.measure()``. Pages hold ``PAGE`` items, so that
the smallest organization fills them too, and "deep" pages start from the middle of the
listing; the inbox's admin also administers a second organization of 40 pending requests,
so that the inbox shows its 50 items whatever the size of the first. Another user
belongs to as many organizations as the first has members (``MEMBERSHIPS`` at most):
their list costs one page whatever their number.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import environment, seed
from bench.harness import BenchError, Http, Stream, application
from bench.meter import Measure, Meter
from chalicelib.persistence import keys
from devstack import emulator

PAGE = 5
HISTORY = 1000
HISTORIAN = "hist000001"
# A member of as many organizations as the measured one has members, up to MEMBERSHIPS.
JOINER = "join000001"
MEMBERSHIPS = 10_000
NEWCOMERS = ("new0000001", "new0000002", "new0000003", "new0000004", "new0000005")


@dataclass(frozen=True)
class Floor:
    """The fewest DynamoDB calls (by operation) and SES calls the operation can make."""

    calls: dict[str, int]
    reason: str
    ses: int = 0
    #: conditional writes the operation expects to be refused (billed as writes all the same)
    refused: int = 0

    def text(self) -> str:
        calls = " + ".join(f"{count} {operation}" for operation, count in self.calls.items()) or "none"
        return calls + (f", {self.ses} SES" if self.ses else "")


@dataclass
class Row:
    name: str
    kind: str  # "api" or "stream"
    floor: Floor
    measure: Measure

    @property
    def at_floor(self) -> bool:
        measured = self.measure
        return dict(measured.operations()) == self.floor.calls and measured.ses_calls == self.floor.ses

    def signature(self) -> tuple:
        """What must not change with the organization's size."""
        m = self.measure
        return (tuple(sorted(m.operations().items())), m.read_units, m.write_units, m.items_read, m.ses_calls)


_ONE_READ = {"BatchGetItem": 1}
_READ_AND_COMMIT = {"BatchGetItem": 1, "TransactWriteItems": 1}
_LIST_PAGE = {"GetItem": 1, "Query": 1}
_STREAM_OUTCOME = {"GetItem": 3, "BatchGetItem": 1, "PutItem": 1}
FLOORS: dict[str, Floor] = {
    "POST /organizations": Floor(
        {"TransactWriteItems": 1}, "one transaction: the organization, its first admin, its creator"
    ),
    "GET /organizations/{id} (member)": Floor(
        _ONE_READ, "one read of 3 keys: organization, caller's membership, caller's lock"
    ),
    "GET /organizations/{id} (pending requester)": Floor(
        {"BatchGetItem": 1, "GetItem": 1}, "the same read, then the request the caller's lock names"
    ),
    "GET .../members (first page)": Floor({"Query": 1}, "one Query page of the organization's partition"),
    "GET .../members (deep page)": Floor({"Query": 1}, "the same page, from the cursor's key"),
    "GET .../membership-requests (first page)": Floor(
        _LIST_PAGE, "the caller's membership, one index page (GSI1)"
    ),
    "GET .../membership-requests (deep page)": Floor(_LIST_PAGE, "the same, from the cursor's key"),
    "GET /me/membership-requests (first page)": Floor({"Query": 1}, "one index page (GSI2)"),
    "GET /me/membership-requests (deep page)": Floor({"Query": 1}, "the same, from the cursor's key"),
    "GET /me/membership-requests?status=accepted": Floor({"Query": 1}, "one index page (GSI3)"),
    "GET /me/organizations (first page)": Floor(
        {"Query": 1}, "one index page (GSI2): each member item names its organization"
    ),
    "GET /me/organizations (deep page)": Floor({"Query": 1}, "the same, from the cursor's key"),
    "GET /me/notifications (2 organizations)": Floor(
        {"Query": 3, "BatchGetItem": 1},
        "caller's admin organizations (GSI2), their items, a page per organization with pending requests",
    ),
    "GET /health": Floor({}, "no storage"),
    # Was one transaction alone: the settings (closed? auto-accepted domain? expiry) must be
    # known before writing, and the transaction is conditioned on their version as read.
    "POST .../membership-requests (ask)": Floor(
        {"GetItem": 1, "TransactWriteItems": 1},
        "the organization's settings (one consistent read), one transaction: counter and settings "
        "version, member check, lock, request, cooldown, user",
    ),
    "GET .../settings": Floor(
        {"BatchGetItem": 2, "Query": 1},
        "one read of 2 keys (organization, caller's membership), the earliest admins (GSI1), "
        "their profiles (preferences)",
    ),
    "PUT .../settings": Floor(
        {"BatchGetItem": 2, "Query": 1, "TransactWriteItems": 1},
        "the same read, one transaction re-checking the admin and the settings version, then "
        "the admins and their profiles for the answer",
    ),
    "stream: new request, 3 admins": Floor(
        {"GetItem": 2, "Query": 1, "BatchGetItem": 1, "PutItem": 3},
        "round read, organization, admins, one consistent read of the profiles and the request "
        "(still pending?); per email one SES call, then one round write (the last also marks "
        "the round handled)",
        ses=3,
    ),
    "stream: same record redelivered": Floor({"GetItem": 1}, "the round read says all was handled"),
    "GET .../membership-requests/{id}": Floor(
        _ONE_READ, "one read of 2 keys: the request, the caller's membership"
    ),
    "POST .../{id}/accept": Floor(
        _READ_AND_COMMIT,
        "read request, caller's membership and the organization (its name goes into the new "
        "member's item), one transaction re-checking the first two",
    ),
    "stream: accepted": Floor(
        _STREAM_OUTCOME,
        "round read, admins' round read (ordering), organization, requester profile; one SES call, "
        "then one round write",
        ses=1,
    ),
    "POST .../{id}/refuse": Floor(
        _READ_AND_COMMIT, "read request and caller's membership, one transaction re-checking both"
    ),
    "stream: refused": Floor(_STREAM_OUTCOME, "the same", ses=1),
    "DELETE .../{id} (withdraw)": Floor(_READ_AND_COMMIT, "the same"),
    "stream: withdrawn": Floor({}, "no email for a withdrawal: nothing read"),
    "GET /me/preferences": Floor({"GetItem": 1}, "the caller's profile (nothing muted: no names to read)"),
    "PUT /me/preferences": Floor(
        {"GetItem": 1, "UpdateItem": 1},
        "the stored preferences (a merge), one update of the profile (created from the token if new)",
    ),
    "stream: new request, 3 admins on daily_digest (day's first)": Floor(
        {"GetItem": 2, "Query": 1, "BatchGetItem": 1, "PutItem": 1, "UpdateItem": 6},
        "the reads of a new request; per admin the append finds no notice, the create files it "
        "(a failed condition is billed a write); one round write, no email",
        refused=3,
    ),
    "stream: new request, 3 admins on daily_digest (same day)": Floor(
        {"GetItem": 2, "Query": 1, "BatchGetItem": 1, "PutItem": 1, "UpdateItem": 3},
        "the reads of a new request; one append per admin's open digest; one round write, no email",
    ),
    "GET /unsubscribe": Floor({}, "the link's signature only: a GET changes and reads nothing"),
    "POST /unsubscribe": Floor(
        {"TransactWriteItems": 1}, "one transaction: the profile's muted organizations, the used-link marker"
    ),
    "PUT .../members/{user}": Floor(
        _READ_AND_COMMIT, "read both memberships (answer, checks), one transaction re-checking them"
    ),
    "DELETE .../members/{user}": Floor(_READ_AND_COMMIT, "the same read, one transaction re-checking it"),
    "ops show (first pages)": Floor(
        {"GetItem": 1, "Query": 2},
        "the organization's counters, one page of members, one page of pending requests (GSI1)",
    ),
    "ops show (members' deep page)": Floor(
        _LIST_PAGE, "the counters, the members' page from the cursor's key"
    ),
    "ops grant-admin (member)": Floor(
        _READ_AND_COMMIT,
        "one read of 3 keys (organization, membership, lock), one transaction: role, admins "
        "counter, the operator action's record",
    ),
    "ops revoke-admin": Floor(_READ_AND_COMMIT, "the same"),
    "ops audit ORG (first page)": Floor(_LIST_PAGE, "the organization, one page of its history"),
}


@dataclass
class SizeRun:
    members: int
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0
    seeded_items: int = 0


def _cursor(item: dict[str, Any], names: tuple[str, ...]) -> str:
    from chalicelib.persistence.cursors import encode_cursor

    return encode_cursor({name: item[name] for name in names})


def _middle(items: list[dict[str, Any]], sort_key: str, prefix: str, reverse: bool = False) -> dict[str, Any]:
    """The item a deep page starts after: the middle of the listing, leaving at least a page."""
    chosen = sorted(
        (item for item in items if item.get(sort_key, {}).get("S", "").startswith(prefix)),
        key=lambda item: item[sort_key]["S"],
        reverse=reverse,
    )
    return chosen[(len(chosen) - 1) // 2]


def run_size(members: int, issuer, meter: Meter) -> SizeRun:
    """Measure every operation on an organization of ``members`` members and as many
    pending requests (and a user with ``HISTORY`` past requests)."""
    from moto import mock_aws

    started = time.perf_counter()
    run = SizeRun(members)
    with mock_aws(), emulator.cheap_transaction_rollback():
        stream_arn = environment.create_stateful_resources()
        org = seed.organization(1, members=members, pending=members)
        side = seed.organization(
            2, members=1, pending=40, admins=1, name="Administration centrale", first_members=(org.admins[0],)
        )
        history = list(seed.history(HISTORIAN, HISTORY))
        joined = seed.memberships(JOINER, min(members, MEMBERSHIPS))
        run.seeded_items = emulator.put_items(environment.TABLE, [*org.items, *side.items, *history, *joined])
        with application(issuer, stream_arn) as (http, stream):
            _operations(run, org, history, joined, http, stream, meter)
    run.seconds = time.perf_counter() - started
    return run


def _operations(
    run: SizeRun,
    org: seed.SeededOrganization,
    history: list[dict[str, Any]],
    joined: list[dict[str, Any]],
    http: Http,
    stream: Stream,
    meter: Meter,
) -> None:
    admin, o = org.admins[0], f"/organizations/{org.id}"

    def measure(name: str, kind: str, action: Callable[[], Any]) -> Any:
        with meter.measure() as measured:
            result = action()
        refused = [error for error in measured.errors if error.endswith(": ConditionalCheckFailedException")]
        others = [error for error in measured.errors if error not in refused]
        if others or len(refused) != FLOORS[name].refused:
            raise BenchError(f"{name}: {measured.errors}")
        run.rows.append(Row(name, kind, FLOORS[name], measured))
        return result

    member_cursor = _cursor(_middle(org.items, "SK", keys.MEMBER_SK_PREFIX), ("PK", "SK"))
    pending = [item for item in org.items if keys.request_key_of(item)]
    request_cursor = _cursor(_middle(pending, "GSI1SK", ""), ("PK", "SK", "GSI1PK", "GSI1SK"))
    mine_cursor = _cursor(
        _middle(history, "GSI2SK", keys.REQUEST_SK_PREFIX, reverse=True), ("PK", "SK", "GSI2PK", "GSI2SK")
    )
    organizations_cursor = _cursor(
        _middle(joined, "GSI2SK", keys.USER_MEMBERSHIP_PREFIX), ("PK", "SK", "GSI2PK", "GSI2SK")
    )

    api = "api"
    measure(
        "POST /organizations",
        api,
        lambda: http.call("POST", "/organizations", admin, {"name": "Nouvelle organisation"}, expect=201),
    )
    measure("GET /organizations/{id} (member)", api, lambda: http.call("GET", o, admin))
    viewed = measure(
        "GET /organizations/{id} (pending requester)", api, lambda: http.call("GET", o, org.requesters[0])
    )
    if not viewed["my_pending_request"]:
        raise BenchError("the requester's pending request is missing from the view")
    measure("GET .../members (first page)", api, lambda: http.call("GET", f"{o}/members?limit={PAGE}", admin))
    page = measure(
        "GET .../members (deep page)",
        api,
        lambda: http.call("GET", f"{o}/members?limit={PAGE}&cursor={member_cursor}", admin),
    )
    _full(page, "members deep page")
    measure(
        "GET .../membership-requests (first page)",
        api,
        lambda: http.call("GET", f"{o}/membership-requests?limit={PAGE}", admin),
    )
    page = measure(
        "GET .../membership-requests (deep page)",
        api,
        lambda: http.call("GET", f"{o}/membership-requests?limit={PAGE}&cursor={request_cursor}", admin),
    )
    _full(page, "requests deep page")
    measure(
        "GET /me/membership-requests (first page)",
        api,
        lambda: http.call("GET", f"/me/membership-requests?limit={PAGE}", HISTORIAN),
    )
    page = measure(
        "GET /me/membership-requests (deep page)",
        api,
        lambda: http.call("GET", f"/me/membership-requests?limit={PAGE}&cursor={mine_cursor}", HISTORIAN),
    )
    _full(page, "history deep page")
    measure(
        "GET /me/membership-requests?status=accepted",
        api,
        lambda: http.call("GET", f"/me/membership-requests?status=accepted&limit={PAGE}", HISTORIAN),
    )
    page = measure(
        "GET /me/organizations (first page)",
        api,
        lambda: http.call("GET", f"/me/organizations?limit={PAGE}", JOINER),
    )
    _full(page, "organizations first page")
    page = measure(
        "GET /me/organizations (deep page)",
        api,
        lambda: http.call("GET", f"/me/organizations?limit={PAGE}&cursor={organizations_cursor}", JOINER),
    )
    _full(page, "organizations deep page")
    inbox = measure(
        "GET /me/notifications (2 organizations)", api, lambda: http.call("GET", "/me/notifications", admin)
    )
    if len(inbox["items"]) != 50:
        raise BenchError(f"the inbox shows {len(inbox['items'])} items, not 50")
    measure("GET /health", api, lambda: http.call("GET", "/health"))
    measure("GET .../settings", api, lambda: http.call("GET", f"{o}/settings", admin))
    guidance = {"request_guidance": "Dites-nous quels jeux de données vous publiez."}
    measure("PUT .../settings", api, lambda: http.call("PUT", f"{o}/settings", admin, guidance))

    comment = {"comment": "Je souhaite contribuer aux jeux de données de l'organisation."}
    asked = measure(
        "POST .../membership-requests (ask)",
        api,
        lambda: http.call("POST", f"{o}/membership-requests", NEWCOMERS[0], comment, expect=201),
    )
    records = stream.records()
    measure("stream: new request, 3 admins", "stream", lambda: stream.invoke(records))
    measure("stream: same record redelivered", "stream", lambda: stream.invoke(records))
    path = f"{o}/membership-requests/{asked['id']}"
    measure("GET .../membership-requests/{id}", api, lambda: http.call("GET", path, admin))
    measure(
        "POST .../{id}/accept", api, lambda: http.call("POST", f"{path}/accept", admin, {"role": "editor"})
    )
    measure("stream: accepted", "stream", stream.deliver)

    refused = http.call("POST", f"{o}/membership-requests", NEWCOMERS[1], comment, expect=201)
    withdrawn = http.call("POST", f"{o}/membership-requests", NEWCOMERS[2], comment, expect=201)
    stream.deliver()
    measure(
        "POST .../{id}/refuse",
        api,
        lambda: http.call(
            "POST", f"{o}/membership-requests/{refused['id']}/refuse", admin, {"reason": "Non."}
        ),
    )
    measure("stream: refused", "stream", stream.deliver)
    measure(
        "DELETE .../{id} (withdraw)",
        api,
        lambda: http.call("DELETE", f"{o}/membership-requests/{withdrawn['id']}", NEWCOMERS[2]),
    )
    measure("stream: withdrawn", "stream", stream.deliver)

    # The admins read new requests in a daily digest from here on.
    measure("GET /me/preferences", api, lambda: http.call("GET", "/me/preferences", admin))
    digest = {"admin_emails": "daily_digest"}
    measure("PUT /me/preferences", api, lambda: http.call("PUT", "/me/preferences", admin, digest))
    for other in org.admins[1:]:
        http.call("PUT", "/me/preferences", other, digest)
    for newcomer, name in (
        (NEWCOMERS[3], "stream: new request, 3 admins on daily_digest (day's first)"),
        (NEWCOMERS[4], "stream: new request, 3 admins on daily_digest (same day)"),
    ):
        http.call("POST", f"{o}/membership-requests", newcomer, comment, expect=201)
        measure(name, "stream", stream.deliver)
    from chalicelib.bootstrap import container

    link = f"/unsubscribe?token={container().unsubscribe_links.token(admin, org.id)}"
    measure("GET /unsubscribe", api, lambda: http.call("GET", link))
    measure("POST /unsubscribe", api, lambda: http.call("POST", link, form="List-Unsubscribe=One-Click"))
    # Last: a new admin would change how many emails the requests above cost.
    measure(
        "PUT .../members/{user}",
        api,
        lambda: http.call("PUT", f"{o}/members/{org.editors[0]}", admin, {"role": "admin"}),
    )
    measure(
        "DELETE .../members/{user}",
        api,
        lambda: http.call("DELETE", f"{o}/members/{org.editors[1]}", admin, expect=204),
    )
    # The operators' command line, on the same organization.
    ops, page = "ops", ("--limit", str(PAGE))
    shown = measure("ops show (first pages)", ops, lambda: _ops("show", org.id, *page))
    if len(shown["members"]) != PAGE or len(shown["pending_requests"]) != PAGE:
        raise BenchError("ops show: the first pages are not full")
    measure(
        "ops show (members' deep page)", ops, lambda: _ops("show", org.id, *page, "--cursor", member_cursor)
    )
    measure("ops grant-admin (member)", ops, lambda: _ops("grant-admin", org.id, org.editors[2]))
    measure("ops revoke-admin", ops, lambda: _ops("revoke-admin", org.id, org.editors[2]))
    audit = measure("ops audit ORG (first page)", ops, lambda: _ops("audit", org.id, *page))
    if len(audit["actions"]) != 2:
        raise BenchError(f"ops audit: {len(audit['actions'])} actions, not 2")


def _ops(*argv: str) -> Any:
    """``python -m ops --json ...`` with the application's container."""
    import io
    import json

    from chalicelib import bootstrap
    from ops.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["--json", *argv], container=bootstrap.container(), out=out, err=err)
    if code != 0:
        raise BenchError(f"python -m ops {' '.join(argv)}: exit {code}: {err.getvalue()}")
    return json.loads(out.getvalue())


def _full(page: dict[str, Any], what: str) -> None:
    if len(page["items"]) != PAGE:
        raise BenchError(f"{what}: {len(page['items'])} items, not {PAGE}")


def flat_ratio(runs: list[SizeRun]) -> float:
    """Largest over smallest organization: the largest ratio, over operations, of the
    calls and of the units (read and write) each operation costs; 1.00 is flat."""
    smallest, largest = runs[0], runs[-1]
    ratios = []
    for small, large in zip(smallest.rows, largest.rows, strict=True):
        for attribute in ("dynamodb_calls", "read_units", "write_units", "items_read", "ses_calls"):
            a, b = getattr(small.measure, attribute), getattr(large.measure, attribute)
            if a or b:
                ratios.append(b / a if a else float("inf"))
    return max(ratios, default=1.0)
