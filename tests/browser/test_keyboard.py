"""The seed's flow with the keyboard alone: Tab to reach, Enter to press, typing to fill.
No click, and no programmatic focus (the keyboard's own presses move it)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.support import (
    FR,
    Console,
    Person,
    assert_accessible,
    emails_since,
    envelope,
    links_in,
    organization,
    person,
    tab_to,
)
from tests.e2e.test_seed_flow import call

MOTIVATION = "Je tiens à jour l'annuaire des écoles de ma ville."


def _sign_in_by_keyboard(console: Console, page: Page, who: Person) -> None:
    words = console.words
    expect(page.get_by_role("heading", level=1, name=words.sign_in_title)).to_be_visible()
    tab_to(page, page.get_by_label(words.email, exact=True))
    page.keyboard.type(who.email)
    tab_to(page, page.get_by_label(words.password, exact=True))
    page.keyboard.type(who.password)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/sign-in"))


def test_the_seed_flow_with_the_keyboard_alone(seeded_stack, console, screenshots):
    stack, words = seeded_stack, FR
    camille, theo = person(stack, "Camille Durand"), person(stack, "Théo Garnier")
    org = organization(stack, camille, "Annuaire des écoles")

    # GIVEN Théo on the organization's address, signing in with the keyboard
    page = console.tab()
    page.goto(f"{console.url}/organizations/{org['id']}")
    _sign_in_by_keyboard(console, page, theo)
    expect(page.get_by_role("heading", level=1, name="Annuaire des écoles")).to_be_visible()

    # WHEN he tabs to the button and presses Enter: the dialog opens on the motivation field
    tab_to(page, page.get_by_role("button", name=words.ask))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=words.ask_title.format(organization="Annuaire des écoles"))
    expect(dialog.get_by_role("textbox", name=words.motivation)).to_be_focused()
    page.keyboard.type(MOTIVATION)
    # (a modal dialog: Tab goes round it and out to the browser's own controls, where the
    # page sees no focused element, never to the page behind)
    for _ in range(8):
        page.keyboard.press("Tab")
        where = dialog.evaluate(
            "(d) => d.contains(document.activeElement) ? 'dialog'"
            " : document.activeElement === document.body ? 'browser' : document.activeElement.outerHTML"
        )
        assert where in ("dialog", "browser"), where
    ok = dialog.get_by_role("button", name=words.ok, exact=True)
    tab_to(page, ok)
    screenshots(page, "theo tabbed to ok")
    page.keyboard.press("Enter")

    # THEN his request is pending, the focus on it, and Tab reaches the button that withdraws it
    expect(dialog).to_be_hidden()
    expect(page.get_by_text(words.pending)).to_be_visible()
    tab_to(page, page.get_by_role("button", name=words.withdraw), limit=3)
    screenshots(page, "theo's request is pending")
    emails_since(stack, camille.email, 0)

    # WHEN Camille signs in with the keyboard, tabs to her envelope and presses Enter
    admin = console.tab()
    admin.goto(console.url)
    _sign_in_by_keyboard(console, admin, camille)
    bell = envelope(admin, words)
    expect(bell).to_have_accessible_name(words.notifications_one)
    tab_to(admin, bell)
    admin.keyboard.press("Enter")
    # AND tabs to the pending line and presses Enter
    line = admin.get_by_role("region", name=words.notifications).get_by_role(
        "link", name=re.compile(f"^{words.pending_line}")
    )
    tab_to(admin, line, limit=5)
    screenshots(admin, "camille tabbed to the pending line")
    admin.keyboard.press("Enter")

    # THEN the request has the focus in the Membres block, and Tab reaches the green button
    membres = admin.get_by_role("region", name=words.members)
    item = membres.get_by_role("listitem").filter(has_text="Théo Garnier")
    expect(item).to_be_focused()
    accept = membres.get_by_role("button", name=words.accept.format(name="Théo Garnier"))
    tab_to(admin, accept, limit=5)
    screenshots(admin, "camille tabbed to accept")
    assert_accessible(admin, "the Membres block reached by keyboard")
    admin.keyboard.press("Enter")

    # THEN the decision is announced and the focus stays in the Membres block
    expect(membres.get_by_role("status")).to_have_text(
        words.accepted.format(name="Théo Garnier", role=words.editor)
    )
    expect(membres.get_by_role("heading", name="Demandes en attente")).to_be_focused()
    screenshots(admin, "camille accepted theo")
    status, members = call(stack, "GET", f"/organizations/{org['id']}/members", camille.token)
    assert (status, sorted(m["name"] for m in members["items"])) == (200, ["Camille Durand", "Théo Garnier"])

    # WHEN Théo follows the link of his email, signing in with the keyboard
    [outcome] = emails_since(stack, theo.email, 0)
    [link] = links_in(outcome)
    member_tab = console.tab()
    member_tab.goto(link)
    _sign_in_by_keyboard(console, member_tab, theo)
    # THEN the organization's page shows him as a member
    expect(member_tab).to_have_url(link)
    expect(member_tab.get_by_text(words.you_are_editor)).to_be_visible()
    screenshots(member_tab, "theo's email link shows him a member")
