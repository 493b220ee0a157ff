"""Issue 15's pieces together, through the API: an admin's preferences, the
organization's settings, the stream's fan-out and the scheduled pass, on moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.persistence import keys


def test_a_digest_admin_gets_one_email_a_day_listing_new_and_automatic_members(lifecycle, flows):
    # GIVEN Etalab with two admins: Alice on a daily digest, Bob emailed at once; and
    # addresses at data.example accepted automatically as editors
    alice, bob = lifecycle.user("alice", "en"), lifecycle.user("bob", "en")
    org_id = lifecycle.organization("Etalab", alice, bob)
    api = flows.api
    reply = api.put("/me/preferences", alice, {"admin_emails": "daily_digest"})
    assert reply.status == 200 and reply.body["admin_emails"] == "daily_digest", reply
    reply = api.put(f"/organizations/{org_id}/settings", bob, {"auto_accept_domains": ["data.example"]})
    assert reply.status == 200 and reply.body["auto_accept_domains"] == ["data.example"], reply
    lifecycle.emails()

    # WHEN Nora and Paul ask to join, and Carl, whose verified address is at data.example
    nora, paul = lifecycle.user("nora"), lifecycle.user("paul")
    carl = lifecycle.make_user("carl", name="Carl Test", email="carl@data.example")
    nora_request = flows.ask(nora, org_id)["id"]
    flows.ask(paul, org_id)
    carl_request = flows.ask(carl, org_id)
    asked_at = datetime.now(UTC)

    # THEN Carl is a member at once, and only Bob is emailed, once per pending request
    assert (carl_request["status"], carl_request["auto_accepted"], carl_request["role"]) == (
        "accepted",
        True,
        "editor",
    )
    emails = lifecycle.emails()
    assert sorted(email.to for email in emails) == [bob.email, bob.email]
    # AND Alice's digest holds the three, once each, although the stream redelivers
    lifecycle.stream.deliver()
    due = asked_at.replace(hour=6, minute=0, second=0, microsecond=0)
    due += timedelta(days=1) if due <= asked_at else timedelta(0)
    digest = lifecycle.item(keys.notice_pk(alice.sub), keys.notice_sk("DIGEST", due.date().isoformat()))
    assert digest["status"] == "open" and len(digest["entries"]) == 3
    kinds = {key: entry["M"]["kind"]["S"] for key, entry in digest["entries"].items()}
    assert kinds[f"{org_id}#{nora_request}"] == "new"
    assert kinds[f"{org_id}#{carl_request['id']}"] == "auto_accepted"

    # WHEN passes run before the digest hour, then after it
    assert lifecycle.run(due - timedelta(minutes=5)).closed == 0
    assert lifecycle.emails() == []
    lifecycle.run(due + timedelta(minutes=5))

    # THEN Alice gets one digest listing the two pending requests and Carl's arrival, and
    # Bob one listing Carl's arrival only (he was emailed the others as they came)
    by_recipient = {email.to: email for email in lifecycle.emails()}
    assert sorted(by_recipient) == sorted([alice.email, bob.email])
    alices = by_recipient[alice.email]
    assert alices.subject.startswith("Today's new membership requests")
    for name in ("Nora", "Paul", "Carl Test"):
        assert name in alices.body
    assert "Carl Test" in by_recipient[bob.email].body and "Nora" not in by_recipient[bob.email].body
    # AND a later pass the same day sends nothing more
    lifecycle.run(due + timedelta(hours=1))
    assert lifecycle.emails() == []


def test_closed_requests_write_nothing_and_the_inbox_still_shows_what_emails_do_not(lifecycle, flows):
    # GIVEN Etalab whose only admin turned admin emails off, with a pending request
    alice, nora, paul = lifecycle.user("alice", "en"), lifecycle.user("nora"), lifecycle.user("paul")
    org_id = lifecycle.organization("Etalab", alice)
    api = flows.api
    assert api.put("/me/preferences", alice, {"admin_emails": "off"}).status == 200
    flows.ask(nora, org_id)
    # THEN nobody is emailed, the settings say no admin is, and the inbox still counts it
    assert lifecycle.emails() == []
    settings = api.get(f"/organizations/{org_id}/settings", alice).body
    assert (settings["admins_emailed"], settings["admins_count"]) == (0, 1)
    assert api.get("/me/notifications", alice).body["count"] == 1

    # WHEN Alice closes requests and Paul asks
    assert api.put(f"/organizations/{org_id}/settings", alice, {"requests_open": False}).status == 200
    reply = api.post(f"/organizations/{org_id}/membership-requests", paul, {"comment": "Please"})

    # THEN he is refused with requests_closed and nothing of his is stored
    assert (reply.status, reply.body["code"]) == (403, "requests_closed")
    assert api.get("/me/membership-requests", paul).body["items"] == []
    assert lifecycle.item(keys.org_pk(org_id), keys.pending_sk(paul.sub)) is None
    assert [item["request"]["user"]["id"] for item in api.get("/me/notifications", alice).body["items"]] == [
        nora.sub
    ]
