"""Organization settings over HTTP: who reads and changes them, the rules of each, and
what asking to join does under them (closed, accepted at once, pending on a schedule)."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3
import pytest

from tests.conftest import REGION, TABLE

DEFAULTS = {
    "requests_open": True,
    "request_guidance": "",
    "auto_accept_domains": [],
    "auto_accept_role": "editor",
    "request_expiry_days": 30,
    "reminder_days": [3, 7],
}


def _settings(org_id: str) -> str:
    return f"/organizations/{org_id}/settings"


def _requests(org_id: str) -> str:
    return f"/organizations/{org_id}/membership-requests"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _change(api, world, body: dict) -> dict:
    reply = api.put(_settings(world.org_id), world.admin, body)
    assert reply.status == 200, reply
    return reply.body


def _set_preferences(user_id: str, **attributes) -> None:
    """What the preferences API stores on a profile (another part's routes)."""
    names = {f"#{k}": k for k in attributes}
    values = {f":{k}": v for k, v in attributes.items()}
    boto3.client("dynamodb", region_name=REGION).update_item(
        TableName=TABLE,
        Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in attributes),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def _in_schedule(item: dict) -> bool:
    """Whether the schedule index (GSI4) holds the request item ``item`` as stored now."""
    if "GSI4PK" not in item:
        return False
    found = boto3.client("dynamodb", region_name=REGION).query(
        TableName=TABLE,
        IndexName="GSI4",
        KeyConditionExpression="GSI4PK = :pk",
        ExpressionAttributeValues={":pk": {"S": item["GSI4PK"]}},
    )["Items"]
    return any(entry["SK"]["S"] == item["SK"] for entry in found)


# -- reading and changing --------------------------------------------------------------------


def test_members_read_the_default_settings_and_how_many_admins_are_emailed(api, world):
    # GIVEN an organization whose settings were never changed
    # WHEN its editor reads them
    reply = api.get(_settings(world.org_id), world.editor)
    # THEN they are the defaults, with its one admin emailed
    assert (reply.status, reply.body) == (200, DEFAULTS | {"admins_emailed": 1, "admins_count": 1})


def test_an_admin_changes_every_setting_and_it_is_stored(api, world, item):
    # WHEN the admin sets all six
    body = _change(
        api,
        world,
        {
            "requests_open": False,
            "request_guidance": "  Say which datasets\r\nyou maintain.  ",
            "auto_accept_domains": ["Data.Gouv.FR", "beta.gouv.fr", "data.gouv.fr"],
            "auto_accept_role": "admin",
            "request_expiry_days": 14,
            "reminder_days": [10, 2],
        },
    )
    # THEN the answer says what is stored: text trimmed and normalized, domains lower-case
    # without repeats, reminders in order
    expected = {
        "requests_open": False,
        "request_guidance": "Say which datasets\nyou maintain.",
        "auto_accept_domains": ["beta.gouv.fr", "data.gouv.fr"],
        "auto_accept_role": "admin",
        "request_expiry_days": 14,
        "reminder_days": [2, 10],
    }
    assert body == expected | {"admins_emailed": 1, "admins_count": 1}
    assert api.get(_settings(world.org_id), world.editor).body == body
    stored = item(f"ORG#{world.org_id}", "ORG")
    assert stored["requests_open"] is False
    assert stored["request_guidance"] == "Say which datasets\nyou maintain."
    assert sorted(stored["auto_accept_domains"]) == ["beta.gouv.fr", "data.gouv.fr"]
    assert (stored["auto_accept_role"], stored["request_expiry_days"]) == ("admin", "14")
    assert [day["N"] for day in stored["reminder_days"]] == ["2", "10"]
    assert stored["settings_version"] == "1"


def test_a_change_keeps_the_settings_it_does_not_name(api, world, item):
    # GIVEN settings changed once
    _change(api, world, {"request_guidance": "Hello", "auto_accept_domains": ["data.gouv.fr"]})
    # WHEN the admin changes only the expiry, then clears the domains and the guidance
    after_expiry = _change(api, world, {"request_expiry_days": 60})
    cleared = _change(api, world, {"auto_accept_domains": [], "request_guidance": ""})
    # THEN each change kept the others, and each counted one more version
    assert after_expiry == DEFAULTS | {
        "request_guidance": "Hello",
        "auto_accept_domains": ["data.gouv.fr"],
        "request_expiry_days": 60,
        "admins_emailed": 1,
        "admins_count": 1,
    }
    assert cleared == DEFAULTS | {"request_expiry_days": 60, "admins_emailed": 1, "admins_count": 1}
    stored = item(f"ORG#{world.org_id}", "ORG")
    assert stored["settings_version"] == "3"
    assert "auto_accept_domains" not in stored and "request_guidance" not in stored


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"owner": "me"}, "Unknown field: owner."),
        ({"requests_open": "false"}, "requests_open must be true or false."),
        ({"requests_open": None}, "requests_open must be true or false."),
        ({"request_guidance": "x" * 1001}, "request_guidance must be at most 1000 characters."),
        (
            {"request_guidance": "bidi \u202e"},
            "request_guidance contains a character that is not allowed (U+202E).",
        ),
        ({"auto_accept_domains": "data.gouv.fr"}, "auto_accept_domains must be a list."),
        (
            {"auto_accept_domains": [f"d{i}.fr" for i in range(21)]},
            "auto_accept_domains must have at most 20 items.",
        ),
        (
            {"auto_accept_domains": ["localhost"]},
            "auto_accept_domains[0] contains characters that are not allowed.",
        ),
        (
            {"auto_accept_domains": ["ok.fr", "exämple.org"]},
            "auto_accept_domains[1] contains characters that are not allowed.",
        ),
        (
            {"auto_accept_domains": ["@data.gouv.fr"]},
            "auto_accept_domains[0] contains characters that are not allowed.",
        ),
        (
            {"auto_accept_domains": ["-data.gouv.fr"]},
            "auto_accept_domains[0] contains characters that are not allowed.",
        ),
        (
            {"auto_accept_domains": ["data..gouv.fr"]},
            "auto_accept_domains[0] contains characters that are not allowed.",
        ),
        (
            {"auto_accept_domains": [("a" * 63 + ".") * 4 + "fr"]},
            "auto_accept_domains[0] must be at most 253 characters.",
        ),
        ({"auto_accept_domains": [7]}, "auto_accept_domains[0] must be a string."),
        # JSON Schema's "$" ends the text: no line feed after the name.
        (
            {"auto_accept_domains": ["data.gouv.fr\n"]},
            "auto_accept_domains[0] contains characters that are not allowed.",
        ),
        ({"auto_accept_role": "owner"}, "auto_accept_role must be one of: admin, editor."),
        ({"request_expiry_days": 0}, "request_expiry_days must be from 1 to 365."),
        ({"request_expiry_days": 366}, "request_expiry_days must be from 1 to 365."),
        ({"request_expiry_days": 30.5}, "request_expiry_days must be an integer."),
        ({"request_expiry_days": "30"}, "request_expiry_days must be an integer."),
        ({"request_expiry_days": True}, "request_expiry_days must be an integer."),
        ({"reminder_days": [1, 2, 3, 4]}, "reminder_days must have at most 3 items."),
        ({"reminder_days": [3, 3]}, "reminder_days must not repeat an item."),
        ({"reminder_days": [0]}, "reminder_days[0] must be from 1 to 364."),
        ({"reminder_days": [365]}, "reminder_days[0] must be from 1 to 364."),
        ({"reminder_days": 3}, "reminder_days must be a list."),
        # Between fields: the reminders come before the expiry, as changed or as stored.
        ({"request_expiry_days": 5}, "reminder_days must each be below request_expiry_days (5): 7 is not."),
        ({"reminder_days": [30]}, "reminder_days must each be below request_expiry_days (30): 30 is not."),
        (
            {"request_expiry_days": 10, "reminder_days": [2, 10]},
            "reminder_days must each be below request_expiry_days (10): 10 is not.",
        ),
    ],
)
def test_a_setting_out_of_its_rules_is_refused_and_nothing_is_written(api, world, items, body, message):
    # GIVEN the table as it is
    before = items()
    # WHEN the admin sends a bad change
    reply = api.put(_settings(world.org_id), world.admin, body)
    # THEN it is refused, saying why, and nothing changed
    assert (reply.status, reply.body) == (400, {"code": "invalid_request", "message": message})
    assert items() == before


