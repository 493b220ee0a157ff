import { within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'

import { readFileSync } from 'node:fs'

import { formatDate, setLocale } from '../src/i18n'
import { alice, FakeBackend, nora } from './support/backend'
import { webPath } from './contract'
import { openConsole, screen, signInAs, waitFor } from './support/app'

const ASK = "Demander à rejoindre l'organisation en tant que producteur"
const CLOSED = "Cette organisation n'accepte pas de demandes d'adhésion pour le moment."

function seed() {
  const backend = new FakeBackend()
  const org = backend.addOrganization('Base Adresse Nationale', [alice])
  return { backend, org }
}

/** A date as the page writes it, in the language the test reads it in. */
function shown(iso: string, locale: 'fr' | 'en' = 'fr'): string {
  setLocale(locale)
  return formatDate(iso)
}

describe('the ask dialog follows the organization settings', () => {
  it("shows the organization's guidance above the motivation", async () => {
    const { backend, org } = seed()
    backend.settingsOf(org.id).request_guidance = 'Indiquez votre commune.\nEt votre rôle.'
    signInAs(nora)
    await openConsole(`/organizations/${org.id}`, { backend })
    await userEvent.setup().click(await screen.findByRole('button', { name: ASK }))
    const dialog = await screen.findByRole('dialog', { name: 'Demander à rejoindre Base Adresse Nationale' })
    const title = within(dialog).getByRole('heading', { name: "Consignes de l'organisation" })
    expect(title.nextElementSibling?.textContent).toBe('Indiquez votre commune.\nEt votre rôle.')
    // it comes before the field, so it is read before typing
    const field = within(dialog).getByRole('textbox', { name: 'Motivation' })
    expect(title.compareDocumentPosition(field) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy()
  })

  it('without guidance the dialog shows no guidance heading', async () => {
    const { backend, org } = seed()
    signInAs(nora)
    await openConsole(`/organizations/${org.id}`, { backend })
    await userEvent.setup().click(await screen.findByRole('button', { name: ASK }))
    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).queryByRole('heading', { name: "Consignes de l'organisation" })).toBeNull()
  })

  it('requests closed: no ask button, a sentence instead', async () => {
    const { backend, org } = seed()
    backend.settingsOf(org.id).requests_open = false
    signInAs(nora)
    await openConsole(`/organizations/${org.id}`, { backend })
    const actions = await screen.findByRole('region', { name: 'Actions' })
    await waitFor(() => expect(actions.textContent).toContain(CLOSED))
    expect(within(actions).queryByRole('button')).toBeNull()
  })

  it('closed in English too', async () => {
    const { backend, org } = seed()
    backend.settingsOf(org.id).requests_open = false
    signInAs(nora)
    await openConsole(`/organizations/${org.id}`, { backend, locale: 'en' })
    const actions = await screen.findByRole('region', { name: 'Actions' })
    await waitFor(() => expect(actions.textContent).toContain('This organization does not accept membership requests at the moment.'))
    expect(within(actions).queryByRole('button', { name: 'Ask to join this organization as a producer' })).toBeNull()
  })

  it('closed after the page was drawn: the 403 requests_closed says so, and the page follows', async () => {
    // GIVEN Nora's dialog is open, and the admin closes requests meanwhile
    const { backend, org } = seed()
    signInAs(nora)
    await openConsole(`/organizations/${org.id}`, { backend })
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: ASK }))
    const dialog = (await screen.findByRole('dialog')) as HTMLDialogElement
    backend.settingsOf(org.id).requests_open = false
    // WHEN she sends her motivation
    await user.type(within(dialog).getByRole('textbox', { name: 'Motivation' }), 'Je produis des adresses.')
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }))
    // THEN the dialog says requests are closed, and nothing was written
    expect((await within(dialog).findByRole('alert')).textContent).toBe(CLOSED)
    expect(backend.requests).toHaveLength(0)
    // and once closed, the page has the sentence, focused, where the button was
    await user.keyboard('{Escape}')
    await waitFor(() => expect(dialog.open).toBe(false))
    const actions = screen.getByRole('region', { name: 'Actions' })
    expect(within(actions).queryByRole('button', { name: ASK })).toBeNull()
    // (the closed dialog keeps its alert: the sentence is the one outside it)
    const sentence = within(actions)
      .getAllByText(CLOSED)
      .find((el) => !dialog.contains(el))
    expect(sentence).toBeTruthy()
    await waitFor(() => expect(document.activeElement).toBe(sentence))
  })

  it('auto-accepted: "you are now a member", and the page becomes a member\'s', async () => {
    // GIVEN Nora's verified email is in a domain the organization accepts at once
    const { backend, org } = seed()
    Object.assign(backend.settingsOf(org.id), { auto_accept_domains: ['example.org'], auto_accept_role: 'editor' })
    signInAs(nora)
    await openConsole(`/organizations/${org.id}`, { backend })
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: ASK }))
    const dialog = (await screen.findByRole('dialog')) as HTMLDialogElement
    await user.type(within(dialog).getByRole('textbox', { name: 'Motivation' }), 'Je suis de la maison.')
    // WHEN she clicks Ok and the API answers 201 accepted
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }))
    // THEN the page says she is a member, and shows her as one
    expect(await screen.findByText("Vous êtes maintenant membre de l'organisation Base Adresse Nationale.")).toBeTruthy()
    expect(dialog.isConnected && dialog.open).toBe(false)
    expect(await screen.findByText('Vous êtes éditeur')).toBeTruthy()
    expect(screen.getByText('2 membres')).toBeTruthy()
    const block = screen.getByRole('region', { name: 'Membres' })
    await waitFor(() => expect(block.textContent).toContain('Nora Pétit'))
    expect(screen.queryByRole('button', { name: ASK })).toBeNull()
    expect(screen.queryByText("Votre demande d'adhésion est en attente.")).toBeNull()
    expect(screen.getByRole('button', { name: "Quitter l'organisation" })).toBeTruthy()
    expect(backend.requests[0]).toMatchObject({ status: 'accepted', auto_accepted: true })
    // and the focus is on the page's heading, not lost with the button
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1 })))
  })
})

