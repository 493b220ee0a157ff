import userEvent from '@testing-library/user-event'
import { within } from '@testing-library/dom'
import { describe, expect, it } from 'vitest'

import { alice, eric, FakeBackend, nora } from './support/backend'
import { openConsole, screen, signInAs, waitFor } from './support/app'

function seed() {
  const backend = new FakeBackend()
  const org = backend.addOrganization('Base Adresse Nationale', [alice], [eric], 'Le référentiel des adresses.')
  return { backend, org }
}

describe('the organization page', () => {
  it('shows the name, description and members count to anyone signed in', async () => {
    // GIVEN an organization with two members, and Nora, who is not one
    const { backend, org } = seed()
    signInAs(nora)
    // WHEN Nora opens its page
    await openConsole(`/organizations/${org.id}`, { backend })
    // THEN she reads its name, description and members count, and the members
    expect(await screen.findByRole('heading', { level: 1, name: 'Base Adresse Nationale' })).toBeTruthy()
    expect(screen.getByText('Le référentiel des adresses.')).toBeTruthy()
    expect(screen.getByText('2 membres')).toBeTruthy()
    const block = await screen.findByRole('region', { name: 'Membres' })
    await waitFor(() => expect(block.textContent).toContain('Alice Martin'))
    expect(block.textContent).toContain('Eric Walker')
  })

  it("admin view: each pending request has the green and red buttons named after the requester", async () => {
    // GIVEN Nora's pending request, and Alice, an admin
    const { backend, org } = seed()
    backend.addRequest(org, nora, 'Je produis les adresses de ma commune.')
    signInAs(alice)
    // WHEN Alice opens the organization
    await openConsole(`/organizations/${org.id}`, { backend })
    // THEN she sees the request with its motivation and both decisions
    const accept = await screen.findByRole('button', { name: 'Accepter la demande de Nora Pétit' })
    const refuse = screen.getByRole('button', { name: 'Refuser la demande de Nora Pétit' })
    expect(accept.className).toContain('btn-accept')
    expect(refuse.className).toContain('btn-refuse')
    expect(within(screen.getByRole('region', { name: 'Membres' })).getByText('Je produis les adresses de ma commune.')).toBeTruthy()
    // and the role she would give is editor unless she chooses
    const role = screen.getByRole('combobox', { name: 'Rôle attribué à Nora Pétit' }) as HTMLSelectElement
    expect(role.value).toBe('editor')
    // and no Actions button to ask to join an organization she administers
    expect(screen.queryByRole('button', { name: /Demander à rejoindre/ })).toBeNull()
  })

  it('member view: an editor sees the pending requests and no button to decide them', async () => {
    // GIVEN Nora's pending request, and Eric, an editor
    const { backend, org } = seed()
    backend.addRequest(org, nora, 'Je produis les adresses de ma commune.')
    signInAs(eric)
    // WHEN Eric opens the organization
    await openConsole(`/organizations/${org.id}`, { backend })
    // THEN he sees the request and its motivation
    expect(await screen.findByText('Je produis les adresses de ma commune.')).toBeTruthy()
    expect(screen.getByRole('heading', { name: 'Demandes en attente' })).toBeTruthy()
    // but neither decision, and a sentence saying who decides
    expect(screen.queryByRole('button', { name: /Accepter la demande/ })).toBeNull()
    expect(screen.queryByRole('button', { name: /Refuser la demande/ })).toBeNull()
    expect(screen.getByText('Seuls les administrateurs peuvent accepter ou refuser les demandes.')).toBeTruthy()
  })

  it('non-member view: the Actions section offers to join, and no pending requests are listed', async () => {
    // GIVEN Eric's request is pending (a member's view would list it)
    const { backend, org } = seed()
    const other = backend.addOrganization('Autre', [eric])
    backend.addRequest(org, { ...eric, id: 'u-x', name: 'Xavier' }, 'hidden')
    void other
    signInAs(nora)
    // WHEN Nora, not a member, opens the organization
    await openConsole(`/organizations/${org.id}`, { backend })
    // THEN the Actions section has the seed's button, and the requests are not shown
    const actions = await screen.findByRole('region', { name: 'Actions' })
    expect(actions.textContent).toContain("Demander à rejoindre l'organisation en tant que producteur")
    expect(screen.queryByText('hidden')).toBeNull()
    expect(screen.queryByRole('heading', { name: 'Demandes en attente' })).toBeNull()
    expect(backend.callsTo('GET', `/organizations/${org.id}/membership-requests`)).toHaveLength(0)
  })

  it('accepting sends the chosen role, moves the requester to the members and says so', async () => {
    // GIVEN Nora's pending request and Alice, admin, on the page
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'Je produis les adresses de ma commune.')
    signInAs(alice)
    await openConsole(`/organizations/${org.id}`, { backend })
    const user = userEvent.setup()
    // WHEN she chooses administrator and clicks the green button
    await user.selectOptions(await screen.findByRole('combobox', { name: 'Rôle attribué à Nora Pétit' }), 'admin')
    await user.click(screen.getByRole('button', { name: 'Accepter la demande de Nora Pétit' }))
    // THEN the API was asked to accept with that role
    await waitFor(() =>
      expect(backend.callsTo('POST', `/organizations/${org.id}/membership-requests/${request.id}/accept`)).toHaveLength(1),
    )
    expect(backend.callsTo('POST', `/organizations/${org.id}/membership-requests/${request.id}/accept`)[0]?.body).toEqual({
      role: 'admin',
    })
    // and the page says it, lists Nora among the members, and no longer among the requests
    expect(await screen.findByText('La demande de Nora Pétit a été acceptée (Administrateur).')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Accepter la demande de Nora Pétit' })).toBeNull()
    expect(screen.getByText('Aucune demande en attente.')).toBeTruthy()
    await waitFor(() => expect(screen.getByText('3 membres')).toBeTruthy())
    expect(screen.getByRole('region', { name: 'Membres' }).textContent).toContain('Nora Pétit')
  })

  it('after a decision on the request the page was opened on, the focus stays in the list', async () => {
    // GIVEN Alice opened Nora's request from her email
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'motivation')
    signInAs(alice)
    await openConsole(`/organizations/${org.id}/membership-requests/${request.id}`, { backend })
    await waitFor(() => expect((document.activeElement as HTMLElement).dataset.requestId).toBe(request.id))
    // WHEN she accepts it
    await userEvent.setup().click(screen.getByRole('button', { name: 'Accepter la demande de Nora Pétit' }))
    await screen.findByText('La demande de Nora Pétit a été acceptée (Éditeur).')
    // THEN the focus is on the pending requests' heading, and the block was not reloaded
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Demandes en attente'))
    expect(backend.callsTo('GET', `/organizations/${org.id}/members`)).toHaveLength(1)
    expect(backend.callsTo('GET', `/organizations/${org.id}/membership-requests/${request.id}`)).toHaveLength(0)
  })

  it('accepting without choosing gives the editor role', async () => {
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'motivation')
    signInAs(alice)
    await openConsole(`/organizations/${org.id}`, { backend })
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Accepter la demande de Nora Pétit' }))
    await waitFor(() =>
      expect(backend.callsTo('POST', `/organizations/${org.id}/membership-requests/${request.id}/accept`)[0]?.body).toEqual({
        role: 'editor',
      }),
    )
  })

  it('refusing opens a dialog whose reason is optional and sent when given', async () => {
    // GIVEN Nora's pending request and Alice on the page
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'motivation')
    signInAs(alice)
    await openConsole(`/organizations/${org.id}`, { backend })
    const user = userEvent.setup()
    // WHEN she clicks the red button, types a reason and confirms
    await user.click(await screen.findByRole('button', { name: 'Refuser la demande de Nora Pétit' }))
    const dialog = await screen.findByRole('dialog', { name: 'Refuser la demande de Nora Pétit' })
    const reason = screen.getByRole('textbox', { name: 'Motif du refus (facultatif)' })
    await waitFor(() => expect(document.activeElement).toBe(reason))
    await user.type(reason, 'Hors périmètre.')
    await user.click(screen.getByRole('button', { name: 'Confirmer le refus' }))
    // THEN the reason went to the API, the dialog closed, and the page says it
    await waitFor(() =>
      expect(backend.callsTo('POST', `/organizations/${org.id}/membership-requests/${request.id}/refuse`)[0]?.body).toEqual({
        reason: 'Hors périmètre.',
      }),
    )
    expect(await screen.findByText('La demande de Nora Pétit a été refusée.')).toBeTruthy()
    expect((dialog as HTMLDialogElement).open).toBe(false)
  })

  it('refusing without a reason sends none', async () => {
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'motivation')
    signInAs(alice)
    await openConsole(`/organizations/${org.id}`, { backend })
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Refuser la demande de Nora Pétit' }))
    await user.click(await screen.findByRole('button', { name: 'Confirmer le refus' }))
    await waitFor(() =>
      expect(backend.callsTo('POST', `/organizations/${org.id}/membership-requests/${request.id}/refuse`)[0]?.body).toEqual({}),
    )
  })

  it('a decision someone else made first is a sentence, and the list is shown as it is now', async () => {
    // GIVEN the request is decided by another admin while Alice's page is open
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'motivation')
    signInAs(alice)
    await openConsole(`/organizations/${org.id}`, { backend })
    await screen.findByRole('button', { name: 'Accepter la demande de Nora Pétit' })
    request.status = 'accepted'
    // WHEN she clicks accept
    await userEvent.setup().click(screen.getByRole('button', { name: 'Accepter la demande de Nora Pétit' }))
    // THEN she reads why it failed, in French, and the request is gone from the list
    expect(
      await screen.findByText("Cette demande n'est plus en attente : elle a déjà été traitée ou retirée."),
    ).toBeTruthy()
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Accepter la demande de Nora Pétit' })).toBeNull())
    expect(document.body.textContent).not.toContain('request_not_pending')
  })
})

