"""The rig of the reliability suite: the app's own stream function and notifier on moto,
behind a simulated event source mapping, with a fake clock so that backoffs and time
budgets cost no real time."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import REGION

#: The template of each transition's emails (every person of the rig reads English).
TEMPLATES = {"requested": "request_created", "accepted": "request_accepted", "refused": "request_refused"}


def pytest_terminal_summary(terminalreporter):
    from tests.reliability.harness import FIGURES

    if FIGURES:
        terminalreporter.section("reliability figures: emails expected vs sent vs duplicated")
        for figures in FIGURES:
            terminalreporter.write_line(figures.line())


@dataclass(frozen=True)
class Person:
    user_id: str
    email: str

    @property
    def caller(self):
        from chalicelib.domain import Caller

        return Caller(self.user_id, self.user_id.title(), self.email, "en", email_verified=True)


class Rig:
    """One simulated Lambda container at a time (``restart()`` is a new process: its
    memory is gone, the table, stream, queue and SES are not)."""

    def __init__(self, aws, container) -> None:
        import boto3

        from devstack.fakes import FakeSleep, RecordingMetrics
        from tests.reliability.harness import NewClients

        # Every process's DynamoDB clients, created on first use: where ledger faults go.
        self.dynamodb_clients = NewClients("dynamodb").install()
        self.aws = aws
        self.first = container
        self.clock = FakeSleep(start=1_700_000_000.0)
        self.metrics = RecordingMetrics()
        self.ses = container.aws.sesv2
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.queue_url = self.sqs.create_queue(QueueName="adhesion-test-notify-failures")["QueueUrl"]
        self.streams = container.aws.dynamodbstreams
        self.budget_seconds = 300.0
        self._ids = itertools.count(1)
        self._organization_names: dict[str, str] = {}
        self.mailer_wrapper = None
        self.ledger_wrapper = None
        self.process = self._new_process()
        self.baseline = 0
        self.faults: list = []

    # -- processes ------------------------------------------------------------------------

    def _new_process(self, time=None):
        """A new container; ``time`` (sleep and clock) defaults to the rig's fake clock."""
        from chalicelib.bootstrap import Container
        from chalicelib.persistence.email_ledger import PynamoEmailLedger

        time = time or self.clock
        process = Container(self.first.settings)
        process.aws.__dict__["sesv2"] = self.ses
        process.sleep = time
        process.metrics = self.metrics
        ledger = PynamoEmailLedger(process.aws.tables.rounds, 48 * 3600, clock=time.clock)
        process.email_ledger = self.ledger_wrapper(ledger) if self.ledger_wrapper else ledger
        if self.mailer_wrapper:
            process.mailer = self.mailer_wrapper(process.mailer)
        return process

    def restart(self) -> None:
        self.process = self._new_process()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """The stream function, given the function's whole timeout on the fake clock."""
        from chalicelib.stream import process_records
        from tests.reliability.harness import ProcessKilled

        started = self.clock.now
        try:
            return process_records(
                event,
                self.process.notifier,
                time_left=lambda: self.budget_seconds - (self.clock.now - started),
            )
        except ProcessKilled:
            self.restart()  # Lambda starts a new container; this one's memory is gone
            raise

    @functools.cached_property
    def reader(self):
        from devstack.streams import StreamReader

        return StreamReader(self.streams, self.aws.stream_arn)

    def mapping(self, maximum_retry_attempts: int = 5, batch_size: int = 100, invoke=None):
        from tests.reliability.harness import EventSourceMapping

        shard = self.streams.describe_stream(StreamArn=self.aws.stream_arn)["StreamDescription"]["Shards"][0][
            "ShardId"
        ]
        return EventSourceMapping(
            self.reader,
            invoke or self.invoke,
            self.sqs,
            self.queue_url,
            self.aws.stream_arn,
            shard,
            batch_size=batch_size,
            maximum_retry_attempts=maximum_retry_attempts,
        )

    # -- faults ---------------------------------------------------------------------------

    def ses_faults(self, plan):
        """Fault injection on SES v2 SendEmail (the real adapter sees botocore errors)."""
        from tests.reliability.harness import Faults

        self.faults.append(Faults(self.ses, "SendEmail", plan))
        return self.faults[-1]

    def ledger_faults(self, operation: str, plan):
        """Fault injection on the ledger's DynamoDB calls (PutItem: writes of a round;
        GetItem: reads), in this process and the ones that follow a restart."""
        from tests.reliability.harness import Faults, on_ledger_items

        faults = Faults(None, operation, plan, where=on_ledger_items)
        self.dynamodb_clients.each(faults.attach)
        self.faults.append(faults)
        return faults

    def close(self) -> None:
        for fault in self.faults:
            fault.close()
        self.faults.clear()
        self.dynamodb_clients.uninstall()

    # -- data -----------------------------------------------------------------------------

    def person(self, prefix: str) -> Person:
        user_id = f"{prefix}{next(self._ids)}"
        return Person(user_id, f"{user_id}@example.org")

    def organization(self, admins: int = 3) -> tuple[str, list[Person]]:
        """An organization with ``admins`` admins, its setup emails already delivered."""
        from chalicelib.domain import Role

        people = [self.person("admin") for _ in range(admins)]
        services = self.first
        view = services.organizations.create(people[0].caller, f"Org {people[0].user_id}", "")
        org_id = view.organization.id
        self._organization_names[org_id] = view.organization.name
        for admin in people[1:]:
            request = services.membership_requests.ask(admin.caller, org_id, "Co-admin")
            services.membership_requests.accept(people[0].caller, org_id, request.id, Role.ADMIN)
        self.settle()
        return org_id, people

    def ask(self, org_id: str, requester: Person | None = None, comment: str = "Let me in"):
        requester = requester or self.person("user")
        return requester, self.first.membership_requests.ask(requester.caller, org_id, comment)

    def decide(self, admin: Person, org_id: str, request_id: str, accept: bool = True):
        from chalicelib.domain import Role

        service = self.first.membership_requests
        if accept:
            return service.accept(admin.caller, org_id, request_id, Role.EDITOR)
        return service.refuse(admin.caller, org_id, request_id, "No")

    def settle(self) -> None:
        """Skip the setup's records (their emails are not what the scenario is about) and
        start counting emails and metrics from here."""
        self.reader.read()
        self._settled_at = self.reader.position()
        self.settle_counts()

    def rewind(self) -> None:
        """Make the stream deliver again everything written since the last ``settle``."""
        self.reader.seek(self._settled_at)

    def settle_counts(self) -> None:
        """Count emails and metrics from here on."""
        self.baseline = len(self.aws.emails())
        self.metrics.counts.clear()

    # -- emails ---------------------------------------------------------------------------

    def sent(self) -> list:
        return self.aws.emails()[self.baseline :]

    def subject(self, transition: str, org_id: str) -> str:
        from chalicelib.mail import rendering

        return rendering.subject(TEMPLATES[transition], "en", self._organization_names[org_id])

    def round_of(self, request, admins: list[Person]) -> list[tuple[str, str, str]]:
        subject = self.subject("requested", request.organization_id)
        return [(admin.email, subject, request.id) for admin in admins]

    def outcome_of(self, request, requester: Person, accepted: bool = True) -> list[tuple[str, str, str]]:
        subject = self.subject("accepted" if accepted else "refused", request.organization_id)
        return [(requester.email, subject, request.organization_id)]

    def tally(self, scenario: str, expected: list[tuple[str, str, str]], **notes):
        """Figures for the emails sent since the baseline; identity = (to, subject, the
        request id or organization id the body names)."""
        from tests.reliability.harness import FIGURES, Figures, count_emails

        sent = []
        for message in self.sent():
            to = message.destinations["ToAddresses"][0]
            ref = next(
                (
                    ref
                    for (e_to, e_subject, ref) in expected
                    if (e_to, e_subject) == (to, message.subject) and ref in message.body
                ),
                "?",
            )
            sent.append((to, message.subject, ref))
        figures = Figures(scenario, *count_emails(expected, sent), notes=notes)
        FIGURES.append(figures)
        return figures

    def ledger_round(self, request_id: str, transition: str = "requested") -> dict[str, Any] | None:
        """The round's ledger item as stored, in plain Python (sets, dicts, bools)."""
        import boto3
        from boto3.dynamodb.types import TypeDeserializer

        from tests.conftest import TABLE

        item = (
            boto3.client("dynamodb", region_name=REGION)
            .get_item(
                TableName=TABLE,
                ConsistentRead=True,
                Key={"PK": {"S": f"EMAIL#{request_id}#{transition}"}, "SK": {"S": "ROUND"}},
            )
            .get("Item")
        )
        return (
            None
            if item is None
            else {key: TypeDeserializer().deserialize(value) for key, value in item.items()}
        )

    def queue_depth(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )


@pytest.fixture
def rig(aws, container):
    rig = Rig(aws, container)
    yield rig
    rig.close()
