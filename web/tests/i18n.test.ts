import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'

import { detectLocale } from '../src/i18n'
import en from '../src/i18n/en'
import fr from '../src/i18n/fr'
import { alice, FakeBackend, nora } from './support/backend'
import { openConsole, screen, signInAs } from './support/app'

describe('languages', () => {
  it('French by default, English when the browser prefers it, the saved choice first', () => {
    expect(detectLocale(null, [])).toBe('fr')
    expect(detectLocale(null, ['de-DE', 'it'])).toBe('fr')
    expect(detectLocale(null, ['en-GB', 'fr'])).toBe('en')
    expect(detectLocale(null, ['de', 'fr-CA', 'en'])).toBe('fr')
    expect(detectLocale('fr', ['en-US'])).toBe('fr')
    expect(detectLocale('en', ['fr-FR'])).toBe('en')
    expect(detectLocale('xx', ['en-US'])).toBe('en')
  })

  it('the two dictionaries have the same keys and fill the same placeholders', () => {
    expect(Object.keys(en.messages).sort()).toEqual(Object.keys(fr.messages).sort())
    expect(Object.keys(en.errors).sort()).toEqual(Object.keys(fr.errors).sort())
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
    for (const [key, french] of Object.entries(fr.messages)) {
      expect(placeholders(en.messages[key as keyof typeof fr.messages]), key).toEqual(placeholders(french))
    }
  })

  it("keeps the seed's words", () => {
    expect(fr.messages['ask.button']).toBe("Demander à rejoindre l'organisation en tant que producteur")
    expect(en.messages['ask.button']).toBe('Ask to join this organization as a producer')
    expect(fr.messages['notifications.pendingRequest']).toBe("Demande d'adhésion en attente")
    expect(fr.messages['members.title']).toBe('Membres')
    expect(fr.messages['org.actions']).toBe('Actions')
    expect(fr.messages['ask.ok']).toBe('Ok')
  })

  it('switching to English redraws the page in English and sets the document language', async () => {
    const backend = new FakeBackend()
    const org = backend.addOrganization('Base Adresse Nationale', [alice])
    signInAs(nora)
    await openConsole(`/organizations/${org.id}`, { backend })
    expect(await screen.findByRole('button', { name: "Demander à rejoindre l'organisation en tant que producteur" })).toBeTruthy()
    expect(document.documentElement.lang).toBe('fr')
    await userEvent.setup().selectOptions(screen.getByRole('combobox', { name: 'Langue' }), 'en')
    expect(await screen.findByRole('button', { name: 'Ask to join this organization as a producer' })).toBeTruthy()
    expect(screen.getByRole('region', { name: 'Members' })).toBeTruthy()
    expect(screen.getByText('1 member')).toBeTruthy()
    expect(document.documentElement.lang).toBe('en')
    expect(screen.getByRole('combobox', { name: 'Language' })).toBeTruthy()
  })

  it('the admin view in English names the buttons after the requester', async () => {
    const backend = new FakeBackend()
    const org = backend.addOrganization('Base Adresse Nationale', [alice])
    backend.addRequest(org, nora, 'motivation')
    signInAs(alice)
    await openConsole(`/organizations/${org.id}`, { backend, locale: 'en' })
    expect(await screen.findByRole('button', { name: 'Accept the request from Nora Pétit' })).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Refuse the request from Nora Pétit' })).toBeTruthy()
  })
})