@pytest.mark.parametrize("raw", ['["requests_open"]', "", "  ", "null"])
def test_a_body_that_is_no_object_is_refused(api, world, items, raw):
    # WHEN the admin sends a list, no body at all, or null
    before = items()
    reply = api.call("PUT", _settings(world.org_id), world.admin, raw=raw)
    # THEN it is refused, and nothing was written (an empty object changes nothing, but is one)
    assert reply.status == 400
    assert reply.body == {"code": "invalid_request", "message": "The body must be a JSON object."}
    assert items() == before


def test_only_admins_change_the_settings_and_only_members_read_them(api, world, items):
    # GIVEN the table as it is
    before = items()
    # WHEN the editor tries to close requests, and the requester and an outsider read
    editing = api.put(_settings(world.org_id), world.editor, {"requests_open": False})
    reading = [api.get(_settings(world.org_id), user) for user in (world.requester, world.outsider)]
    # THEN all are refused, and nothing was written
    for reply in [editing, *reading]:
        assert (reply.status, reply.body["code"]) == (403, "forbidden")
    assert items() == before
    # AND the editor still sees the settings unchanged
    assert api.get(_settings(world.org_id), world.editor).body["requests_open"] is True


def test_an_admin_demoted_after_reading_is_refused_inside_the_transaction(api, world, container, items):
    # GIVEN the admin's membership read as admin, then demoted before the write
    repository = container.repository
    read = repository.get_organization_with_membership

    def read_then_demote(org_id, user_id):
        found = read(org_id, user_id)
        boto3.client("dynamodb", region_name=REGION).update_item(
            TableName=TABLE,
            Key={"PK": {"S": f"ORG#{world.org_id}"}, "SK": {"S": f"MEMBER#{world.admin.sub}"}},
            UpdateExpression="SET #r = :editor",
            ExpressionAttributeNames={"#r": "role"},
            ExpressionAttributeValues={":editor": {"S": "editor"}},
        )
        return found

    repository.get_organization_with_membership = read_then_demote
    before = [entry for entry in items() if entry["SK"]["S"] == "ORG"]
    # WHEN the change is sent
    reply = api.put(_settings(world.org_id), world.admin, {"requests_open": False})
    # THEN the transaction refuses it, and the organization is unchanged
    assert (reply.status, reply.body["code"]) == (403, "forbidden")
    assert [entry for entry in items() if entry["SK"]["S"] == "ORG"] == before


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_settings_of_an_unknown_organization_are_not_found(api, world, items, method):
    before = items()
    for org_id in ("f" * 32, "not-an-id"):
        reply = api.call(method, _settings(org_id), world.admin, body={"requests_open": False})
        assert (reply.status, reply.body["code"]) == (404, "organization_not_found")
    assert items() == before


