"""The seed's clicks in English: a browser that prefers English gets the console in
English, and the emails of people whose locale is English link to the same pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chalicelib.mail import rendering
from tests.browser.support import (
    EN,
    assert_accessible,
    emails_since,
    envelope,
    links_in,
    organization,
    person,
)
from tests.e2e.test_seed_flow import call

MOTIVATION = "I maintain the open street data of my town."


@pytest.fixture
def words():
    return EN


def test_the_seed_flow_in_english(seeded_stack, console, screenshots):
    stack, words = seeded_stack, EN
    grace, ada = person(stack, "Grace Hopper", "en"), person(stack, "Ada Lovelace", "en")
    org = organization(stack, grace, "Open Streets")

    # GIVEN Ada, in a browser that prefers English, on the organization's page
    ada_tab = console.open_signed_in(ada, f"/organizations/{org['id']}")
    expect(ada_tab.locator("html")).to_have_attribute("lang", "en")
    actions = ada_tab.get_by_role("region", name="Actions")
    screenshots(ada_tab, "ada on the organization page")
    assert_accessible(ada_tab, "the organization page in English")

    # WHEN she clicks "Ask to join this organization as a producer", types her motivation, Ok
    actions.get_by_role("button", name=words.ask).click()
    dialog = ada_tab.get_by_role("dialog", name=words.ask_title.format(organization="Open Streets"))
    dialog.get_by_role("textbox", name=words.motivation).press_sequentially(MOTIVATION)
    expect(dialog.get_by_text(words.counter.format(n=len(MOTIVATION), max=2000))).to_be_visible()
    screenshots(ada_tab, "ada types her motivation")
    assert_accessible(ada_tab, "the ask-to-join dialog in English")
    dialog.get_by_role("button", name=words.ok, exact=True).click()

    # THEN her request is pending, with a button to withdraw it
    expect(actions.get_by_text(words.pending)).to_be_visible()
    expect(actions.get_by_role("button", name=words.withdraw)).to_be_visible()
    screenshots(ada_tab, "ada's request is pending")
    emails_since(stack, grace.email, 0)

    # WHEN Grace signs in, opens her envelope, the pending line, and accepts
    grace_tab = console.open_signed_in(grace)
    bell = envelope(grace_tab, words)
    expect(bell).to_have_accessible_name(words.notifications_one)
    bell.click()
    line = grace_tab.get_by_role("region", name=words.notifications).get_by_role(
        "link", name=re.compile(f"^{words.pending_line}")
    )
    expect(line).to_contain_text("Open Streets · Ada Lovelace")
    screenshots(grace_tab, "grace opens her notifications")
    assert_accessible(grace_tab, "the notifications panel in English")
    line.click()
    membres = grace_tab.get_by_role("region", name=words.members)
    accept = membres.get_by_role("button", name=words.accept.format(name="Ada Lovelace"))
    screenshots(grace_tab, "grace on ada's request")
    assert_accessible(grace_tab, "the Membres block in English")
    accept.click()

    # THEN the block says so in English, and Ada is stored as an editor
    expect(membres.get_by_role("status")).to_have_text(
        words.accepted.format(name="Ada Lovelace", role=words.editor)
    )
    screenshots(grace_tab, "grace accepted ada")
    _, members = call(stack, "GET", f"/organizations/{org['id']}/members", grace.token)
    assert {(m["name"], m["role"]) for m in members["items"]} == {
        ("Grace Hopper", "admin"),
        ("Ada Lovelace", "editor"),
    }

    # WHEN Ada opens the link of her outcome email (in English) in a new tab
    [outcome] = emails_since(stack, ada.email, 0)
    assert outcome["Subject"] == rendering.subject("request_accepted", "en", "Open Streets")
    [link] = links_in(outcome)
    assert link == f"{console.url}/organizations/{org['id']}"
    link_tab = console.tab()
    link_tab.goto(link)
    console.sign_in(link_tab, ada)
    # THEN the organization's page shows her as a member, in English
    expect(link_tab).to_have_url(link)
    expect(link_tab.get_by_text(words.you_are_editor)).to_be_visible()
    expect(
        link_tab.get_by_role("region", name=words.members)
        .get_by_role("listitem")
        .filter(has_text="Ada Lovelace")
    ).to_contain_text(words.editor)
    screenshots(link_tab, "ada's email link shows her a member")
