"""A requester withdraws a pending request, from the organization's page and from
"Mes demandes"; the admins' envelope no longer counts it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import FR, ask, assert_accessible, envelope, organization, person
from tests.e2e.test_seed_flow import call


def test_a_requester_withdraws_from_the_organization_page_and_from_mes_demandes(
    seeded_stack, console, screenshots
):
    stack, words = seeded_stack, FR
    # GIVEN Julie, who asked by clicks to join one organization, and over the API another
    admin, julie = person(stack, "Marc Girard"), person(stack, "Julie Fontaine")
    first = organization(stack, admin, "Inventaire des forêts")
    second = organization(stack, admin, "Relevés des rivières")
    other = ask(stack, julie, second["id"], "Je relève les débits de ma rivière.")
    page = console.open_signed_in(julie, f"/organizations/{first['id']}")
    actions = page.get_by_role("region", name="Actions")
    actions.get_by_role("button", name=words.ask).click()
    dialog = page.get_by_role("dialog", name=words.ask_title.format(organization="Inventaire des forêts"))
    dialog.get_by_role("textbox", name=words.motivation).press_sequentially("Je compte les arbres.")
    dialog.get_by_role("button", name=words.ok, exact=True).click()
    withdraw = actions.get_by_role("button", name=words.withdraw)
    expect(withdraw).to_be_visible()
    screenshots(page, "julie's request is pending")
    _, notifications = call(stack, "GET", "/me/notifications", admin.token)
    assert notifications["count"] == 2

    # WHEN she clicks "Retirer ma demande" on the organization's page
    withdraw.click()

    # THEN the page says so and offers to ask again, the button focused
    expect(page.get_by_role("status").filter(has_text=words.withdrawn)).to_be_visible()
    ask_again = actions.get_by_role("button", name=words.ask)
    expect(ask_again).to_be_focused()
    expect(actions.get_by_text(words.pending)).to_have_count(0)
    screenshots(page, "julie withdrew her request")
    assert_accessible(page, "the organization page after a withdrawal")

    # WHEN she opens Mes demandes and withdraws the other request there
    page.get_by_role("link", name=words.my_requests).click()
    expect(page.get_by_role("heading", level=1, name=words.my_requests)).to_be_visible()
    entry = page.get_by_role("listitem").filter(has_text="Relevés des rivières")
    screenshots(page, "julie's requests")
    entry.get_by_role("button", name=f"{words.withdraw} pour Relevés des rivières").click()

    # THEN both show as withdrawn, with no button left
    expect(entry).to_contain_text(words.status_withdrawn)
    expect(entry.get_by_role("button")).to_have_count(0)
    forest = page.get_by_role("listitem").filter(has_text="Inventaire des forêts")
    expect(forest).to_contain_text(words.status_withdrawn)
    screenshots(page, "julie withdrew both")
    assert_accessible(page, "Mes demandes after withdrawals")
    # AND both are stored withdrawn, and the admin's envelope counts neither
    _, mine = call(stack, "GET", "/me/membership-requests", julie.token)
    assert {(r["organization_id"], r["status"]) for r in mine["items"]} == {
        (first["id"], "withdrawn"),
        (second["id"], "withdrawn"),
    }
    assert other["id"] in {r["id"] for r in mine["items"]}
    _, notifications = call(stack, "GET", "/me/notifications", admin.token)
    assert (notifications["count"], notifications["items"]) == (0, [])
    admin_page = console.open_signed_in(admin)
    expect(envelope(admin_page, words)).to_have_accessible_name(words.notifications)
