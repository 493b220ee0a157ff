import { within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'

import { alice, eric, FakeBackend, nora } from './support/backend'
import { openConsole, screen, signInAs, waitFor, waitForPath } from './support/app'

describe('Mes demandes', () => {
  it("lists the caller's requests across organizations with their status, and withdraws a pending one", async () => {
    // GIVEN Nora asked two organizations; one refused her with a reason
    const backend = new FakeBackend()
    const ban = backend.addOrganization('Base Adresse Nationale', [alice])
    const other = backend.addOrganization('Cadastre', [eric])
    const refused = backend.addRequest(other, nora, 'Première demande', 'refused')
    refused.reason = 'Hors périmètre.'
    refused.decided_at = '2026-02-05T10:00:00+00:00'
    const pending = backend.addRequest(ban, nora, 'Deuxième demande')
    signInAs(nora)
    await openConsole('/me/requests', { backend })
    // THEN both are listed, named after their organization, with their status
    const list = await screen.findByRole('list')
    await waitFor(() => expect(list.textContent).toContain('Base Adresse Nationale'))
    expect(list.textContent).toContain('Cadastre')
    const items = within(list).getAllByRole('listitem')
    expect(items[0]?.textContent).toContain('En attente')
    expect(items[1]?.textContent).toContain('Refusée')
    expect(items[1]?.textContent).toContain('Hors périmètre.')
    // one GET per organization for its name
    expect(backend.callsTo('GET', `/organizations/${ban.id}`)).toHaveLength(1)
    // WHEN she withdraws the pending one
    await userEvent
      .setup()
      .click(within(list).getByRole('button', { name: 'Retirer ma demande pour Base Adresse Nationale' }))
    // THEN the API withdrew it and the line says so
    expect(await screen.findByText('Votre demande pour Base Adresse Nationale a été retirée.')).toBeTruthy()
    expect(pending.status).toBe('withdrawn')
    expect(items[0]?.textContent).toContain('Retirée')
    expect(within(list).queryByRole('button', { name: /Retirer ma demande/ })).toBeNull()
  })

  it('filters by status through the contract', async () => {
    const backend = new FakeBackend()
    const ban = backend.addOrganization('Base Adresse Nationale', [alice])
    backend.addRequest(ban, nora, 'x', 'refused')
    signInAs(nora)
    await openConsole('/me/requests', { backend })
    await screen.findByRole('list')
    await userEvent.setup().selectOptions(screen.getByRole('combobox', { name: 'Statut' }), 'pending')
    expect(await screen.findByText("Vous n'avez aucune demande.")).toBeTruthy()
    expect(backend.callsTo('GET', '/me/membership-requests').at(-1)?.url).toContain('status=pending')
  })
})

describe('Mes organisations and creating one', () => {
  it("lists the caller's organizations with their role, from GET /me/organizations", async () => {
    const backend = new FakeBackend()
    backend.addOrganization('Base Adresse Nationale', [alice])
    backend.addOrganization('Cadastre', [eric], [alice])
    backend.addOrganization('Ailleurs', [eric])
    signInAs(alice)
    await openConsole('/', { backend })
    expect(await screen.findByRole('heading', { level: 1, name: 'Mes organisations' })).toBeTruthy()
    const list = await screen.findByRole('list')
    const items = within(list)
      .getAllByRole('listitem')
      .map((li) => [within(li).getByRole('link').textContent?.trim(), li.querySelector('.tag')?.textContent?.trim()])
    expect(items).toEqual([
      ['Base Adresse Nationale', 'Administrateur'],
      ['Cadastre', 'Éditeur'],
    ])
  })

  it('creates an organization and opens its page, where the creator is admin', async () => {
    const backend = new FakeBackend()
    signInAs(alice)
    const { router } = await openConsole('/organizations/new', { backend })
    const user = userEvent.setup()
    await user.type(await screen.findByRole('textbox', { name: 'Nom' }), '  Régie des eaux ')
    await user.type(screen.getByRole('textbox', { name: 'Description (facultative)' }), 'Les données de l’eau.')
    await user.click(screen.getByRole('button', { name: "Créer l'organisation" }))
    expect(backend.callsTo('POST', '/organizations')[0]?.body).toEqual({
      name: 'Régie des eaux',
      description: 'Les données de l’eau.',
    })
    const org = backend.orgs[0]
    await waitForPath(router, `/organizations/${org?.id}`)
    expect(await screen.findByRole('heading', { level: 1, name: 'Régie des eaux' })).toBeTruthy()
    expect(screen.getByText('Vous êtes administrateur')).toBeTruthy()
  })

  it('a name over 120 characters is refused before sending, with the count', async () => {
    const backend = new FakeBackend()
    signInAs(alice)
    await openConsole('/organizations/new', { backend })
    const user = userEvent.setup()
    await user.click(await screen.findByRole('textbox', { name: 'Nom' }))
    await user.paste('n'.repeat(121))
    expect(screen.getByText('121 / 120 caractères')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: "Créer l'organisation" }))
    expect(screen.getByText('1 caractère de trop (maximum 120).')).toBeTruthy()
    expect(backend.callsTo('POST', '/organizations')).toHaveLength(0)
  })

  it("an unverified email is the contract's sentence, not JSON", async () => {
    const backend = new FakeBackend()
    backend.failures.set('POST /organizations', {
      status: 403,
      body: { code: 'email_not_verified', message: 'The token does not say the email address is verified' },
    })
    signInAs(alice)
    await openConsole('/organizations/new', { backend })
    const user = userEvent.setup()
    await user.type(await screen.findByRole('textbox', { name: 'Nom' }), 'X')
    await user.click(screen.getByRole('button', { name: "Créer l'organisation" }))
    expect((await screen.findByRole('alert')).textContent).toBe(
      "Votre adresse e-mail n'est pas vérifiée : vérifiez-la avant de faire cette demande.",
    )
  })
})

