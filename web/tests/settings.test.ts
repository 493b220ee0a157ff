import { within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'

import { fieldNamedIn, parseDomains, parseExpiry, parseReminders } from '../src/settings'
import { alice, eric, FakeBackend, nora } from './support/backend'
import { openConsole, screen, signInAs, waitFor, waitForPath } from './support/app'

const INVALID_REQUEST =
  "La demande n'est pas valide : vérifiez les champs saisis (texte simple, sans caractère spécial invisible)."

function seed() {
  const backend = new FakeBackend()
  const org = backend.addOrganization('Base Adresse Nationale', [alice], [eric])
  Object.assign(backend.settingsOf(org.id), {
    request_guidance: 'Dites-nous quelle commune vous représentez.',
    auto_accept_domains: ['ign.fr'],
  })
  return { backend, org }
}

async function openSettings(backend: FakeBackend, orgId: string, locale: 'fr' | 'en' = 'fr') {
  const mounted = await openConsole(`/organizations/${orgId}/settings`, { backend, locale })
  await screen.findByRole('heading', { level: 1, name: /Base Adresse Nationale/ })
  return { ...mounted, user: userEvent.setup() }
}

/** The text of what a field's aria-describedby points at: its hint, count and problem. */
function description(field: HTMLElement): string {
  return (field.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ')
}

function puts(backend: FakeBackend, orgId: string) {
  return backend.callsTo('PUT', `/organizations/${orgId}/settings`)
}

describe('the settings rules the console checks before sending', () => {
  it('domains: lower-cased, de-duplicated, any separator; an accented or one-label name is refused', () => {
    expect(parseDomains('Example.ORG\nexample.org, data.gouv.fr;  ign.fr')).toEqual({
      ok: true,
      value: ['example.org', 'data.gouv.fr', 'ign.fr'],
    })
    expect(parseDomains('')).toEqual({ ok: true, value: [] })
    expect(parseDomains('bücher.de')).toEqual({ ok: false, problem: { kind: 'domain', domain: 'bücher.de' } })
    expect(parseDomains('localhost')).toEqual({ ok: false, problem: { kind: 'domain', domain: 'localhost' } })
    expect(parseDomains('-bad.org')).toEqual({ ok: false, problem: { kind: 'domain', domain: '-bad.org' } })
    const twenty = Array.from({ length: 20 }, (_, i) => `d${i}.fr`).join('\n')
    expect(parseDomains(twenty).ok).toBe(true)
    expect(parseDomains(`${twenty}\nd20.fr`)).toEqual({ ok: false, problem: { kind: 'tooMany' } })
  })

  it('expiry: a whole number of days from 1 to 365', () => {
    expect(parseExpiry(' 1 ')).toBe(1)
    expect(parseExpiry('365')).toBe(365)
    for (const wrong of ['0', '366', '12.5', '-3', '', 'trente']) expect(parseExpiry(wrong), wrong).toBeNull()
  })

  it('reminders: at most 3 distinct days from 1 to 364, sorted, each before the expiry', () => {
    expect(parseReminders('7, 3, 7', 30)).toEqual({ ok: true, value: [3, 7] })
    expect(parseReminders('', 30)).toEqual({ ok: true, value: [] })
    expect(parseReminders('1, 2, 3, 4', 30)).toEqual({ ok: false, problem: { kind: 'tooMany' } })
    expect(parseReminders('3, 30', 30)).toEqual({ ok: false, problem: { kind: 'afterExpiry' } })
    expect(parseReminders('0', 30)).toEqual({ ok: false, problem: { kind: 'notDays' } })
    expect(parseReminders('365', null)).toEqual({ ok: false, problem: { kind: 'notDays' } })
    expect(parseReminders('3 jours', 30)).toEqual({ ok: false, problem: { kind: 'notDays' } })
  })

  it("finds the field an invalid_request's message names first, among those sent", () => {
    const sent = ['reminder_days', 'request_expiry_days']
    expect(fieldNamedIn('reminder_days must each be below request_expiry_days.', sent)).toBe('reminder_days')
    expect(fieldNamedIn('request_expiry_days must be from 1 to 365.', sent)).toBe('request_expiry_days')
    expect(fieldNamedIn('request_guidance must be at most 1000 characters.', sent)).toBeNull()
    expect(fieldNamedIn('The body is not valid JSON.', sent)).toBeNull()
    expect(fieldNamedIn('Something about it.', ['auto_accept_domains'])).toBe('auto_accept_domains')
  })
})

describe('organization settings', () => {
  it("an admin reaches them from the organization's page and finds the current values", async () => {
    // GIVEN Alice, admin of an organization with guidance and an auto-accepted domain
    const { backend, org } = seed()
    signInAs(alice)
    const { router } = await openConsole(`/organizations/${org.id}`, { backend })
    // WHEN she follows the settings link in Actions
    const actions = await screen.findByRole('region', { name: 'Actions' })
    await userEvent.setup().click(within(actions).getByRole('link', { name: "Paramètres de l'organisation" }))
    // THEN the settings page shows the form filled with what the API answered
    await waitForPath(router, `/organizations/${org.id}/settings`)
    expect(await screen.findByRole('heading', { level: 1, name: "Paramètres de l'organisation Base Adresse Nationale" })).toBeTruthy()
    const open = screen.getByRole('checkbox', { name: "Accepter les demandes d'adhésion" }) as HTMLInputElement
    expect(open.checked).toBe(true)
    expect((screen.getByRole('textbox', { name: 'Consignes aux demandeurs (facultatives)' }) as HTMLTextAreaElement).value).toBe(
      'Dites-nous quelle commune vous représentez.',
    )
    expect((screen.getByRole('textbox', { name: 'Domaines acceptés automatiquement' }) as HTMLTextAreaElement).value).toBe('ign.fr')
    expect(
      (screen.getByRole('combobox', { name: 'Rôle donné aux membres acceptés automatiquement' }) as HTMLSelectElement).value,
    ).toBe('editor')
    expect((screen.getByRole('textbox', { name: 'Expiration des demandes (en jours)' }) as HTMLInputElement).value).toBe('30')
    expect(
      (screen.getByRole('textbox', { name: 'Rappels aux administrateurs (jours après la demande)' }) as HTMLInputElement).value,
    ).toBe('3, 7')
    expect(screen.getByText('1 administrateur sur 1 reçoit les e-mails des demandes.')).toBeTruthy()
    expect(backend.callsTo('GET', `/organizations/${org.id}/settings`)).toHaveLength(1)
  })

  it('saving sends only what changed, and shows what the API stored', async () => {
    const { backend, org } = seed()
    signInAs(alice)
    const { user } = await openSettings(backend, org.id)
    // WHEN Alice closes requests, lengthens the expiry and adds a domain in capitals
    await user.click(screen.getByRole('checkbox', { name: "Accepter les demandes d'adhésion" }))
    const expiry = screen.getByRole('textbox', { name: 'Expiration des demandes (en jours)' })
    await user.clear(expiry)
    await user.type(expiry, '45')
    const domains = screen.getByRole('textbox', { name: 'Domaines acceptés automatiquement' })
    await user.type(domains, '{Enter}Data.Gouv.FR{Enter}ign.fr')
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    // THEN one PUT carries exactly those three fields, normalized as the service stores them
    expect(await screen.findByText('Les paramètres ont été enregistrés.')).toBeTruthy()
    expect(puts(backend, org.id).map((c) => c.body)).toEqual([
      { requests_open: false, auto_accept_domains: ['ign.fr', 'data.gouv.fr'], request_expiry_days: 45 },
    ])
    expect(backend.settingsOf(org.id)).toMatchObject({
      requests_open: false,
      request_expiry_days: 45,
      reminder_days: [3, 7],
      request_guidance: 'Dites-nous quelle commune vous représentez.',
    })
    // and the form shows the stored values
    expect((domains as HTMLTextAreaElement).value).toBe('ign.fr\ndata.gouv.fr')
  })

  it('keyboard only: Enter in a field saves the form', async () => {
    const { backend, org } = seed()
    signInAs(alice)
    const { user } = await openSettings(backend, org.id)
    const expiry = screen.getByRole('textbox', { name: 'Expiration des demandes (en jours)' })
    expiry.focus()
    await user.keyboard('{Control>}a{/Control}60{Enter}')
    expect(await screen.findByText('Les paramètres ont été enregistrés.')).toBeTruthy()
    expect(puts(backend, org.id).map((c) => c.body)).toEqual([{ request_expiry_days: 60 }])
  })

  it('nothing changed: says so and sends nothing', async () => {
    const { backend, org } = seed()
    signInAs(alice)
    const { user } = await openSettings(backend, org.id)
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    expect(await screen.findByText("Rien n'a changé.")).toBeTruthy()
    expect(puts(backend, org.id)).toHaveLength(0)
  })

  it('a wrong domain, expiry or reminder is said next to its field, focused, and nothing is sent', async () => {
    const { backend, org } = seed()
    signInAs(alice)
    const { user } = await openSettings(backend, org.id)
    const domains = screen.getByRole('textbox', { name: 'Domaines acceptés automatiquement' })
    await user.type(domains, '{Enter}bücher.de')
    const reminders = screen.getByRole('textbox', { name: 'Rappels aux administrateurs (jours après la demande)' })
    await user.clear(reminders)
    await user.type(reminders, '3, 40')
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'Corrigez les champs signalés.')
    expect(domains.getAttribute('aria-invalid')).toBe('true')
    expect(description(domains)).toContain(
      "« bücher.de » n'est pas un nom de domaine (lettres sans accent, chiffres, tirets et points).",
    )
    expect(reminders.getAttribute('aria-invalid')).toBe('true')
    expect(description(reminders)).toContain("Chaque rappel doit venir avant l'expiration (30 jours).")
    await waitFor(() => expect(document.activeElement).toBe(domains))
    expect(puts(backend, org.id)).toHaveLength(0)

    // WHEN she fixes both but types an expiry of 0
    await user.clear(domains)
    await user.clear(reminders)
    const expiry = screen.getByRole('textbox', { name: 'Expiration des demandes (en jours)' })
    await user.clear(expiry)
    await user.type(expiry, '0')
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    // THEN only the expiry is marked
    await waitFor(() => expect(expiry.getAttribute('aria-invalid')).toBe('true'))
    expect(description(expiry)).toContain('Un nombre entier de jours, de 1 à 365.')
    expect(domains.getAttribute('aria-invalid')).toBeNull()
    expect(reminders.getAttribute('aria-invalid')).toBeNull()
    expect(puts(backend, org.id)).toHaveLength(0)
  })

  it('guidance over 1000 characters is counted as one types and not sent', async () => {
    const { backend, org } = seed()
    signInAs(alice)
    const { user } = await openSettings(backend, org.id)
    const guidance = screen.getByRole('textbox', { name: 'Consignes aux demandeurs (facultatives)' })
    await user.clear(guidance)
    await user.click(guidance)
    await user.paste('a'.repeat(1001))
    expect(description(guidance)).toContain('1001 / 1000 caractères')
    expect(description(guidance)).toContain('1 caractère de trop (maximum 1000).')
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'Corrigez les champs signalés.')
    expect(puts(backend, org.id)).toHaveLength(0)
  })

  it("the API's invalid_request lands next to the field its message names", async () => {
    // GIVEN the service refuses the guidance (a character the console does not check)
    const { backend, org } = seed()
    signInAs(alice)
    const { user } = await openSettings(backend, org.id)
    backend.failures.set(`PUT /organizations/${org.id}/settings`, {
      status: 400,
      body: { code: 'invalid_request', message: 'request_guidance contains a character that is not allowed (U+202E).' },
    })
    const guidance = screen.getByRole('textbox', { name: 'Consignes aux demandeurs (facultatives)' })
    await user.clear(guidance)
    await user.type(guidance, 'Texte\u202e inversé')
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    // THEN the contract code's sentence is the field's problem, and the field has the focus
    await waitFor(() => expect(guidance.getAttribute('aria-invalid')).toBe('true'))
    expect(description(guidance)).toContain(INVALID_REQUEST)
    await waitFor(() => expect(document.activeElement).toBe(guidance))
    expect(screen.getByRole('alert').textContent).toBe('Corrigez les champs signalés.')
    expect(document.body.textContent).not.toContain('U+202E')
    expect(puts(backend, org.id)[0]?.body).toEqual({ request_guidance: 'Texte\u202e inversé' })
  })

  it('a refusal about no field (the admin lost the role) is a sentence under the form', async () => {
    const { backend, org } = seed()
    signInAs(alice)
    const { user } = await openSettings(backend, org.id)
    backend.failures.set(`PUT /organizations/${org.id}/settings`, {
      status: 403,
      body: { code: 'forbidden', message: 'Only admins may change the settings.' },
    })
    await user.click(screen.getByRole('checkbox', { name: "Accepter les demandes d'adhésion" }))
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    expect((await screen.findByRole('alert')).textContent).toBe("Vous n'avez pas le droit de faire cette action.")
  })

  it('a member who is not an admin reads the settings and cannot change them', async () => {
    const { backend, org } = seed()
    signInAs(eric)
    await openSettings(backend, org.id)
    expect(screen.getByText('Seuls les administrateurs peuvent modifier ces paramètres.')).toBeTruthy()
    expect(screen.queryByRole('textbox')).toBeNull()
    expect(screen.queryByRole('checkbox')).toBeNull()
    expect(screen.queryByRole('button', { name: 'Enregistrer' })).toBeNull()
    const terms = screen.getAllByRole('term').map((el) => el.textContent)
    const values = screen.getAllByRole('definition').map((el) => el.textContent?.trim())
    expect(Object.fromEntries(terms.map((term, i) => [term, values[i]]))).toEqual({
      "Accepter les demandes d'adhésion": 'Oui',
      'Consignes aux demandeurs (facultatives)': 'Dites-nous quelle commune vous représentez.',
      'Domaines acceptés automatiquement': 'ign.fr',
      'Rôle donné aux membres acceptés automatiquement': 'Éditeur',
      'Expiration des demandes (en jours)': '30 jours',
      'Rappels aux administrateurs (jours après la demande)': '3 jours, 7 jours',
    })
  })

  it('warns when no admin receives emails for the organization', async () => {
    // GIVEN the only admin turned admin emails off
    const { backend, org } = seed()
    backend.preferencesOf(alice.id).admin_emails = 'off'
    signInAs(eric)
    await openSettings(backend, org.id)
    // THEN every member reading the settings is told where requests still show
    expect(
      screen.getByText(
        "Aucun administrateur ne reçoit d'e-mails pour cette organisation : les demandes n'apparaissent que dans la boîte de réception (l'enveloppe).",
      ),
    ).toBeTruthy()
  })

  it('warns in English too, when the only admin muted the organization', async () => {
    const { backend, org } = seed()
    backend.preferencesOf(alice.id).muted = [org.id]
    signInAs(alice)
    await openSettings(backend, org.id, 'en')
    expect(screen.getByRole('heading', { level: 1, name: 'Settings of Base Adresse Nationale' })).toBeTruthy()
    expect(
      screen.getByText('No admin receives emails for this organization: requests only show in the inbox (the envelope).'),
    ).toBeTruthy()
    expect(screen.getByRole('checkbox', { name: 'Accept membership requests' })).toBeTruthy()
  })

  it('someone who is not a member is told so, not shown a form', async () => {
    const { backend, org } = seed()
    signInAs(nora)
    await openConsole(`/organizations/${org.id}/settings`, { backend })
    expect((await screen.findByRole('alert')).textContent).toBe("Vous n'avez pas le droit de faire cette action.")
    expect(screen.queryByRole('button', { name: 'Enregistrer' })).toBeNull()
    // and the organization's page offers her no settings link
    await openConsole(`/organizations/${org.id}`, { backend })
    await screen.findByRole('region', { name: 'Actions' })
    expect(screen.queryByRole('link', { name: "Paramètres de l'organisation" })).toBeNull()
  })
})
