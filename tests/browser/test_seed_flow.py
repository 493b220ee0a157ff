"""The seed's clicks (data.gouv.fr's "Demander à rejoindre une organisation") in Chromium,
against the running local stack: Nora asks to join from the organization's page, Alice
accepts from her envelope, Nora's email brings her back to the organization as a member."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from devstack.outbox import text_of
from tests.browser.support import (
    FR,
    MOTIVATION_MAX,
    assert_accessible,
    colour_of,
    count_emails,
    demo,
    emails_since,
    envelope,
    links_in,
)
from tests.e2e.test_seed_flow import call

MOTIVATION = "Je corrige les adresses de ma commune."


def test_nora_asks_by_clicks_alice_accepts_from_her_envelope_and_noras_email_shows_her_a_member(
    seeded_stack, console, screenshots
):
    stack, words = seeded_stack, FR
    org_id = stack.info["demo"]["organization_id"]
    alice, nora = demo(stack, "alice"), demo(stack, "nora")
    alice_emails, nora_emails = count_emails(stack, alice.email), count_emails(stack, nora.email)

    # GIVEN Nora, who is not a member, opens the organization's page: the console signs her in first
    nora_tab = console.tab()
    nora_tab.goto(f"{console.url}/organizations/{org_id}")
    expect(nora_tab.get_by_role("heading", level=1, name=words.sign_in_title)).to_be_visible()
    screenshots(nora_tab, "nora is asked to sign in")
    assert_accessible(nora_tab, "the sign-in page")
    console.sign_in(nora_tab, nora)
    expect(nora_tab).to_have_url(f"{console.url}/organizations/{org_id}")
    expect(nora_tab.get_by_role("heading", level=1, name="Base Adresse Nationale")).to_be_visible()
    actions = nora_tab.get_by_role("region", name="Actions")
    ask = actions.get_by_role("button", name=words.ask)
    expect(ask).to_be_visible()
    screenshots(nora_tab, "nora on the organization page")
    assert_accessible(nora_tab, "the organization page of a non-member")

    # WHEN she clicks the button, types her motivation (its length shown as she types) and clicks Ok
    ask.click()
    dialog = nora_tab.get_by_role(
        "dialog", name=words.ask_title.format(organization="Base Adresse Nationale")
    )
    expect(dialog).to_be_visible()
    motivation = dialog.get_by_role("textbox", name=words.motivation)
    expect(motivation).to_be_focused()
    motivation.press_sequentially(MOTIVATION)
    expect(dialog.get_by_text(words.counter.format(n=len(MOTIVATION), max=MOTIVATION_MAX))).to_be_visible()
    screenshots(nora_tab, "nora types her motivation")
    assert_accessible(nora_tab, "the ask-to-join dialog")
    dialog.get_by_role("button", name=words.ok, exact=True).click()

    # THEN the page shows her pending request and a button to withdraw it
    expect(dialog).to_be_hidden()
    expect(actions.get_by_text(words.pending)).to_be_visible()
    expect(actions.get_by_text(MOTIVATION)).to_be_visible()
    expect(actions.get_by_role("button", name=words.withdraw)).to_be_visible()
    screenshots(nora_tab, "nora's request is pending")
    assert_accessible(nora_tab, "the organization page with a pending request")
    # AND the request is stored, pending, with her motivation
    status, mine = call(stack, "GET", "/me/membership-requests?status=pending", nora.token)
    [request] = [r for r in mine["items"] if r["organization_id"] == org_id]
    assert (status, request["status"], request["comment"]) == (200, "pending", MOTIVATION)
    # AND Alice, the admin, is emailed about it
    [to_alice] = emails_since(stack, alice.email, alice_emails)
    assert MOTIVATION in text_of(to_alice)

    # WHEN Alice signs in: her envelope's badge says one request is pending
    alice_tab = console.open_signed_in(alice)
    expect(alice_tab.get_by_role("heading", level=1, name=words.my_organizations)).to_be_visible()
    expect(alice_tab.get_by_role("main").get_by_role("link", name="Base Adresse Nationale")).to_be_visible()
    bell = envelope(alice_tab, words)
    expect(bell).to_have_accessible_name(words.notifications_one)
    expect(bell).to_have_text(re.compile(r"1$"))
    screenshots(alice_tab, "alice sees the envelope's badge")
    assert_accessible(alice_tab, "my organizations")
    # AND she clicks the envelope, then the line "Demande d'adhésion en attente"
    bell.click()
    panel = alice_tab.get_by_role("region", name=words.notifications)
    line = panel.get_by_role("link", name=re.compile(f"^{words.pending_line}"))
    expect(line).to_contain_text("Base Adresse Nationale · Nora Petit")
    expect(line).to_contain_text(MOTIVATION)
    screenshots(alice_tab, "alice opens her notifications")
    assert_accessible(alice_tab, "the notifications panel")
    line.click()

    # THEN she is on that request, in the organization's Membres block
    expect(alice_tab).to_have_url(f"{console.url}/organizations/{org_id}/membership-requests/{request['id']}")
    membres = alice_tab.get_by_role("region", name=words.members)
    accept = membres.get_by_role("button", name=words.accept.format(name="Nora Petit"))
    refuse = membres.get_by_role("button", name=words.refuse.format(name="Nora Petit"))
    expect(accept).to_be_visible()
    expect(membres.get_by_text(MOTIVATION)).to_be_visible()
    # (the seed's green v and red x)
    red, green, blue = colour_of(accept)
    assert green > red and green > blue, colour_of(accept)
    red, green, blue = colour_of(refuse)
    assert red > green and red > blue, colour_of(refuse)
    screenshots(alice_tab, "alice on nora's request")
    assert_accessible(alice_tab, "the Membres block of an admin, on a request")

    # WHEN she clicks the green button
    accept.click()

    # THEN the block says so, and lists Nora as an editor, and the envelope is empty
    expect(membres.get_by_role("status")).to_have_text(
        words.accepted.format(name="Nora Petit", role=words.editor)
    )
    expect(accept).to_have_count(0)
    expect(membres.get_by_text(words.no_pending)).to_be_visible()
    expect(membres.get_by_role("listitem").filter(has_text="Nora Petit")).to_contain_text(words.editor)
    expect(bell).to_have_accessible_name(words.notifications)
    screenshots(alice_tab, "alice accepted nora")
    # AND Nora is stored as an editor, the request accepted by Alice
    status, stored = call(
        stack, "GET", f"/organizations/{org_id}/membership-requests/{request['id']}", nora.token
    )
    assert (status, stored["status"], stored["role"], stored["decided_by"]["name"]) == (
        200,
        "accepted",
        "editor",
        "Alice Martin",
    )

    # WHEN Nora opens the link of the email that tells her the outcome, in a new tab
    [outcome] = emails_since(stack, nora.email, nora_emails)
    [link] = links_in(outcome)
    assert link == f"{console.url}/organizations/{org_id}"
    link_tab = console.tab()
    link_tab.goto(link)
    console.sign_in(link_tab, nora)

    # THEN the organization's page shows her as a member
    expect(link_tab).to_have_url(link)
    expect(link_tab.get_by_role("heading", level=1, name="Base Adresse Nationale")).to_be_visible()
    expect(link_tab.get_by_text(words.you_are_editor)).to_be_visible()
    membres = link_tab.get_by_role("region", name=words.members)
    expect(membres.get_by_role("listitem").filter(has_text="Nora Petit")).to_contain_text(words.editor)
    expect(link_tab.get_by_role("button", name=words.ask)).to_have_count(0)
    screenshots(link_tab, "nora's email link shows her a member")
    assert_accessible(link_tab, "the organization page of an editor")
