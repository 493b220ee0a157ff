"""Small builders of test data through the public API, so tests state intent, not plumbing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3


@dataclass(frozen=True)
class User:
    """A signed-in user as the tests call the API: who they are, and their token."""

    sub: str
    name: str
    email: str
    locale: str
    token: str


def table_items(region: str, table: str) -> list[dict[str, Any]]:
    """Every item of the table, sorted: the before/after picture for 'nothing changed'.
    (A scan is fine in a test; the application itself never scans.)"""
    client = boto3.client("dynamodb", region_name=region)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


def stored(region: str, table: str, pk: str, sk: str) -> dict[str, Any] | None:
    item = (
        boto3.client("dynamodb", region_name=region)
        .get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True)
        .get("Item")
    )
    if item is None:
        return None
    return {key: next(iter(value.values())) for key, value in item.items()}


class Flows:
    """The seed flow's steps, each asserting it succeeded."""

    def __init__(self, api) -> None:
        self.api = api

    def organization(self, admin: User, name: str = "Etalab", description: str = "") -> str:
        reply = self.api.post("/organizations", admin, {"name": name, "description": description})
        assert reply.status == 201, reply
        return reply.body["id"]

    def ask(self, user: User, org_id: str, comment: str = "I publish open data.") -> dict:
        reply = self.api.post(f"/organizations/{org_id}/membership-requests", user, {"comment": comment})
        assert reply.status == 201, reply
        return reply.body

    def accept(self, admin: User, org_id: str, request_id: str, role: str = "editor") -> dict:
        reply = self.api.post(
            f"/organizations/{org_id}/membership-requests/{request_id}/accept", admin, {"role": role}
        )
        assert reply.status == 200, reply
        return reply.body

    def refuse(self, admin: User, org_id: str, request_id: str, reason: str | None = None) -> dict:
        body = {} if reason is None else {"reason": reason}
        reply = self.api.post(f"/organizations/{org_id}/membership-requests/{request_id}/refuse", admin, body)
        assert reply.status == 200, reply
        return reply.body

    def member(self, admin: User, user: User, org_id: str, role: str = "editor") -> None:
        request = self.ask(user, org_id)
        self.accept(admin, org_id, request["id"], role)


@dataclass
class World:
    """One organization with an admin, an editor and a pending request; an outsider;
    and a second organization with its own admin."""

    org_id: str
    other_org_id: str
    admin: User
    editor: User
    requester: User
    outsider: User
    other_admin: User
    request: dict
    other_request: dict


def build_world(flows: Flows, make_user) -> World:
    admin = make_user("alice", locale="en", name="Alice Admin")
    editor = make_user("erin", name="Erin Editor")
    requester = make_user("rita", name="Rita Requester")
    outsider = make_user("oscar", name="Oscar Outsider")
    other_admin = make_user("zoe", name="Zoe Elsewhere")
    org_id = flows.organization(admin, "Etalab", "Open data team")
    other_org_id = flows.organization(other_admin, "Other org")
    flows.member(admin, editor, org_id, "editor")
    request = flows.ask(requester, org_id, "I maintain the address datasets.")
    other_request = flows.ask(outsider, other_org_id, "Let me in elsewhere.")
    return World(
        org_id, other_org_id, admin, editor, requester, outsider, other_admin, request, other_request
    )
