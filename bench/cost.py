"""Dollars per million join flows, from the measured units and published prices, next to
an embedded-document design in which each change rewrites the organization's record.

A join flow: a user asks to join (API), the stream emails the organization's 3 admins,
an admin accepts (API), the stream emails the requester.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench import capacity, seed
from chalicelib.persistence import keys

# Published on-demand prices, US East (N. Virginia), standard table class. DynamoDB's are
# those in force since 2024-11-01 (on-demand throughput halved that day); SES's is the
# "a la carte" price per outbound message. Read from the pricing pages' text as quoted in
# the search tool's stored copies (aws.amazon.com/dynamodb/pricing/on-demand/, a 2025-07-21
# summary of it, and the AWS Price List for SES as of 2026-07-22); not fetched live.
PRICES = {
    "dynamodb_write_request_unit": 0.625 / 1e6,
    "dynamodb_read_request_unit": 0.125 / 1e6,
    "ses_outbound_email": 0.10 / 1e3,
}
PRICES_AS_OF = "DynamoDB: in force since 2024-11-01; SES: AWS Price List of 2026-07-22"
ITEM_LIMIT = 400 * 1024
FLOW_STEPS = (
    "POST .../membership-requests (ask)",
    "stream: new request, 3 admins",
    "POST .../{id}/accept",
    "stream: accepted",
)
FLOW_EMAILS = 4


@dataclass(frozen=True)
class Units:
    read: float
    write: float
    emails: float

    def dollars(self) -> tuple[float, float]:
        """(DynamoDB, SES) dollars for one flow."""
        dynamodb = (
            self.read * PRICES["dynamodb_read_request_unit"]
            + self.write * PRICES["dynamodb_write_request_unit"]
        )
        return dynamodb, self.emails * PRICES["ses_outbound_email"]

    def per_million(self) -> tuple[float, float, float]:
        dynamodb, ses = self.dollars()
        return dynamodb * 1e6, ses * 1e6, (dynamodb + ses) * 1e6


def single_table_flow(rows) -> Units:
    """The measured flow: the rows of ``FLOW_STEPS`` from one organization size."""
    by_name = {row.name: row.measure for row in rows}
    steps = [by_name[name] for name in FLOW_STEPS]
    return Units(
        sum(m.read_units for m in steps), sum(m.write_units for m in steps), sum(m.ses_calls for m in steps)
    )


DIGEST_FIRST = "stream: new request, 3 admins on daily_digest (day's first)"
DIGEST_SAME_DAY = "stream: new request, 3 admins on daily_digest (same day)"
ADMINS = 3


def digest_flow(rows, requests_per_day: int) -> Units:
    """The measured flow with the 3 admins on ``daily_digest``, for an organization that
    gets ``requests_per_day`` requests a day: the new-request record files each request in
    the admins' digests (the day's first creates them, the others append) and sends no
    email; each admin's one digest email a day is shared by that day's requests. Left
    out, as the scheduled pass's own figures: closing each digest (one write per admin and
    day) and its round write when the stream emails it."""
    by_name = {row.name: row.measure for row in rows}
    first, same_day = by_name[DIGEST_FIRST], by_name[DIGEST_SAME_DAY]
    n = requests_per_day

    def filing(attribute: str) -> float:
        return (getattr(first, attribute) + (n - 1) * getattr(same_day, attribute)) / n

    others = [by_name[name] for name in FLOW_STEPS if name != "stream: new request, 3 admins"]
    return Units(
        sum(m.read_units for m in others) + filing("read_units"),
        sum(m.write_units for m in others) + filing("write_units"),
        sum(m.ses_calls for m in others) + ADMINS / n,
    )


# -- the embedded-document design ---------------------------------------------------------


def _s(text: str) -> dict:
    return {"S": text}


def member_entry(number: int) -> dict:
    """One member inside the organization's record, with the fields Adhesion keeps."""
    user_id = f"o1m{number:06d}"
    return {
        "M": {
            "user_id": _s(user_id),
            "name": _s(f"User {user_id}"),
            "role": _s("editor"),
            "since": _s("2026-01-05T09:00:00.000000+0000"),
        }
    }


