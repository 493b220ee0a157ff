"""The scheduled pass against moto with a controlled clock: expiry, reminders, notices."""

from __future__ import annotations

from chalicelib.persistence import keys
from tests.schedule.conftest import at


def test_a_pass_expires_exactly_the_due_requests_and_emails_each_requester_once(lifecycle):
    # GIVEN Etalab (Alice admin), Rita's request made at T0 and Bob's two days later,
    # and the function running since T0
    alice, rita, bob = lifecycle.user("alice", "en"), lifecycle.user("rita"), lifecycle.user("bob", "en")
    org_id = lifecycle.organization("Etalab", alice)
    rita_request = lifecycle.ask(rita, org_id, at(0))
    bob_request = lifecycle.ask(bob, org_id, at(2))
    lifecycle.run(at(0, 30))
    lifecycle.emails()

    # WHEN a pass runs one minute after Rita's request expired
    report = lifecycle.run(at(30, 1))

    # THEN Rita's request expired, its lock and counters released; Bob's is still pending
    assert report.expired == 1
    expired = lifecycle.request_item(org_id, rita_request)
    assert expired["status"] == "expired"
    assert expired["GSI1PK"] == keys.org_requests_pk(org_id, "expired")
    assert expired["GSI3PK"] == keys.user_requests_pk(rita.sub, "expired")
    assert "GSI4PK" not in expired and "GSI4SK" not in expired
    assert lifecycle.item(keys.org_pk(org_id), keys.pending_sk(rita.sub)) is None
    assert lifecycle.item(keys.org_pk(org_id), keys.ORG_SK)["pending_count"] == "1"
    assert lifecycle.item(keys.user_pk(rita.sub), keys.PROFILE_SK)["pending_count"] == "0"
    assert lifecycle.request_item(org_id, bob_request)["status"] == "pending"
    # AND Rita alone is told, in her language, naming the organization, with its link
    to_requesters = [e for e in lifecycle.emails() if e.to != alice.email]
    assert [(e.to, e.subject) for e in to_requesters] == [
        (rita.email, "Votre demande d'adhésion à « Etalab » a expiré")
    ]
    assert f"/organizations/{org_id}" in to_requesters[0].body
    assert "nouvelle demande" in to_requesters[0].body

    # WHEN the same pass is delivered again, and the stream redelivers
    again = lifecycle.run(at(30, 1))

    # THEN nothing more happens
    assert (again.expired, again.reminded, again.closed) == (0, 0, 0)
    assert lifecycle.emails() == []


def test_requester_may_ask_again_once_the_request_expired(lifecycle, flows):
    # GIVEN Rita's request expired
    alice, rita = lifecycle.user("alice"), lifecycle.user("rita")
    org_id = lifecycle.organization("Etalab", alice)
    lifecycle.ask(rita, org_id, at(0))
    lifecycle.run(at(0, 1))
    lifecycle.run(at(31))

    # WHEN she asks again through the API
    again = flows.ask(rita, org_id, "Still interested.")

    # THEN the new request is pending: her lock was released
    assert again["status"] == "pending"


def test_reminders_go_once_per_threshold_in_one_email_per_admin_across_organizations(lifecycle):
    # GIVEN Alice administers Etalab and Cadastre (with Zoe), one request pending in each
    alice, zoe = lifecycle.user("alice", "en"), lifecycle.user("zoe")
    rita, oscar = lifecycle.user("rita"), lifecycle.user("oscar")
    etalab = lifecycle.organization("Etalab", alice)
    cadastre = lifecycle.organization("Cadastre", alice, zoe)
    rita_request = lifecycle.ask(rita, etalab, at(0), "I maintain the address datasets.")
    oscar_request = lifecycle.ask(oscar, cadastre, at(0, 10), "Parcels are my thing.")
    lifecycle.run(at(0, 30))
    lifecycle.emails()

    # WHEN passes run before the first threshold, just after it, and again after it
    assert lifecycle.run(at(2, 23 * 60)).reminded == 0
    first = lifecycle.run(at(3, 20))
    second = lifecycle.run(at(3, 40))

    # THEN each request is reminded once, into one notice per admin
    assert (first.reminded, first.notices, first.closed) == (2, 2, 2)
    assert (second.reminded, second.closed) == (0, 0)
    emails = lifecycle.emails()
    assert sorted(e.to for e in emails) == sorted([alice.email, zoe.email])
    [to_alice] = [e for e in emails if e.to == alice.email]
    assert to_alice.subject == "2 membership requests are waiting"
    for text in ("Etalab", "Cadastre", "Rita Test", "Oscar Test", "I maintain the address datasets."):
        assert text in to_alice.body
    assert f"/organizations/{etalab}/membership-requests/{rita_request}" in to_alice.body
    assert f"/organizations/{cadastre}/membership-requests/{oscar_request}" in to_alice.body
    [to_zoe] = [e for e in emails if e.to == zoe.email]
    assert to_zoe.subject == "1 demande d'adhésion en attente"
    assert "Oscar Test" in to_zoe.body and "Rita Test" not in to_zoe.body
    assert lifecycle.request_item(etalab, rita_request)["reminders_sent"] == "1"

    # WHEN the second threshold passes, and passes keep running until expiry
    assert lifecycle.run(at(7, 20)).reminded == 2
    assert lifecycle.run(at(8)).reminded == 0
    assert lifecycle.run(at(29)).reminded == 0

    # THEN one more email per admin, and no other
    emails = lifecycle.emails()
    assert sorted(e.to for e in emails) == sorted([alice.email, zoe.email])
    assert lifecycle.request_item(etalab, rita_request)["reminders_sent"] == "2"


def test_an_admin_whose_emails_are_off_for_the_organization_is_not_reminded(lifecycle, container):
    # GIVEN Alice administers Etalab with Zoe, and muted Etalab's admin emails
    alice, zoe, rita = lifecycle.user("alice"), lifecycle.user("zoe"), lifecycle.user("rita")
    org_id = lifecycle.organization("Etalab", alice, zoe)
    lifecycle.ask(rita, org_id, at(0))
    container.aws.tables.profiles(keys.user_pk(alice.sub), keys.PROFILE_SK).update(
        actions=[container.aws.tables.profiles.muted_organizations.add({org_id})]
    )
    lifecycle.run(at(0, 1))
    lifecycle.emails()

    # WHEN the first reminder is due
    report = lifecycle.run(at(3, 1))

    # THEN only Zoe is reminded
    assert (report.reminded, report.notices) == (1, 1)
    assert [e.to for e in lifecycle.emails()] == [zoe.email]


def test_a_late_pass_sends_one_reminder_for_the_thresholds_it_missed(lifecycle):
    # GIVEN a request whose two reminders are both due when the pass comes
    alice, rita = lifecycle.user("alice"), lifecycle.user("rita")
    org_id = lifecycle.organization("Etalab", alice)
    request_id = lifecycle.ask(rita, org_id, at(0))
    lifecycle.run(at(0, 1))
    lifecycle.emails()

    # WHEN the first pass since comes on day 8
    report = lifecycle.run(at(8))

    # THEN one reminder, both thresholds counted, the request next due at its expiry
    assert report.reminded == 1
    stored = lifecycle.request_item(org_id, request_id)
    assert stored["reminders_sent"] == "2"
    assert stored["GSI4PK"] == keys.due_pk(at(30).date())
    assert len(lifecycle.emails()) == 1
