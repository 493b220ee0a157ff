"""The pages and dialogs the flows do not pass through, each checked by axe-core (no
serious or critical violation): creating an organization, Mes organisations, an admin's
dialogs, an address that is no page, an organization that does not exist, and the
language chosen in the top bar."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import EN, FR, assert_accessible, member, person
from tests.e2e.test_seed_flow import call


def test_creating_an_organization_by_clicks_makes_its_creator_the_admin(seeded_stack, console, screenshots):
    stack, words = seeded_stack, FR
    zoe = person(stack, "Zoé Lambert")
    # GIVEN Zoé on "Créer une organisation", reached from the top bar
    page = console.open_signed_in(zoe)
    page.get_by_role("navigation").get_by_role("link", name=words.create_organization).click()
    expect(page.get_by_role("heading", level=1, name=words.create_organization)).to_be_visible()
    screenshots(page, "the create page")
    assert_accessible(page, "Créer une organisation")

    # WHEN she names it, describes it and submits
    page.get_by_role("textbox", name="Nom").press_sequentially("Observatoire des haies")
    page.get_by_role("textbox", name="Description (facultative)").press_sequentially("Les haies du bocage.")
    page.get_by_role("button", name="Créer l'organisation").click()

    # THEN its page shows it, with her as its admin
    expect(page.get_by_role("heading", level=1, name="Observatoire des haies")).to_be_visible()
    expect(page.get_by_text("Vous êtes administrateur")).to_be_visible()
    screenshots(page, "the new organization")
    assert_accessible(page, "the organization page of its admin")
    org_id = page.url.rsplit("/", 1)[1]
    status, stored = call(stack, "GET", f"/organizations/{org_id}", zoe.token)
    assert (status, stored["name"], stored["description"], stored["my_role"], stored["members_count"]) == (
        200,
        "Observatoire des haies",
        "Les haies du bocage.",
        "admin",
        1,
    )

    # AND "Mes organisations" lists it
    page.get_by_role("navigation").get_by_role("link", name=words.my_organizations).click()
    expect(page.get_by_role("heading", level=1, name=words.my_organizations)).to_be_visible()
    expect(page.get_by_role("link", name="Observatoire des haies")).to_be_visible()
    screenshots(page, "mes organisations")
    assert_accessible(page, "Mes organisations")


def test_an_admins_dialogs_pass_axe(seeded_stack, console, screenshots):
    stack = seeded_stack
    admin, editor = person(stack, "Lucie Caron"), person(stack, "Bruno Faure")
    status, org = call(stack, "POST", "/organizations", admin.token, {"name": "Fichier des rues"})
    assert status == 201
    member(stack, admin, org["id"], editor)
    page = console.open_signed_in(admin, f"/organizations/{org['id']}")

    # Removing a member
    page.get_by_role("button", name="Retirer Bruno Faure de l'organisation").click()
    dialog = page.get_by_role("dialog", name="Retirer Bruno Faure")
    expect(dialog).to_be_visible()
    screenshots(page, "remove a member")
    assert_accessible(page, "the dialog that removes a member")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Leaving the organization
    page.get_by_role("button", name="Quitter l'organisation").click()
    dialog = page.get_by_role("dialog", name="Quitter Fichier des rues")
    expect(dialog).to_be_visible()
    screenshots(page, "leave the organization")
    assert_accessible(page, "the dialog that leaves an organization")
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()
    # (nothing changed)
    _, members = call(stack, "GET", f"/organizations/{org['id']}/members", admin.token)
    assert sorted(m["name"] for m in members["items"]) == ["Bruno Faure", "Lucie Caron"]


def test_an_unknown_address_and_an_unknown_organization_say_so(seeded_stack, console, screenshots):
    someone = person(seeded_stack, "Yann Leroy")
    page = console.tab()
    page.goto(f"{console.url}/nulle/part")
    expect(page.get_by_role("heading", level=1, name="Page introuvable")).to_be_visible()
    screenshots(page, "no such page")
    assert_accessible(page, "the page-not-found page")

    page = console.open_signed_in(someone, "/organizations/0123456789abcdef0123456789abcdef")
    expect(page.get_by_role("heading", level=1, name="Organisation introuvable")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Cette organisation n'existe pas.")
    screenshots(page, "no such organization")
    assert_accessible(page, "an organization that does not exist")


def test_choosing_english_in_the_top_bar_translates_the_page_and_is_kept(seeded_stack, console, screenshots):
    someone = person(seeded_stack, "Iris Morel")
    page = console.open_signed_in(someone, "/me/requests")
    expect(page.get_by_role("heading", level=1, name=FR.my_requests)).to_be_visible()

    page.get_by_role("combobox", name="Langue").select_option("en")

    expect(page.get_by_role("heading", level=1, name=EN.my_requests)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshots(page, "mes demandes in english")
    assert_accessible(page, "My requests")
    # A new tab of the same browser keeps the choice (it is a preference, not a secret)
    other = console.tab()
    other.goto(console.url + "/sign-in")
    expect(other.get_by_role("heading", level=1, name=EN.sign_in_title)).to_be_visible()
    assert_accessible(other, "the sign-in page in English")