def request_entry(number: int) -> dict:
    """One pending request inside the organization's record."""
    user_id = f"o1r{number:06d}"
    return {
        "M": {
            "id": _s(seed.request_id(1, number)),
            "user_id": _s(user_id),
            "user_name": _s(f"User {user_id}"),
            "comment": _s(seed.COMMENT),
            "status": _s("pending"),
            "created_at": _s("2026-01-06T09:00:00.000000+0000"),
        }
    }


def organization_record(members: int, requests: int) -> dict:
    """The organization's record holding its members and requests (data.gouv.fr's udata
    keeps both lists inside the organization's document)."""
    return {
        "PK": _s(keys.org_pk(seed.org_id(1))),
        "SK": _s(keys.ORG_SK),
        "organization_id": _s(seed.org_id(1)),
        "name": _s("Organisation 1"),
        "description": _s("Données publiques"),
        "created_at": _s("2026-01-05T09:00:00.000000+0000"),
        "created_by": _s("o1m000000"),
        "members": {"L": [member_entry(i) for i in range(members)]},
        "requests": {"L": [request_entry(j) for j in range(requests)]},
    }


@dataclass(frozen=True)
class EmbeddedCase:
    members: int
    requests: int
    record_bytes: int
    units: Units | None  # None: the record exceeds DynamoDB's 400 KB item limit

    @property
    def fits(self) -> bool:
        return self.units is not None


def embedded_flow(members: int, requests: int, stream: Units) -> EmbeddedCase:
    """Ask: a consistent read of the record (is the caller a member? already pending?), then
    a conditional write of the whole record with the request appended. Accept: the same
    read, then a write moving the request to decided and adding the member. Emails: the
    stream's own costs (``stream``: round checks, profiles, ledger), minus the organization
    and admin reads the record's image makes unnecessary."""
    before = capacity.item_size(organization_record(members, requests))
    after_ask = capacity.item_size(organization_record(members, requests + 1))
    after_accept = capacity.item_size(organization_record(members + 1, requests + 1))
    if after_accept > ITEM_LIMIT:
        return EmbeddedCase(members, requests, before, None)
    read = capacity.read_units(before, capacity.STRONG) + capacity.read_units(after_ask, capacity.STRONG)
    write = capacity.size_write_units(after_ask) + capacity.size_write_units(after_accept)
    units = Units(read + stream.read, write + stream.write, stream.emails)
    return EmbeddedCase(members, requests, before, units)


def embedded_limit(members_per_request: float = 1.0) -> int:
    """How many members (with as many pending requests) fit in one 400 KB record."""
    per_pair = (
        capacity.value_size(member_entry(0))
        + 1
        + (capacity.value_size(request_entry(0)) + 1) * (1 / members_per_request)
    )
    base = capacity.item_size(organization_record(0, 0))
    return int((ITEM_LIMIT - base) // per_pair)


def stream_share(rows) -> Units:
    """The stream's part of the measured flow, minus what the embedded record's image
    would replace (the organization read and the admin query of the new-request record)."""
    by_name = {row.name: row.measure for row in rows}
    read = write = 0.0
    emails = 0
    for name in ("stream: new request, 3 admins", "stream: accepted"):
        measure = by_name[name]
        read += measure.read_units
        write += measure.write_units
        emails += measure.ses_calls
        read -= sum(call.read_units for call in measure.dynamodb() if _organization_or_admins(call))
    return Units(read, write, emails)


def _organization_or_admins(call) -> bool:
    if call.operation == "Query":
        return True
    return call.operation == "GetItem" and call.params["Key"]["SK"]["S"] == keys.ORG_SK
