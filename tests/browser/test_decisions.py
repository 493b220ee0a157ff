"""Deciding in the Membres block: an admin refuses with a reason from the link of her
email; a member who is not an admin sees the pending requests and no button to decide."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from devstack.outbox import text_of
from tests.browser.support import (
    FR,
    ask,
    assert_accessible,
    emails_since,
    envelope,
    links_in,
    member,
    organization,
    person,
)
from tests.e2e.test_seed_flow import call

REASON = "Merci de passer par le référent de votre commune."


def test_an_admin_refuses_with_a_reason_from_her_emails_link_and_the_requester_reads_it(
    seeded_stack, console, screenshots
):
    stack, words = seeded_stack, FR
    # GIVEN Inès, admin of an organization, emailed about Hugo's request
    ines, hugo = person(stack, "Inès Dupont"), person(stack, "Hugo Bernard")
    org = organization(stack, ines, "Cadastre solidaire")
    request = ask(stack, hugo, org["id"], "Je numérise les plans cadastraux.")
    [to_ines] = emails_since(stack, ines.email, 0)
    [link] = links_in(to_ines)
    assert link == f"{console.url}/organizations/{org['id']}/membership-requests/{request['id']}"

    # WHEN she opens the link: the console signs her in, then shows that request, focused
    page = console.tab()
    page.goto(link)
    console.sign_in(page, ines)
    expect(page).to_have_url(link)
    membres = page.get_by_role("region", name=words.members)
    item = membres.get_by_role("listitem").filter(has_text="Hugo Bernard")
    expect(item).to_be_focused()
    expect(item).to_contain_text("Je numérise les plans cadastraux.")
    screenshots(page, "ines opens the link of her email")

    # AND clicks the red button, types a reason and confirms
    membres.get_by_role("button", name=words.refuse.format(name="Hugo Bernard")).click()
    dialog = page.get_by_role("dialog", name=words.refuse_title.format(name="Hugo Bernard"))
    expect(dialog).to_be_visible()
    dialog.get_by_role("textbox", name=words.reason).press_sequentially(REASON)
    screenshots(page, "ines gives a reason")
    assert_accessible(page, "the refusal dialog")
    dialog.get_by_role("button", name=words.confirm_refusal).click()

    # THEN the block says so, and the request is no longer pending
    expect(dialog).to_be_hidden()
    expect(membres.get_by_role("status")).to_have_text(words.refused.format(name="Hugo Bernard"))
    expect(membres.get_by_text(words.no_pending)).to_be_visible()
    expect(membres.get_by_role("button", name=re.compile("Hugo Bernard"))).to_have_count(0)
    screenshots(page, "ines refused hugo")
    # AND the request is stored refused, with the reason
    status, stored = call(
        stack, "GET", f"/organizations/{org['id']}/membership-requests/{request['id']}", hugo.token
    )
    assert (status, stored["status"], stored["reason"], stored["decided_by"]["name"]) == (
        200,
        "refused",
        REASON,
        "Inès Dupont",
    )
    # AND Hugo is emailed the reason
    [to_hugo] = emails_since(stack, hugo.email, 0)
    assert REASON in text_of(to_hugo)

    # WHEN Hugo opens "Mes demandes"
    mine = console.open_signed_in(hugo, "/me/requests")
    # THEN he reads the outcome and the reason there too
    expect(mine.get_by_role("heading", level=1, name=words.my_requests)).to_be_visible()
    entry = mine.get_by_role("listitem").filter(has_text="Cadastre solidaire")
    expect(entry).to_contain_text(words.status_refused)
    expect(entry).to_contain_text(REASON)
    expect(entry.get_by_role("button")).to_have_count(0)
    screenshots(mine, "hugo reads the refusal")
    assert_accessible(mine, "Mes demandes")


def test_a_member_who_is_not_an_admin_sees_pending_requests_and_no_button_to_decide(
    seeded_stack, console, screenshots
):
    stack, words = seeded_stack, FR
    # GIVEN Paul, an editor of an organization where Léa's request is pending
    admin, paul, lea = person(stack, "Sarah Roux"), person(stack, "Paul Lefèvre"), person(stack, "Léa Moreau")
    org = organization(stack, admin, "Registre des associations")
    member(stack, admin, org["id"], paul)
    request = ask(stack, lea, org["id"], "Je tiens le registre de mon département.")

    # WHEN Paul opens the organization's page
    page = console.open_signed_in(paul, f"/organizations/{org['id']}")

    # THEN he sees Léa's request and her motivation, and that only admins decide
    expect(page.get_by_text(words.you_are_editor)).to_be_visible()
    membres = page.get_by_role("region", name=words.members)
    item = membres.get_by_role("listitem").filter(has_text="Léa Moreau")
    expect(item).to_contain_text("Je tiens le registre de mon département.")
    expect(membres.get_by_text(words.only_admins)).to_be_visible()
    # AND no button or role choice decides it, and his envelope counts nothing (he administers nothing)
    expect(membres.get_by_role("button", name=words.accept.format(name="Léa Moreau"))).to_have_count(0)
    expect(membres.get_by_role("button", name=words.refuse.format(name="Léa Moreau"))).to_have_count(0)
    expect(item.get_by_role("button")).to_have_count(0)
    expect(item.get_by_role("combobox")).to_have_count(0)
    expect(envelope(page, words)).to_have_accessible_name(words.notifications)
    screenshots(page, "paul sees lea's request")
    assert_accessible(page, "the Membres block of an editor")

    # WHEN he opens the request's own address (an admin's email link, forwarded)
    page.goto(f"{console.url}/organizations/{org['id']}/membership-requests/{request['id']}")
    # THEN it is shown, focused, still without a button
    item = (
        page.get_by_role("region", name=words.members).get_by_role("listitem").filter(has_text="Léa Moreau")
    )
    expect(item).to_be_focused()
    expect(item.get_by_role("button")).to_have_count(0)
    screenshots(page, "paul on lea's request")
    # AND the request is still pending
    status, stored = call(
        stack, "GET", f"/organizations/{org['id']}/membership-requests/{request['id']}", lea.token
    )
    assert (status, stored["status"]) == (200, "pending")
