import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'

import { alice, FakeBackend, nora } from './support/backend'
import { openConsole, screen, waitForPath } from './support/app'

describe('tokens', () => {
  it('are never written to localStorage, and the refresh token to no storage at all', async () => {
    // GIVEN a record of every storage write
    const writes: { storage: string; key: string; value: string }[] = []
    for (const [name, storage] of [
      ['local', window.localStorage],
      ['session', window.sessionStorage],
    ] as const) {
      const setItem = storage.setItem.bind(storage)
      vi.spyOn(storage, 'setItem').mockImplementation((key: string, value: string) => {
        writes.push({ storage: name, key, value })
        setItem(key, value)
      })
    }
    const backend = new FakeBackend()
    const org = backend.addOrganization('Base Adresse Nationale', [alice])
    backend.addRequest(org, nora, 'motivation')
    // WHEN Alice signs in, opens pages, accepts a request and switches language
    const { router } = await openConsole(`/organizations/${org.id}`, { backend })
    const user = userEvent.setup()
    await user.type(await screen.findByLabelText('Adresse e-mail'), 'alice@example.org')
    await user.type(screen.getByLabelText('Mot de passe'), 'alice-pw')
    await user.click(screen.getByRole('button', { name: 'Se connecter' }))
    await user.click(await screen.findByRole('button', { name: 'Accepter la demande de Nora Pétit' }))
    await screen.findByText(/a été acceptée/)
    await user.selectOptions(screen.getByRole('combobox', { name: 'Langue' }), 'en')
    await router.push('/me/requests')
    await screen.findByRole('heading', { level: 1, name: 'My requests' })
    // THEN localStorage only ever got the language preference
    expect(writes.some((w) => w.storage === 'session' && w.key === 'adhesion.session')).toBe(true)
    expect(writes.filter((w) => w.storage === 'local').map((w) => `${w.key}=${w.value}`)).toEqual([
      'adhesion.locale=fr',
      'adhesion.locale=en',
    ])
    expect(Object.keys(localStorage)).toEqual(['adhesion.locale'])
    // and sessionStorage holds the ID token the API was sent, never the refresh token
    const idToken = sessionStorage.getItem('adhesion.session') ?? ''
    expect(backend.callsTo('GET', '/me/membership-requests')[0]?.headers.authorization).toBe(`Bearer ${idToken}`)
    const refreshTokens = [...backend.refreshTokens.keys()]
    expect(refreshTokens).toHaveLength(1)
    for (const w of writes) expect(w.value).not.toContain(refreshTokens[0])
    for (const key of Object.keys(sessionStorage)) expect(sessionStorage.getItem(key)).not.toContain(refreshTokens[0])
  })

  it('never travel in an address', async () => {
    const backend = new FakeBackend()
    const org = backend.addOrganization('Base Adresse Nationale', [alice])
    const { router } = await openConsole(`/organizations/${org.id}`, { backend })
    const user = userEvent.setup()
    await user.type(await screen.findByLabelText('Adresse e-mail'), 'alice@example.org')
    await user.type(screen.getByLabelText('Mot de passe'), 'alice-pw')
    await user.click(screen.getByRole('button', { name: 'Se connecter' }))
    await waitForPath(router, `/organizations/${org.id}`)
    await screen.findByRole('region', { name: 'Membres' })
    const idToken = sessionStorage.getItem('adhesion.session') ?? ''
    expect(idToken).toMatch(/^ey/)
    const payload = idToken.split('.')[1] ?? ''
    for (const call of backend.calls) expect(call.url).not.toContain(payload)
    expect(window.location.href).not.toContain(payload)
    // API calls send no cookie and no Referer: the token is in the Authorization header only.
    const api = backend.calls.filter((c) => c.url.startsWith('http://api.test'))
    expect(api.length).toBeGreaterThan(1)
    for (const call of api) expect(call.headers.authorization).toBe(`Bearer ${idToken}`)
  })
})