describe('the request address (the admin email link)', () => {
  it('opens the organization with that request in the Membres block, focused', async () => {
    // GIVEN two pending requests
    const { backend, org } = seed()
    backend.addRequest(org, { ...eric, id: 'u-other', name: 'Odile' }, 'first')
    const request = backend.addRequest(org, nora, 'second')
    signInAs(alice)
    // WHEN Alice opens the second one's address
    await openConsole(`/organizations/${org.id}/membership-requests/${request.id}`, { backend })
    // THEN the page is the organization's, and focus is on Nora's request
    expect(await screen.findByRole('heading', { level: 1, name: 'Base Adresse Nationale' })).toBeTruthy()
    await waitFor(() => expect((document.activeElement as HTMLElement).dataset.requestId).toBe(request.id))
    expect(document.activeElement?.getAttribute('aria-current')).toBe('true')
    expect(document.activeElement?.textContent).toContain('Nora Pétit')
  })

  it('says what became of a request that is no longer pending', async () => {
    // GIVEN Nora's request, refused by Alice
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'motivation', 'refused')
    request.decided_at = '2026-02-04T10:00:00+00:00'
    request.decided_by = { id: alice.id, name: alice.name }
    request.reason = 'Hors périmètre.'
    signInAs(alice)
    // WHEN Alice opens its address
    await openConsole(`/organizations/${org.id}/membership-requests/${request.id}`, { backend })
    // THEN the Membres block says it was refused, by whom, and why
    await waitFor(() =>
      expect(document.activeElement?.textContent).toMatch(/La demande de Nora Pétit a été refusée le .* par Alice Martin\./),
    )
    expect(document.activeElement?.textContent).toContain('Hors périmètre.')
  })

  it('a request the caller may not see is a sentence, not a blank', async () => {
    const { backend, org } = seed()
    signInAs(nora)
    await openConsole(`/organizations/${org.id}/membership-requests/${'f'.repeat(32)}`, { backend })
    expect(await screen.findByText("Cette demande n'existe pas ou vous n'avez pas le droit de la voir.")).toBeTruthy()
  })
})