describe('expiry', () => {
  it('a pending request says when it expires: on the requester\'s page', async () => {
    const { backend, org } = seed()
    signInAs(nora)
    await openConsole(`/organizations/${org.id}`, { backend })
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: ASK }))
    const dialog = await screen.findByRole('dialog')
    await user.type(within(dialog).getByRole('textbox', { name: 'Motivation' }), 'Bonjour.')
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }))
    await screen.findByText("Votre demande d'adhésion est en attente.")
    const actions = screen.getByRole('region', { name: 'Actions' })
    expect(actions.textContent).toContain(`Expire le ${shown('2026-03-31T10:00:00+00:00')}.`)
  })

  it("in the admin's Membres block and in Mes demandes", async () => {
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'Motivation')
    signInAs(alice)
    await openConsole(`/organizations/${org.id}`, { backend })
    const block = await screen.findByRole('region', { name: 'Membres' })
    const item = await within(block).findByText('Motivation')
    expect(item.closest('li')?.textContent).toContain(`Expire le ${shown(request.expires_at as string)}.`)

    signInAs(nora)
    await openConsole('/me/requests', { backend, locale: 'en' })
    const list = await screen.findByRole('list')
    await waitFor(() => expect(list.textContent).toContain(`Expires on ${shown(request.expires_at as string, 'en')}.`))
  })

  it('an expired request reads "Expirée", in its own colour, with what it means', async () => {
    const { backend, org } = seed()
    const expired = backend.addRequest(org, nora, 'Trop tard', 'expired')
    expired.decided_at = '2026-03-05T14:30:00+00:00'
    signInAs(nora)
    await openConsole('/me/requests', { backend })
    const list = await screen.findByRole('list')
    const tag = within(list).getByText('Expirée')
    expect(tag.className).toContain('tag-expired')
    expect(list.textContent).toContain(
      `Expirée le ${shown('2026-03-05T14:30:00+00:00')} : personne n'a répondu. Vous pouvez demander à nouveau.`,
    )
    expect(within(list).queryByRole('button')).toBeNull()
    // the colour is its own: neither pending's, refused's nor withdrawn's grey
    const css = readFileSync(webPath('src', 'styles.css'), 'utf8')
    expect(css).toMatch(/\.tag-expired \{[^}]*background: #f3e5dc/)
  })

  it('Mes demandes filters on expired through the contract, and says "Expired" in English', async () => {
    const { backend, org } = seed()
    backend.addRequest(org, nora, 'Trop tard', 'expired')
    backend.addRequest(org, nora, 'Encore', 'pending')
    signInAs(nora)
    await openConsole('/me/requests', { backend, locale: 'en' })
    await screen.findByRole('list')
    const user = userEvent.setup()
    const filter = screen.getByRole('combobox', { name: 'Status' }) as HTMLSelectElement
    expect([...filter.options].map((o) => o.textContent)).toEqual(['All', 'Pending', 'Accepted', 'Refused', 'Withdrawn', 'Expired'])
    await user.selectOptions(filter, 'expired')
    await waitFor(() => expect(backend.callsTo('GET', '/me/membership-requests').at(-1)?.url).toContain('status=expired'))
    const list = await screen.findByRole('list')
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(1))
    expect(list.textContent).toContain('Expired')
    expect(list.textContent).toContain('Trop tard')
  })

  it("an admin's email link to a request that expired says so in Membres", async () => {
    const { backend, org } = seed()
    const expired = backend.addRequest(org, nora, 'Trop tard', 'expired')
    signInAs(alice)
    await openConsole(`/organizations/${org.id}/membership-requests/${expired.id}`, { backend })
    const block = await screen.findByRole('region', { name: 'Membres' })
    await waitFor(() =>
      expect(block.textContent).toContain(
        `La demande de Nora Pétit, envoyée le ${shown(expired.created_at)}, a expiré sans réponse.`,
      ),
    )
  })

  it("an admin's digest link to an auto-accepted request says nobody had to decide", async () => {
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'Bonjour', 'accepted')
    Object.assign(request, { role: 'editor', auto_accepted: true, decided_at: '2026-03-01T10:00:00+00:00' })
    signInAs(alice)
    await openConsole(`/organizations/${org.id}/membership-requests/${request.id}`, { backend })
    const block = await screen.findByRole('region', { name: 'Membres' })
    const outcome = await within(block).findByText(/acceptée automatiquement/)
    // the whole sentence: no "par <nobody>"
    expect(outcome.textContent).toBe(
      `La demande de Nora Pétit a été acceptée automatiquement le ${shown('2026-03-01T10:00:00+00:00')} ` +
        "(adresse vérifiée d'un domaine accepté, Éditeur).",
    )
  })

  it('an auto-accepted request reads as such in Mes demandes', async () => {
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'Bonjour', 'accepted')
    Object.assign(request, { role: 'editor', auto_accepted: true, decided_at: '2026-03-01T10:00:00+00:00' })
    signInAs(nora)
    await openConsole('/me/requests', { backend })
    const list = await screen.findByRole('list')
    expect(list.textContent).toContain(`Acceptée automatiquement le ${shown('2026-03-01T10:00:00+00:00')} : vous êtes Éditeur.`)
  })
})