def test_admins_who_turned_admin_emails_off_or_muted_the_organization_are_not_counted(
    api, world, flows, make_user
):
    # GIVEN four admins: Alice (immediate), Fanny (daily digest), Gus (off), Hugo (muted it)
    for name in ("fanny", "gus", "hugo"):
        flows.member(world.admin, make_user(name), world.org_id, "admin")
    _set_preferences("fanny", admin_emails={"S": "daily_digest"})
    _set_preferences("gus", admin_emails={"S": "off"})
    _set_preferences("hugo", muted_organizations={"SS": [world.org_id, "0" * 32]})
    # WHEN a member reads the settings
    body = api.get(_settings(world.org_id), world.editor).body
    # THEN two of the four admins are emailed
    assert (body["admins_emailed"], body["admins_count"]) == (2, 4)
    # AND when the last two turn emails off, none is: the console warns of it
    _set_preferences(world.admin.sub, admin_emails={"S": "off"})
    _set_preferences("fanny", muted_organizations={"SS": [world.org_id]})
    assert api.get(_settings(world.org_id), world.editor).body["admins_emailed"] == 0


def test_everyone_signed_in_sees_whether_requests_are_open_and_the_guidance(api, world):
    # GIVEN requests closed, with a guidance
    _change(api, world, {"requests_open": False, "request_guidance": "Write to us first."})
    # WHEN an outsider looks at the organization
    body = api.get(f"/organizations/{world.org_id}", world.outsider).body
    # THEN the dialog has what it needs
    assert (body["requests_open"], body["request_guidance"]) == (False, "Write to us first.")


# -- asking under the settings -----------------------------------------------------------


