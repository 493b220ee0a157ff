"""Issue 15 in the console, by clicks: an admin changes the organization's settings and a
member reads them; a requester meets the guidance, the closed door and the automatic
acceptance the settings describe; anyone sets their email preferences, and an admin who
turned emails off is warned on the settings page and can unmute an organization.

Each page and dialog is checked by axe-core (no serious or critical violation). The words
are the console's French ones (web/src/i18n/fr.ts)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import FR, ask, assert_accessible, member, organization, person
from tests.e2e.test_seed_flow import call

SETTINGS_LINK = "Paramètres de l'organisation"
SETTINGS_TITLE = "Paramètres de l'organisation {organization}"
SAVE = "Enregistrer"
SAVED = "Les paramètres ont été enregistrés."
REQUESTS_OPEN = "Accepter les demandes d'adhésion"
GUIDANCE = "Consignes aux demandeurs (facultatives)"
DOMAINS = "Domaines acceptés automatiquement"
ROLE = "Rôle donné aux membres acceptés automatiquement"
EXPIRY = "Expiration des demandes (en jours)"
REMINDERS = "Rappels aux administrateurs (jours après la demande)"
READ_ONLY = "Seuls les administrateurs peuvent modifier ces paramètres."
NO_ADMIN_EMAILED = (
    "Aucun administrateur ne reçoit d'e-mails pour cette organisation : les demandes n'apparaissent "
    "que dans la boîte de réception (l'enveloppe)."
)
NOW_MEMBER = "Vous êtes maintenant membre de l'organisation {organization}."
CLOSED = "Cette organisation n'accepte pas de demandes d'adhésion pour le moment."
PREFERENCES = "Préférences"
DAILY_DIGEST = "Un résumé par jour"
OFF = "Aucun e-mail (la boîte de réception seulement)"
EMAILS_LANGUAGE = "Langue des e-mails"
PREFERENCES_SAVED = "Vos préférences ont été enregistrées."
MUTED = "Organisations en sourdine"


def settings_of(stack, who, org_id):
    status, settings = call(stack, "GET", f"/organizations/{org_id}/settings", who.token)
    assert status == 200, settings
    return settings


def change_settings(stack, admin, org_id, change):
    status, settings = call(stack, "PUT", f"/organizations/{org_id}/settings", admin.token, change)
    assert status == 200, settings
    return settings


def preferences_of(stack, who):
    status, preferences = call(stack, "GET", "/me/preferences", who.token)
    assert status == 200, preferences
    return preferences


def test_an_admin_changes_the_settings_by_clicks_and_a_member_reads_them(seeded_stack, console, screenshots):
    stack = seeded_stack
    # GIVEN Claire, admin of an organization, and Paul, its editor
    claire, paul = person(stack, "Claire Dubois"), person(stack, "Paul Renaud")
    org = organization(stack, claire, "Registre des arbres")
    member(stack, claire, org["id"], paul)
    page = console.open_signed_in(claire, f"/organizations/{org['id']}")

    # WHEN she follows the settings link of the Actions section
    page.get_by_role("region", name="Actions").get_by_role("link", name=SETTINGS_LINK).click()

    # THEN the settings page shows the defaults
    expect(
        page.get_by_role("heading", level=1, name=SETTINGS_TITLE.format(organization=org["name"]))
    ).to_be_visible()
    expect(page).to_have_url(f"{console.url}/organizations/{org['id']}/settings")
    expect(page.get_by_role("checkbox", name=REQUESTS_OPEN)).to_be_checked()
    expect(page.get_by_role("textbox", name=EXPIRY)).to_have_value("30")
    expect(page.get_by_role("textbox", name=REMINDERS)).to_have_value("3, 7")
    expect(page.get_by_text("1 administrateur sur 1 reçoit les e-mails des demandes.")).to_be_visible()
    screenshots(page, "the settings of an admin")
    assert_accessible(page, "the settings page of an admin")

    # WHEN she types a reminder after the expiry and saves
    page.get_by_role("textbox", name=REMINDERS).fill("5, 50")
    page.get_by_role("button", name=SAVE).click()

    # THEN the field says why, has the focus, and nothing changed
    reminders = page.get_by_role("textbox", name=REMINDERS)
    expect(reminders).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Chaque rappel doit venir avant l'expiration (30 jours).")).to_be_visible()
    expect(reminders).to_be_focused()
    screenshots(page, "a reminder after the expiry")
    assert_accessible(page, "the settings page with a wrong field")
    assert settings_of(stack, claire, org["id"])["reminder_days"] == [3, 7]

    # WHEN she writes guidance, a domain, a longer expiry and valid reminders, and saves
    page.get_by_role("textbox", name=GUIDANCE).fill("Indiquez votre commune.")
    page.get_by_role("textbox", name=DOMAINS).fill("Exemple.FR")
    page.get_by_role("combobox", name=ROLE).select_option("editor")
    page.get_by_role("textbox", name=EXPIRY).fill("45")
    reminders.fill("10, 5")
    page.get_by_role("button", name=SAVE).click()

    # THEN the page says so, and the service stored them as the contract says
    expect(page.get_by_role("status").filter(has_text=SAVED)).to_be_visible()
    expect(page.get_by_role("textbox", name=DOMAINS)).to_have_value("exemple.fr")
    expect(reminders).to_have_value("5, 10")
    screenshots(page, "the settings saved")
    stored = settings_of(stack, claire, org["id"])
    assert {k: stored[k] for k in stored if k not in ("admins_emailed", "admins_count")} == {
        "requests_open": True,
        "request_guidance": "Indiquez votre commune.",
        "auto_accept_domains": ["exemple.fr"],
        "auto_accept_role": "editor",
        "request_expiry_days": 45,
        "reminder_days": [5, 10],
    }

    # AND Paul, an editor, reads them from the same link, without a form
    other = console.open_signed_in(paul, f"/organizations/{org['id']}")
    other.get_by_role("region", name="Actions").get_by_role("link", name=SETTINGS_LINK).click()
    expect(
        other.get_by_role("heading", level=1, name=SETTINGS_TITLE.format(organization=org["name"]))
    ).to_be_visible()
    expect(other.get_by_text(READ_ONLY)).to_be_visible()
    expect(other.get_by_role("definition").filter(has_text="Indiquez votre commune.")).to_be_visible()
    expect(other.get_by_role("definition").filter(has_text="45 jours")).to_be_visible()
    expect(other.get_by_role("textbox")).to_have_count(0)
    expect(other.get_by_role("button", name=SAVE)).to_have_count(0)
    screenshots(other, "the settings of an editor")
    assert_accessible(other, "the settings page of an editor")


def test_a_requester_meets_the_guidance_the_closed_door_and_the_automatic_acceptance(
    seeded_stack, console, screenshots
):
    stack, words = seeded_stack, FR
    # GIVEN an organization whose admin wrote guidance for requesters
    admin, lea = person(stack, "Marie Lefort"), person(stack, "Léa Roux")
    org = organization(stack, admin, "Atlas des sentiers")
    change_settings(stack, admin, org["id"], {"request_guidance": "Dites-nous quels sentiers vous balisez."})
    page = console.open_signed_in(lea, f"/organizations/{org['id']}")
    actions = page.get_by_role("region", name="Actions")

    # WHEN Léa opens the ask dialog, THEN the guidance is there, before the motivation
    actions.get_by_role("button", name=words.ask).click()
    dialog = page.get_by_role("dialog", name=words.ask_title.format(organization="Atlas des sentiers"))
    expect(dialog.get_by_role("heading", name="Consignes de l'organisation")).to_be_visible()
    expect(dialog).to_contain_text("Dites-nous quels sentiers vous balisez.")
    screenshots(page, "the guidance in the ask dialog")
    assert_accessible(page, "the ask dialog with guidance")

    # WHEN the admin closes requests while the dialog is open, and Léa clicks Ok
    change_settings(stack, admin, org["id"], {"requests_open": False})
    dialog.get_by_role("textbox", name=words.motivation).press_sequentially("Je balise le GR 34.")
    dialog.get_by_role("button", name=words.ok, exact=True).click()

    # THEN the dialog says requests are closed, and nothing was written
    expect(dialog.get_by_role("alert")).to_have_text(CLOSED)
    screenshots(page, "requests closed meanwhile")
    _, mine = call(stack, "GET", "/me/membership-requests", lea.token)
    assert mine["items"] == []
    # AND once the dialog is closed, the sentence stands where the button was, focused
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(actions.get_by_role("button", name=words.ask)).to_have_count(0)
    sentence = actions.get_by_text(CLOSED).filter(visible=True)
    expect(sentence).to_be_focused()
    # AND a fresh visit shows the sentence and no button
    page.reload()
    expect(actions.get_by_text(CLOSED)).to_be_visible()
    expect(actions.get_by_role("button", name=words.ask)).to_have_count(0)
    assert_accessible(page, "an organization that takes no requests")

    # WHEN the admin reopens requests and accepts Léa's domain (person() emails are verified, @example.org)
    change_settings(
        stack,
        admin,
        org["id"],
        {"requests_open": True, "auto_accept_domains": ["example.org"], "auto_accept_role": "editor"},
    )
    page.reload()
    actions.get_by_role("button", name=words.ask).click()
    dialog.get_by_role("textbox", name=words.motivation).press_sequentially("Je balise le GR 34.")
    dialog.get_by_role("button", name=words.ok, exact=True).click()

    # THEN she is a member at once, and the page shows it
    now_member = NOW_MEMBER.format(organization="Atlas des sentiers")
    expect(page.get_by_role("status").filter(has_text=now_member)).to_be_visible()
    expect(page.get_by_text(words.you_are_editor)).to_be_visible()
    expect(page.get_by_role("region", name=words.members).get_by_text("Léa Roux")).to_be_visible()
    expect(actions.get_by_role("button", name=words.ask)).to_have_count(0)
    screenshots(page, "accepted at once")
    assert_accessible(page, "the organization page after an automatic acceptance")
    _, mine = call(stack, "GET", "/me/membership-requests", lea.token)
    assert [(r["status"], r["auto_accepted"], r["role"]) for r in mine["items"]] == [
        ("accepted", True, "editor")
    ]


def test_preferences_by_clicks_and_the_warning_when_no_admin_is_emailed(seeded_stack, console, screenshots):
    stack, words = seeded_stack, FR
    # GIVEN Hélène, the only admin of two organizations, one muted by an unsubscribe link
    helene, tom = person(stack, "Hélène Marchand"), person(stack, "Tom Girard")
    forests = organization(stack, helene, "Inventaire des haies")
    rivers = organization(stack, helene, "Suivi des mares")
    status, _ = call(stack, "PUT", "/me/preferences", helene.token, {"muted_organizations": [rivers["id"]]})
    assert status == 200
    page = console.open_signed_in(helene, "/me/organizations")

    # WHEN she follows "Préférences" in the top bar
    page.get_by_role("banner").get_by_role("link", name=PREFERENCES).click()

    # THEN her choices are shown, with the muted organization
    expect(page.get_by_role("heading", level=1, name=PREFERENCES)).to_be_visible()
    emails = page.get_by_role("group", name="E-mails d'administrateur")
    expect(emails.get_by_role("radio", name="Un e-mail par demande, dès son arrivée")).to_be_checked()
    muted = page.get_by_role("region", name=MUTED)
    expect(muted.get_by_role("link", name="Suivi des mares")).to_be_visible()
    screenshots(page, "the preferences")
    assert_accessible(page, "the preferences page")

    # WHEN she asks for a daily summary in English and saves
    emails.get_by_role("radio", name=DAILY_DIGEST).check()
    page.get_by_role("combobox", name=EMAILS_LANGUAGE).select_option("en")
    page.get_by_role("button", name=SAVE).click()

    # THEN the page says so, and the service stored it
    expect(page.get_by_role("status").filter(has_text=PREFERENCES_SAVED)).to_be_visible()
    stored = preferences_of(stack, helene)
    assert (stored["admin_emails"], stored["language"]) == ("daily_digest", "en")

    # WHEN she turns the muted organization's emails back on
    muted.get_by_role("button", name="Réactiver les e-mails pour Suivi des mares").click()

    # THEN it is no longer muted, and the focus stays in the section
    expect(
        page.get_by_role("status").filter(has_text="Vous recevez à nouveau les e-mails pour Suivi des mares.")
    ).to_be_visible()
    expect(muted.get_by_text("Aucune organisation en sourdine.")).to_be_visible()
    expect(muted.get_by_role("heading", name=MUTED)).to_be_focused()
    assert preferences_of(stack, helene)["muted_organizations"] == []
    screenshots(page, "unmuted")

    # WHEN she turns admin emails off
    emails.get_by_role("radio", name=OFF).check()
    page.get_by_role("button", name=SAVE).click()
    expect(page.get_by_role("status").filter(has_text=PREFERENCES_SAVED)).to_be_visible()
    assert preferences_of(stack, helene)["admin_emails"] == "off"

    # THEN her organization's settings warn that requests only show in the inbox
    page.goto(f"{console.url}/organizations/{forests['id']}/settings")
    expect(
        page.get_by_role("heading", level=1, name=SETTINGS_TITLE.format(organization=forests["name"]))
    ).to_be_visible()
    expect(page.get_by_text(NO_ADMIN_EMAILED)).to_be_visible()
    assert settings_of(stack, helene, forests["id"])["admins_emailed"] == 0
    screenshots(page, "no admin is emailed")
    assert_accessible(page, "the settings page warning that no admin is emailed")
    # AND a request still reaches her envelope
    ask(stack, tom, forests["id"], "Je recense les haies de mon village.")
    page.reload()
    envelope = page.get_by_role("button", name=words.notifications_one)
    expect(envelope).to_be_visible()