describe('members and leaving', () => {
  it('an admin changes a role and removes a member; the last admin cannot leave', async () => {
    const backend = new FakeBackend()
    const org = backend.addOrganization('Base Adresse Nationale', [alice], [eric])
    signInAs(alice)
    await openConsole(`/organizations/${org.id}`, { backend })
    const user = userEvent.setup()
    // Role change
    await user.selectOptions(await screen.findByRole('combobox', { name: 'Rôle de Eric Walker' }), 'admin')
    await user.click(screen.getByRole('button', { name: 'Changer le rôle de Eric Walker' }))
    expect(await screen.findByText('Eric Walker est maintenant Administrateur.')).toBeTruthy()
    expect(backend.callsTo('PUT', `/organizations/${org.id}/members/${eric.id}`)[0]?.body).toEqual({ role: 'admin' })
    // Removal, confirmed in a dialog
    await user.click(screen.getByRole('button', { name: "Retirer Eric Walker de l'organisation" }))
    const dialog = await screen.findByRole('dialog', { name: 'Retirer Eric Walker' })
    await user.click(within(dialog).getByRole('button', { name: 'Retirer ce membre' }))
    expect(await screen.findByText("Eric Walker n'est plus membre.")).toBeTruthy()
    expect(backend.callsTo('DELETE', `/organizations/${org.id}/members/${eric.id}`)).toHaveLength(1)
    await waitFor(() => expect(screen.getByText('1 membre')).toBeTruthy())
    // Leaving as the last admin: the API's last_admin, as a sentence in the dialog
    backend.failures.set(`DELETE /organizations/${org.id}/members/${alice.id}`, {
      status: 409,
      body: { code: 'last_admin', message: 'The last admin cannot leave' },
    })
    await user.click(screen.getByRole('button', { name: "Quitter l'organisation" }))
    const leave = await screen.findByRole('dialog', { name: 'Quitter Base Adresse Nationale' })
    await user.click(within(leave).getByRole('button', { name: 'Quitter' }))
    expect((await within(leave).findByRole('alert')).textContent).toBe(
      "L'organisation doit garder au moins un administrateur.",
    )
  })
})
