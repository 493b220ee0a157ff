import { within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'

import { alice, eric, FakeBackend, nora } from './support/backend'
import { openConsole, screen, signInAs, waitFor, waitForPath } from './support/app'

function puts(backend: FakeBackend) {
  return backend.callsTo('PUT', '/me/preferences')
}

async function openPreferences(backend: FakeBackend, locale: 'fr' | 'en' = 'fr') {
  const mounted = await openConsole('/me/preferences', { backend, locale })
  await screen.findByRole('group', { name: locale === 'fr' ? "E-mails d'administrateur" : 'Administrator emails' })
  return { ...mounted, user: userEvent.setup() }
}

describe('preferences', () => {
  it('everyone reaches them from the top bar and finds the current choices', async () => {
    // GIVEN Nora, who administers nothing, on her requests
    const backend = new FakeBackend()
    signInAs(nora)
    const { router } = await openConsole('/me/requests', { backend })
    // WHEN she follows "Préférences" beside her name
    await userEvent.setup().click(await screen.findByRole('link', { name: 'Préférences' }))
    // THEN the page shows the defaults the API answered
    await waitForPath(router, '/me/preferences')
    expect(await screen.findByRole('heading', { level: 1, name: 'Préférences' })).toBeTruthy()
    const emails = await screen.findByRole('group', { name: "E-mails d'administrateur" })
    const immediate = within(emails).getByRole('radio', { name: "Un e-mail par demande, dès son arrivée" }) as HTMLInputElement
    expect(immediate.checked).toBe(true)
    expect(within(emails).getAllByRole('radio').map((r) => r.parentElement?.textContent?.trim())).toEqual([
      "Un e-mail par demande, dès son arrivée",
      'Un résumé par jour',
      'Aucun e-mail (la boîte de réception seulement)',
    ])
    const language = screen.getByRole('combobox', { name: 'Langue des e-mails' }) as HTMLSelectElement
    expect(language.value).toBe('')
    expect(language.selectedOptions[0]?.textContent?.trim()).toBe('Automatique (celle de votre compte)')
    expect(screen.getByText('Aucune organisation en sourdine.')).toBeTruthy()
    expect(document.title).toBe('Préférences · Adhésion')
    expect(backend.callsTo('GET', '/me/preferences')).toHaveLength(1)
  })

  it('saving sends only what changed: a daily summary in English', async () => {
    const backend = new FakeBackend()
    signInAs(alice)
    const { user } = await openPreferences(backend)
    await user.click(screen.getByRole('radio', { name: 'Un résumé par jour' }))
    await user.selectOptions(screen.getByRole('combobox', { name: 'Langue des e-mails' }), 'en')
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    expect(await screen.findByText('Vos préférences ont été enregistrées.')).toBeTruthy()
    expect(puts(backend).map((c) => c.body)).toEqual([{ admin_emails: 'daily_digest', language: 'en' }])
    expect(backend.preferencesOf(alice.id)).toMatchObject({ admin_emails: 'daily_digest', language: 'en' })
  })

  it('back to the automatic language sends null; unchanged sends nothing', async () => {
    const backend = new FakeBackend()
    Object.assign(backend.preferencesOf(alice.id), { admin_emails: 'off', language: 'fr' })
    signInAs(alice)
    const { user } = await openPreferences(backend)
    expect((screen.getByRole('radio', { name: 'Aucun e-mail (la boîte de réception seulement)' }) as HTMLInputElement).checked).toBe(true)
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    expect(await screen.findByText("Rien n'a changé.")).toBeTruthy()
    expect(puts(backend)).toHaveLength(0)
    await user.selectOptions(screen.getByRole('combobox', { name: 'Langue des e-mails' }), '')
    await user.click(screen.getByRole('button', { name: 'Enregistrer' }))
    expect(await screen.findByText('Vos préférences ont été enregistrées.')).toBeTruthy()
    expect(puts(backend).map((c) => c.body)).toEqual([{ language: null }])
    expect(backend.preferencesOf(alice.id).language).toBeNull()
  })

  it('lists the organizations muted by an unsubscribe link and unmutes one', async () => {
    // GIVEN Alice muted two of the organizations she administers
    const backend = new FakeBackend()
    const ban = backend.addOrganization('Base Adresse Nationale', [alice])
    const cadastre = backend.addOrganization('Cadastre', [alice, eric])
    backend.preferencesOf(alice.id).muted = [ban.id, cadastre.id]
    signInAs(alice)
    const { user } = await openPreferences(backend)
    const section = screen.getByRole('region', { name: 'Organisations en sourdine' })
    expect(within(section).getAllByRole('link').map((a) => a.textContent)).toEqual(['Base Adresse Nationale', 'Cadastre'])
    // WHEN she turns the emails of Cadastre back on
    await user.click(within(section).getByRole('button', { name: 'Réactiver les e-mails pour Cadastre' }))
    // THEN the API got the remaining list, the line is gone, the page says so
    expect(await screen.findByText('Vous recevez à nouveau les e-mails pour Cadastre.')).toBeTruthy()
    expect(puts(backend).map((c) => c.body)).toEqual([{ muted_organizations: [ban.id] }])
    expect(backend.preferencesOf(alice.id).muted).toEqual([ban.id])
    expect(within(section).getAllByRole('link').map((a) => a.textContent)).toEqual(['Base Adresse Nationale'])
    // and the focus stayed in the section rather than falling to the page
    await waitFor(() => expect(document.activeElement).toBe(within(section).getByRole('heading', { level: 2 })))
    // WHEN she unmutes the last one
    await user.click(within(section).getByRole('button', { name: 'Réactiver les e-mails pour Base Adresse Nationale' }))
    expect(await within(section).findByText('Aucune organisation en sourdine.')).toBeTruthy()
    expect(puts(backend).at(-1)?.body).toEqual({ muted_organizations: [] })
  })

  it('keyboard only: arrows choose, Tab reaches Save, Enter saves', async () => {
    const backend = new FakeBackend()
    signInAs(alice)
    const { user } = await openPreferences(backend)
    const immediate = screen.getByRole('radio', { name: 'Un e-mail par demande, dès son arrivée' })
    // The checked choice is the group's one tab stop: Shift+Tab from the next field reaches it
    const language = screen.getByRole('combobox', { name: 'Langue des e-mails' })
    language.focus()
    await user.tab({ shift: true })
    expect(document.activeElement).toBe(immediate)
    await user.keyboard('{ArrowDown}')
    expect((screen.getByRole('radio', { name: 'Un résumé par jour' }) as HTMLInputElement).checked).toBe(true)
    await user.tab()
    expect(document.activeElement).toBe(language)
    await user.tab()
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Enregistrer' }))
    await user.keyboard('{Enter}')
    expect(await screen.findByText('Vos préférences ont été enregistrées.')).toBeTruthy()
    expect(puts(backend).map((c) => c.body)).toEqual([{ admin_emails: 'daily_digest' }])
  })

  it("a refusal is a sentence in the reader's language", async () => {
    const backend = new FakeBackend()
    signInAs(nora)
    const { user } = await openPreferences(backend, 'en')
    backend.failures.set('PUT /me/preferences', {
      status: 429,
      body: { code: 'too_many_requests', message: 'Slow down' },
      headers: { 'Retry-After': '30' },
    })
    await user.click(screen.getByRole('radio', { name: 'No email (the inbox only)' }))
    await user.click(screen.getByRole('button', { name: 'Save' }))
    expect((await screen.findByRole('alert')).textContent).toBe('Too many requests in a short time. Try again in 30 seconds.')
  })

  it('a page that cannot load says why', async () => {
    const backend = new FakeBackend()
    backend.failures.set('GET /me/preferences', { status: 503, body: { message: 'Service Unavailable' } })
    signInAs(nora)
    await openConsole('/me/preferences', { backend })
    expect((await screen.findByRole('alert')).textContent).toBe('Le service a rencontré une erreur. Réessayez dans un moment.')
    expect(screen.queryByRole('button', { name: 'Enregistrer' })).toBeNull()
  })
})
