import { within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'

import { alice, eric, FakeBackend, nora } from './support/backend'
import { openConsole, screen, signInAs, waitFor, waitForPath } from './support/app'

function seedWithRequests(count: number) {
  const backend = new FakeBackend()
  const org = backend.addOrganization('Base Adresse Nationale', [alice])
  const people = [nora, eric, { ...nora, id: 'u-3', name: 'Odile Roux' }]
  const requests = people.slice(0, count).map((p, i) => backend.addRequest(org, p, `Motivation ${i + 1}`))
  return { backend, org, requests }
}

describe('the envelope', () => {
  it("badge gives /me/notifications' count, and the button's name says it", async () => {
    const { backend } = seedWithRequests(3)
    signInAs(alice)
    await openConsole('/me/organizations', { backend })
    const envelope = await screen.findByRole('button', { name: 'Notifications : 3 demandes en attente' })
    expect(envelope.querySelector('.badge')?.textContent).toBe('3')
    expect(envelope.getAttribute('aria-expanded')).toBe('false')
    expect(backend.callsTo('GET', '/me/notifications')).toHaveLength(1)
  })

  it('with nothing pending: no badge, and the name is just "Notifications"', async () => {
    const { backend } = seedWithRequests(0)
    signInAs(alice)
    await openConsole('/me/organizations', { backend })
    await waitFor(() => expect(backend.callsTo('GET', '/me/notifications')).toHaveLength(1))
    const envelope = screen.getByRole('button', { name: 'Notifications' })
    expect(envelope.querySelector('.badge')).toBeNull()
  })

  it('one pending request reads in the singular, and in English when chosen', async () => {
    const { backend } = seedWithRequests(1)
    signInAs(alice)
    await openConsole('/me/organizations', { backend, locale: 'en' })
    expect(await screen.findByRole('button', { name: 'Notifications: 1 pending request' })).toBeTruthy()
  })

  it('is on every page, signed in', async () => {
    const { backend, org } = seedWithRequests(2)
    signInAs(alice)
    for (const path of ['/me/requests', '/organizations/new', `/organizations/${org.id}`]) {
      await openConsole(path, { backend })
      expect(await screen.findByRole('button', { name: /^Notifications/ })).toBeTruthy()
    }
  })

  it('opens the list of pending requests: organization, requester, date and motivation', async () => {
    const { backend } = seedWithRequests(2)
    signInAs(alice)
    await openConsole('/me/organizations', { backend })
    const user = userEvent.setup()
    const envelope = await screen.findByRole('button', { name: 'Notifications : 2 demandes en attente' })
    await user.click(envelope)
    expect(envelope.getAttribute('aria-expanded')).toBe('true')
    const panel = screen.getByRole('region', { name: 'Notifications' })
    const lines = await within(panel).findAllByRole('link')
    expect(lines).toHaveLength(2)
    const first = lines[0]?.textContent ?? ''
    expect(first).toContain("Demande d'adhésion en attente")
    expect(first).toContain('Base Adresse Nationale')
    expect(first).toContain('Nora Pétit')
    expect(first).toContain('3 février 2026')
    expect(first).toContain('Motivation 1')
    // and when nobody answering would let it expire
    expect(first).toMatch(/Expire le 5 mars 2026 à \d\d:\d\d\./)
  })

  it("a line leads to the request in its organization's Membres block", async () => {
    const { backend, org, requests } = seedWithRequests(2)
    signInAs(alice)
    const { router } = await openConsole('/me/organizations', { backend })
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: /^Notifications/ }))
    const panel = screen.getByRole('region', { name: 'Notifications' })
    const second = (await within(panel).findAllByRole('link'))[1] as HTMLElement
    // WHEN the admin clicks the second line
    await user.click(second)
    // THEN the address is the request's, the panel closed, and the request has the focus
    await waitForPath(router, `/organizations/${org.id}/membership-requests/${requests[1]?.id}`)
    expect(panel.style.display).toBe('none')
    await waitFor(() => expect((document.activeElement as HTMLElement).dataset.requestId).toBe(requests[1]?.id))
    const block = screen.getByRole('region', { name: 'Membres' })
    expect(block.contains(document.activeElement)).toBe(true)
    expect(within(block).getByRole('button', { name: 'Accepter la demande de Eric Walker' })).toBeTruthy()
  })

  it('Escape closes the list and gives the focus back to the envelope', async () => {
    const { backend } = seedWithRequests(1)
    signInAs(alice)
    await openConsole('/me/organizations', { backend })
    const user = userEvent.setup()
    const envelope = await screen.findByRole('button', { name: /^Notifications/ })
    await user.click(envelope)
    const panel = screen.getByRole('region', { name: 'Notifications' })
    await user.tab()
    expect(panel.contains(document.activeElement)).toBe(true)
    await user.keyboard('{Escape}')
    expect(envelope.getAttribute('aria-expanded')).toBe('false')
    expect(document.activeElement).toBe(envelope)
  })

  it('a decision lowers the badge', async () => {
    const { backend, org } = seedWithRequests(2)
    signInAs(alice)
    await openConsole(`/organizations/${org.id}`, { backend })
    await screen.findByRole('button', { name: 'Notifications : 2 demandes en attente' })
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Accepter la demande de Nora Pétit' }))
    expect(await screen.findByRole('button', { name: 'Notifications : 1 demande en attente' })).toBeTruthy()
  })
})