def test_asking_a_closed_organization_is_refused_and_writes_nothing(api, world, items, make_user):
    # GIVEN requests closed
    _change(api, world, {"requests_open": False})
    paul = make_user("paul")
    before = items()
    # WHEN a user asks to join
    reply = api.post(_requests(world.org_id), paul, {"comment": "Hello"})
    # THEN it is refused as closed, and nothing was written
    assert reply.status == 403
    assert reply.body == {
        "code": "requests_closed",
        "message": "This organization does not take membership requests at the moment.",
    }
    assert items() == before
    # AND once reopened, the same user may ask
    _change(api, world, {"requests_open": True})
    assert api.post(_requests(world.org_id), paul, {"comment": "Hello"}).status == 201


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_a_verified_address_of_an_auto_accepted_domain_joins_at_once(
    api, world, make_user, item, stream, aws, role
):
    # GIVEN data.gouv.fr auto-accepted with a role, and the emails of earlier requests sent
    _change(api, world, {"auto_accept_domains": ["data.gouv.fr"], "auto_accept_role": role})
    stream.deliver()
    paul = make_user("paul", name="Paul Petit", email="Paul.Petit@Data.Gouv.FR")
    # WHEN Paul, whose token says his address is verified, asks to join
    reply = api.post(_requests(world.org_id), paul, {"comment": "Hello"})
    # THEN his request is accepted at once, with the organization's role
    assert reply.status == 201
    body = reply.body
    assert body == {
        "id": body["id"],
        "organization_id": world.org_id,
        "user": {"id": "paul", "name": "Paul Petit"},
        "comment": "Hello",
        "status": "accepted",
        "role": role,
        "reason": None,
        "created_at": body["created_at"],
        "decided_at": body["created_at"],
        "decided_by": None,
        "expires_at": None,
        "auto_accepted": True,
    }
    assert reply.headers["Location"].endswith(
        f"/organizations/{world.org_id}/membership-requests/{body['id']}"
    )
    # AND he is a member, counted, with no pending lock, counter or schedule entry
    org_pk = f"ORG#{world.org_id}"
    assert item(org_pk, "MEMBER#paul")["role"] == role
    assert item(org_pk, "PENDING#paul") is None
    organization = item(org_pk, "ORG")
    admins = "2" if role == "admin" else "1"
    assert (organization["members_count"], organization["admins_count"], organization["pending_count"]) == (
        "3",
        admins,
        "1",
    )
    assert item("USER#paul", "PROFILE").get("pending_count", "0") == "0"
    stored = item(org_pk, f"REQ#{body['id']}")
    assert (stored["status"], stored["auto_accepted"], stored["GSI1PK"]) == (
        "accepted",
        True,
        f"ORG#{world.org_id}#REQ#accepted",
    )
    assert "GSI4PK" not in stored and "expires_at" not in stored
    # AND the organization and his requests say so
    assert api.get(f"/organizations/{world.org_id}", paul).body["my_role"] == role
    mine = api.get("/me/membership-requests?status=accepted", paul).body["items"]
    assert [(r["id"], r["auto_accepted"]) for r in mine] == [(body["id"], True)]
    # AND the stream emails him nothing: the answer told him
    already = len(aws.emails())
    stream.deliver()
    assert [
        m for m in aws.emails()[already:] if "Paul.Petit@Data.Gouv.FR" in m.destinations["ToAddresses"]
    ] == []


def test_an_unverified_address_of_an_auto_accepted_domain_is_not_accepted(api, world, make_user, items):
    # GIVEN data.gouv.fr auto-accepted
    _change(api, world, {"auto_accept_domains": ["data.gouv.fr"]})
    before = items()
    # WHEN a caller whose token does not vouch for the address asks
    mallory = make_user("mallory", email="mallory@data.gouv.fr", email_verified=False)
    reply = api.post(_requests(world.org_id), mallory, {"comment": "Let me in"})
    # THEN she is neither accepted nor even pending: nothing was written
    assert (reply.status, reply.body["code"]) == (403, "email_not_verified")
    assert items() == before


