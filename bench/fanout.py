"""The stream function's fan-out: one Lambda batch of 100 new requests across 10
organizations of 3 admins each, then the same batch redelivered; and an organization of
1,000 admins, of whom the earliest ``MAX_ADMIN_EMAILS`` are emailed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench import capacity, environment, seed
from bench.harness import BenchError, application
from bench.meter import WRITES, Call, Measure, Meter
from chalicelib.persistence import keys
from devstack import emulator

ORGANIZATIONS = 10
ADMINS = 3
REQUESTS_PER_ORGANIZATION = 10
MANY_ADMINS = 1000


# The ledger this one replaced, as `make bench` measured it on the batch below (commit
# 8c78248): a claim before each email, a "sent" mark after it, a round marker per record.
# Its code is gone, so its figures are kept as they were measured.
PREVIOUS_LEDGER = {"claims": 300, "sent marks": 300, "round markers": 100}
PREVIOUS_BATCH = {"DynamoDB calls": 920, "RCU": 175, "WCU": 700}

_LEDGER_READS = {"GetItem", "BatchGetItem", "TransactGetItems"}


@dataclass
class Ledger:
    """The email ledger's share of a measure: the calls on the ledger's keys, by operation."""

    operations: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0
    #: the largest item a ledger write stored, in bytes (what its write units depend on)
    largest_item: int = 0

    @property
    def writes(self) -> int:
        """Every write on a ledger key: refused conditional writes are billed too."""
        return sum(count for operation, count in self.operations.items() if operation in WRITES)

    @property
    def reads(self) -> int:
        return sum(count for operation, count in self.operations.items() if operation in _LEDGER_READS)

    def writes_text(self) -> str:
        """``300 (300 PutItem)``: how many, and of which kind."""
        kinds = ", ".join(
            f"{count} {operation}"
            for operation, count in sorted(self.operations.items())
            if operation in WRITES
        )
        return f"{self.writes} ({kinds or 'none'})"

    @classmethod
    def of(cls, measure: Measure) -> Ledger:
        ledger = cls()
        for call in measure.dynamodb():
            if not any(keys.is_round_key(key) for key in call.keys):
                continue
            ledger.operations[call.operation] += 1
            ledger.write_units += call.write_units + call.index_write_units
            if call.operation == "PutItem":
                ledger.largest_item = max(ledger.largest_item, capacity.item_size(call.params["Item"]))
        return ledger


def admin_lookups(measure: Measure) -> int:
    return sum(1 for call in measure.dynamodb() if _is_admin_lookup(call))


def _is_admin_lookup(call: Call) -> bool:
    values = call.params.get("ExpressionAttributeValues", {})
    return call.operation == "Query" and any(
        keys.is_admins_partition(value.get("S", "")) for value in values.values()
    )


@dataclass
class FanOut:
    batch: Measure
    one_by_one: Measure
    redelivery: Measure
    emails: int
    many_admins: Measure
    many_admins_recipients: list[str]
    earliest_admins: list[str]
    max_admin_emails: int
    organizations: int = ORGANIZATIONS
    records: int = ORGANIZATIONS * REQUESTS_PER_ORGANIZATION
    notes: list[str] = field(default_factory=list)


def run(issuer, meter: Meter) -> FanOut:
    from moto import mock_aws

    from chalicelib.config import get_settings

    cap = get_settings().max_admin_emails
    with mock_aws(), emulator.cheap_transaction_rollback():
        stream_arn = environment.create_stateful_resources()
        organizations = [
            seed.organization(10 + k, members=ADMINS, pending=0, admins=ADMINS)
            for k in range(2 * ORGANIZATIONS)
        ]
        crowd = seed.organization(90, members=MANY_ADMINS, pending=0, admins=MANY_ADMINS)
        emulator.put_items(environment.TABLE, [item for org in [*organizations, crowd] for item in org.items])
        with application(issuer, stream_arn) as (http, stream):

            def ask_all(orgs: list[seed.SeededOrganization], tag: str) -> list[dict]:
                # 100 different requesters, interleaved across the organizations.
                for k in range(REQUESTS_PER_ORGANIZATION):
                    for number, org in enumerate(orgs):
                        http.call(
                            "POST",
                            f"/organizations/{org.id}/membership-requests",
                            f"{tag}{number:02d}{k:02d}",
                            {"comment": "Bonjour, je souhaite rejoindre."},
                            expect=201,
                        )
                records = stream.records()
                expected = len(orgs) * REQUESTS_PER_ORGANIZATION
                if len(records) != expected:
                    raise BenchError(f"expected {expected} records, got {len(records)}")
                return records

            # One Lambda batch of 100 records, interleaved across the 10 organizations.
            records = ask_all(organizations[:ORGANIZATIONS], "fan")
            with meter.measure() as batch:
                stream.invoke(records)
            with meter.measure() as redelivery:
                stream.invoke(records)
            # The same work as 100 invocations of one record each: what every record cost
            # before lookups were shared within a batch.
            records = ask_all(organizations[ORGANIZATIONS:], "one")
            with meter.measure() as one_by_one:
                for record in records:
                    stream.invoke([record])

            http.call(
                "POST",
                f"/organizations/{crowd.id}/membership-requests",
                "crowdasker",
                {"comment": "Bonjour."},
                expect=201,
            )
            with meter.measure() as many:
                stream.deliver()
            sent = _sent_to()
    recipients = [address.split("@")[0] for address in sent[-many.ses_calls :]] if many.ses_calls else []
    return FanOut(
        batch=batch,
        one_by_one=one_by_one,
        redelivery=redelivery,
        emails=batch.ses_calls,
        many_admins=many,
        many_admins_recipients=recipients,
        earliest_admins=crowd.admins[:cap],
        max_admin_emails=cap,
    )


def _sent_to() -> list[str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    messages = ses_backends[DEFAULT_ACCOUNT_ID][environment.REGION].sent_messages
    return [message.destinations["ToAddresses"][0] for message in messages]


def summary(fan: FanOut) -> dict[str, object]:
    ledger = Ledger.of(fan.batch)
    return {
        "records": fan.records,
        "organizations": fan.organizations,
        "admin lookups": admin_lookups(fan.batch),
        "SES calls": fan.batch.ses_calls,
        "ledger writes": ledger.writes,
        "ledger reads": ledger.reads,
        "ledger writes <= emails": ledger.writes <= fan.batch.ses_calls,
        "DynamoDB calls": fan.batch.dynamodb_calls,
        "by operation": dict(Counter(fan.batch.operations())),
        "RCU": fan.batch.read_units,
        "WCU": fan.batch.write_units,
    }