@pytest.mark.parametrize(
    ("listed", "email"),
    [
        (["data.gouv.fr"], "paul@example.org"),
        (["data.gouv.fr"], "paul@sub.data.gouv.fr"),
        (["data.gouv.fr"], "paul@gouv.fr"),
        (["data.gouv.fr"], "paul@data.gouv.fr.evil.example"),
        (["sub.data.gouv.fr"], "paul@data.gouv.fr"),
    ],
)
def test_an_address_of_another_domain_asks_as_usual(api, world, make_user, item, listed, email):
    # GIVEN some domains auto-accepted
    _change(api, world, {"auto_accept_domains": listed})
    # WHEN a caller of another domain (a subdomain, a parent, a look-alike) asks
    reply = api.post(_requests(world.org_id), make_user("paul", email=email), {"comment": "Hello"})
    # THEN the request is pending, as always
    assert (reply.status, reply.body["status"], reply.body["auto_accepted"]) == (201, "pending", False)
    assert item(f"ORG#{world.org_id}", "MEMBER#paul") is None
    assert item(f"ORG#{world.org_id}", "PENDING#paul")["request_id"] == reply.body["id"]


def test_a_listed_subdomain_is_accepted(api, world, make_user):
    _change(api, world, {"auto_accept_domains": ["data.gouv.fr", "sub.data.gouv.fr"]})
    reply = api.post(
        _requests(world.org_id), make_user("paul", email="paul@sub.data.gouv.fr"), {"comment": "Hi"}
    )
    assert (reply.status, reply.body["status"], reply.body["auto_accepted"]) == (201, "accepted", True)


def test_a_member_of_an_auto_accepted_domain_is_still_already_a_member(api, world, items):
    # GIVEN example.org (the editor's domain) auto-accepted
    _change(api, world, {"auto_accept_domains": ["example.org"]})
    before = items()
    # WHEN the editor asks again
    reply = api.post(_requests(world.org_id), world.editor, {"comment": "Again"})
    # THEN it is refused, and nothing was written
    assert (reply.status, reply.body["code"]) == (409, "already_member")
    assert items() == before


def test_a_new_pending_request_gets_its_schedule_from_the_settings(api, world, make_user, item):
    # GIVEN requests that expire after 10 days, with reminders after 2 and 9
    _change(api, world, {"request_expiry_days": 10, "reminder_days": [9, 2]})
    # WHEN a user asks
    body = api.post(_requests(world.org_id), make_user("paul"), {"comment": "Hello"}).body
    # THEN the request expires 10 days after it was made
    created = _instant(body["created_at"])
    assert _instant(body["expires_at"]) == created + timedelta(days=10)
    # AND it is stored with its schedule, due first at its first reminder, in the schedule index
    stored = item(f"ORG#{world.org_id}", f"REQ#{body['id']}")
    assert _instant(stored["expires_at"]) == _instant(stored["created_at"]) + timedelta(days=10)
    assert ([day["N"] for day in stored["reminder_days"]], stored["reminders_sent"]) == (["2", "9"], "0")
    first_reminder = _instant(stored["created_at"]) + timedelta(days=2)
    assert stored["GSI4PK"] == f"DUE#{first_reminder.date().isoformat()}"
    assert stored["GSI4SK"].endswith(f"#REQ#{body['id']}")
    assert _instant(stored["GSI4SK"].split("#")[0]) == first_reminder
    assert _in_schedule(stored)


def test_a_request_made_before_a_settings_change_keeps_its_schedule(api, world, make_user, item):
    # GIVEN a request made under the default 30 days
    body = api.post(_requests(world.org_id), make_user("paul"), {"comment": "Hello"}).body
    # WHEN the admins shorten the expiry
    _change(api, world, {"request_expiry_days": 5, "reminder_days": [1]})
    # THEN the request still expires 30 days after it was made
    again = api.get(f"{_requests(world.org_id)}/{body['id']}", world.admin).body
    assert _instant(again["expires_at"]) - _instant(again["created_at"]) == timedelta(days=30)
    assert item(f"ORG#{world.org_id}", f"REQ#{body['id']}")["GSI4PK"] == body_due_day(body, 3)


def body_due_day(body: dict, days: int) -> str:
    return f"DUE#{(_instant(body['created_at']) + timedelta(days=days)).date().isoformat()}"


@pytest.mark.parametrize("closing", ["accept", "refuse", "withdraw"])
def test_a_closed_request_leaves_the_schedule(api, world, make_user, item, closing):
    # GIVEN a pending request in the schedule
    paul = make_user("paul")
    body = api.post(_requests(world.org_id), paul, {"comment": "Hello"}).body
    path = f"{_requests(world.org_id)}/{body['id']}"
    assert _in_schedule(item(f"ORG#{world.org_id}", f"REQ#{body['id']}"))
    # WHEN it is accepted, refused or withdrawn
    if closing == "withdraw":
        reply = api.delete(path, paul)
    else:
        reply = api.post(f"{path}/{closing}", world.admin, {})
    assert reply.status == 200, reply
    # THEN it is no longer in the schedule, but keeps its expiry for the record
    stored = item(f"ORG#{world.org_id}", f"REQ#{body['id']}")
    assert "GSI4PK" not in stored and "GSI4SK" not in stored
    assert not _in_schedule(stored | {"GSI4PK": body_due_day(body, 3)})
    assert reply.body["request"]["expires_at"] == body["expires_at"]


def test_the_listings_filter_expired_requests(api, world):
    # GIVEN no request expired yet; WHEN the expired ones are listed
    mine = api.get("/me/membership-requests?status=expired", world.requester)
    theirs = api.get(f"{_requests(world.org_id)}?status=expired", world.admin)
    # THEN both listings take the status, and are empty
    assert (mine.status, mine.body["items"], theirs.status, theirs.body["items"]) == (200, [], 200, [])
    # AND an unknown status names every one
    reply = api.get("/me/membership-requests?status=lost", world.requester)
    assert reply.body == {
        "code": "invalid_request",
        "message": "status must be one of pending, accepted, refused, withdrawn, expired.",
    }


# -- races on the settings ----------------------------------------------------------------


def _changing_settings_after_each_read(container, world, changes: list[dict]):
    """Make the repository's organization read followed, each time, by an admin's change
    of the settings (the next of ``changes``), as if it came in between."""
    repository = container.repository
    read = repository.get_organization
    pending = list(changes)

    def read_then_change(org_id, consistent=False):
        found = read(org_id, consistent=consistent)
        if pending:
            from chalicelib.domain import Caller

            admin = Caller(world.admin.sub, world.admin.name, world.admin.email, "fr", True)
            container.organizations.change_settings(admin, org_id, pending.pop(0))
        return found

    repository.get_organization = read_then_change
    return pending


def test_asking_while_requests_are_closed_meanwhile_is_refused_on_the_second_read(
    api, world, container, make_user, items, item
):
    # GIVEN requests open when read, closed by an admin just after
    _changing_settings_after_each_read(container, world, [{"requests_open": False}])
    # WHEN a user asks
    reply = api.post(_requests(world.org_id), make_user("paul"), {"comment": "Hello"})
    # THEN the transaction saw the settings change, the ask read them again: closed
    assert (reply.status, reply.body["code"]) == (403, "requests_closed")
    assert item(f"ORG#{world.org_id}", "PENDING#paul") is None
    assert item(f"ORG#{world.org_id}", "ORG")["pending_count"] == "1"


def test_asking_while_the_settings_keep_changing_is_a_conflict_and_writes_nothing(
    api, world, container, make_user, item
):
    # GIVEN settings changed after each of the two reads
    changes = [{"request_guidance": "One"}, {"request_guidance": "Two"}]
    left = _changing_settings_after_each_read(container, world, changes)
    # WHEN a user asks
    reply = api.post(_requests(world.org_id), make_user("paul"), {"comment": "Hello"})
    # THEN after two tries it is a conflict, and no request was written
    assert (reply.status, reply.body["code"]) == (409, "conflict")
    assert left == []
    assert item(f"ORG#{world.org_id}", "PENDING#paul") is None
    assert item("USER#paul", "PROFILE") is None


def test_two_admins_changing_settings_at_once_both_apply(api, world, container, flows, make_user):
    # GIVEN a second admin, whose change comes in between Alice's read and write
    fanny = make_user("fanny")
    flows.member(world.admin, fanny, world.org_id, "admin")
    repository = container.repository
    read = repository.get_organization_with_membership
    sneaked = []

    def read_then_fanny(org_id, user_id):
        found = read(org_id, user_id)
        if user_id == world.admin.sub and not sneaked:
            sneaked.append(api.put(_settings(org_id), fanny, {"request_guidance": "Fanny's"}))
        return found

    repository.get_organization_with_membership = read_then_fanny
    # WHEN Alice changes the expiry
    body = _change(api, world, {"request_expiry_days": 45})
    # THEN Alice's change was made over Fanny's, not over what Alice first read
    assert sneaked[0].status == 200
    assert (body["request_guidance"], body["request_expiry_days"]) == ("Fanny's", 45)
