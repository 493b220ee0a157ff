import { within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'

import { browser } from '../src/auth/session'
import { safeRedirect } from '../src/safeRedirect'
import { alice, DOMAIN, FakeBackend, hostedConfig, nora } from './support/backend'
import { openConsole, screen, signInAs, waitFor, waitForPath } from './support/app'

function seed() {
  const backend = new FakeBackend()
  const org = backend.addOrganization('Base Adresse Nationale', [alice])
  return { backend, org }
}

async function fillSignIn(email: string, password: string) {
  const user = userEvent.setup()
  await user.type(await screen.findByLabelText('Adresse e-mail'), email)
  await user.type(screen.getByLabelText('Mot de passe'), password)
  await user.click(screen.getByRole('button', { name: 'Se connecter' }))
}

async function sha256Base64Url(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

describe('a deep link opened without a session ("password" mode, local stack)', () => {
  it('asks to sign in first, then shows the page the link named', async () => {
    // GIVEN a fresh tab on a request's address
    const { backend, org } = seed()
    const request = backend.addRequest(org, nora, 'motivation')
    const path = `/organizations/${org.id}/membership-requests/${request.id}`
    const { router } = await openConsole(path, { backend })
    // THEN the sign-in form comes first, remembering where the person was going
    expect(await screen.findByRole('heading', { level: 1, name: 'Connexion' })).toBeTruthy()
    expect(router.currentRoute.value.query.redirect).toBe(path)
    // WHEN Alice signs in
    await fillSignIn('alice@example.org', 'alice-pw')
    // THEN Cognito was asked with USER_PASSWORD_AUTH, and she is on the request's page
    const auth = backend.calls.find((c) => c.headers['x-amz-target'] === 'AWSCognitoIdentityProviderService.InitiateAuth')
    expect(auth?.body).toMatchObject({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: 'client-1',
      AuthParameters: { USERNAME: 'alice@example.org', PASSWORD: 'alice-pw' },
    })
    expect(auth?.headers['content-type']).toBe('application/x-amz-json-1.1')
    await waitForPath(router, path)
    expect(await screen.findByRole('heading', { level: 1, name: 'Base Adresse Nationale' })).toBeTruthy()
    await waitFor(() => expect((document.activeElement as HTMLElement).dataset.requestId).toBe(request.id))
    expect(screen.getByText('Alice Martin', { selector: '.user' })).toBeTruthy()
  })

  it('a wrong password is a sentence, and the page stays the form', async () => {
    const { backend, org } = seed()
    const { router } = await openConsole(`/organizations/${org.id}`, { backend })
    await fillSignIn('alice@example.org', 'wrong')
    expect((await screen.findByRole('alert')).textContent).toBe('Adresse e-mail ou mot de passe incorrect.')
    expect(router.currentRoute.value.name).toBe('sign-in')
  })

  it('/me/requests after a reload shows the page without asking again', async () => {
    const { backend } = seed()
    signInAs(nora)
    const { router } = await openConsole('/me/requests', { backend })
    expect(await screen.findByRole('heading', { level: 1, name: 'Mes demandes' })).toBeTruthy()
    expect(router.currentRoute.value.fullPath).toBe('/me/requests')
    expect(backend.calls.filter((c) => c.url.startsWith('http://cognito.test'))).toHaveLength(0)
  })

  it('an ID token expired since the last visit means signing in again', async () => {
    const { backend } = seed()
    signInAs(nora, -10)
    const { router } = await openConsole('/me/requests', { backend })
    await waitForPath(router, '/sign-in?redirect=/me/requests')
    expect(sessionStorage.getItem('adhesion.session')).toBeNull()
  })

  it('the API refusing the session sends the person to sign in, then back', async () => {
    const { backend, org } = seed()
    signInAs(nora)
    backend.failures.set(`GET /organizations/${org.id}`, { status: 401, body: { message: 'Unauthorized' } })
    const { router } = await openConsole(`/organizations/${org.id}`, { backend })
    await waitForPath(router, `/sign-in?redirect=/organizations/${org.id}`)
  })

  it('never redirects to another site after signing in', () => {
    expect(safeRedirect('//evil.example/x')).toBe('/')
    expect(safeRedirect('/\\evil.example')).toBe('/')
    expect(safeRedirect('https://evil.example')).toBe('/')
    expect(safeRedirect('/sign-in?redirect=/x')).toBe('/')
    expect(safeRedirect('/organizations/abc?x=1')).toBe('/organizations/abc?x=1')
  })

  it('signing out forgets the session and revokes the refresh token', async () => {
    const { backend, org } = seed()
    const { router } = await openConsole(`/organizations/${org.id}`, { backend })
    await fillSignIn('alice@example.org', 'alice-pw')
    await screen.findByRole('heading', { level: 1, name: 'Base Adresse Nationale' })
    await userEvent.setup().click(screen.getByRole('button', { name: 'Se déconnecter' }))
    await waitForPath(router, '/sign-in')
    const revoke = backend.calls.find((c) => c.headers['x-amz-target'] === 'AWSCognitoIdentityProviderService.RevokeToken')
    expect(String((revoke?.body as { Token: string }).Token)).toMatch(/^refresh-u-alice-/)
    expect(sessionStorage.getItem('adhesion.session')).toBeNull()
    expect(screen.queryByRole('button', { name: /^Notifications/ })).toBeNull()
  })
})

describe('"hosted" mode (deployed): managed login, code flow with PKCE', () => {
  async function startHosted() {
    const { backend, org } = seed()
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => {})
    const path = `/organizations/${org.id}`
    await openConsole(path, { backend, config: hostedConfig })
    await waitFor(() => expect(assign).toHaveBeenCalledTimes(1))
    const url = new URL(String(assign.mock.calls[0]?.[0]))
    const pending = JSON.parse(sessionStorage.getItem('adhesion.signin') ?? '{}') as Record<string, string>
    return { backend, org, path, url, pending, assign }
  }

  it('a deep link leaves for the managed login with an S256 challenge and a state', async () => {
    const { url, pending, path } = await startHosted()
    expect(`${url.origin}${url.pathname}`).toBe(`${DOMAIN}/oauth2/authorize`)
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'http://console.test/auth/callback',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
      lang: 'fr',
      state: pending.state,
    })
    expect(url.searchParams.get('code_challenge')).toBe(await sha256Base64Url(pending.verifier ?? ''))
    expect(pending.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(pending.returnTo).toBe(path)
  })

  it('coming back: the code leaves the address bar, is traded with the verifier, and the page opens', async () => {
    const { backend, pending, path } = await startHosted()
    backend.codes.set('the-code', { user: nora, verifier_challenge: '' })
    // WHEN the managed login sends the browser back with a code
    const { router } = await openConsole(`/auth/callback?code=the-code&state=${pending.state}`, {
      backend,
      config: hostedConfig,
    })
    // THEN the code is no longer in the address, before any request was made
    expect(window.location.search).toBe('')
    // and the token endpoint got the code and this tab's verifier
    await waitForPath(router, path)
    const exchange = backend.calls.find((c) => c.url === `${DOMAIN}/oauth2/token`)
    expect(exchange?.body).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client-1',
      code: 'the-code',
      redirect_uri: 'http://console.test/auth/callback',
      code_verifier: pending.verifier,
    })
    expect(await screen.findByRole('heading', { level: 1, name: 'Base Adresse Nationale' })).toBeTruthy()
    expect(sessionStorage.getItem('adhesion.signin')).toBeNull()
    expect(backend.calls.every((c) => !c.url.includes('the-code'))).toBe(true)
  })

  it('a callback whose state this tab did not send is refused, with a sentence', async () => {
    const { backend } = await startHosted()
    backend.codes.set('the-code', { user: nora, verifier_challenge: '' })
    await openConsole('/auth/callback?code=the-code&state=forged', { backend, config: hostedConfig })
    expect((await screen.findByRole('alert')).textContent).toBe(
      'La réponse de connexion ne correspond à aucune demande de cet onglet. Recommencez la connexion.',
    )
    expect(backend.calls.find((c) => c.url === `${DOMAIN}/oauth2/token`)).toBeUndefined()
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'Se connecter à nouveau' })).toBeTruthy()
  })

  it('signing out revokes the refresh token and ends the managed login session', async () => {
    const { backend, pending, assign, path } = await startHosted()
    backend.codes.set('the-code', { user: nora, verifier_challenge: '' })
    const { router } = await openConsole(`/auth/callback?code=the-code&state=${pending.state}`, {
      backend,
      config: hostedConfig,
    })
    await waitForPath(router, path)
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Se déconnecter' }))
    await waitFor(() => expect(assign).toHaveBeenCalledTimes(2))
    const logout = new URL(String(assign.mock.calls[1]?.[0]))
    expect(`${logout.origin}${logout.pathname}`).toBe(`${DOMAIN}/logout`)
    expect(Object.fromEntries(logout.searchParams)).toEqual({ client_id: 'client-1', logout_uri: 'http://console.test/' })
    const revoke = backend.calls.find((c) => c.url === `${DOMAIN}/oauth2/revoke`)
    expect((revoke?.body as Record<string, string>).token).toMatch(/^refresh-u-nora-/)
    expect(sessionStorage.getItem('adhesion.session')).toBeNull()
  })

  it('refreshes the ID token before it expires, with the refresh token', async () => {
    const { backend, pending, path } = await startHosted()
    backend.codes.set('the-code', { user: nora, verifier_challenge: '' })
    const { router } = await openConsole(`/auth/callback?code=the-code&state=${pending.state}`, {
      backend,
      config: hostedConfig,
    })
    await waitForPath(router, path)
    const before = sessionStorage.getItem('adhesion.session')
    // WHEN the hour is almost over and the person opens another page
    vi.setSystemTime(Date.now() + 3570 * 1000)
    try {
      await router.push('/me/requests')
      await screen.findByRole('heading', { level: 1, name: 'Mes demandes' })
      // THEN a refresh_token grant was made, and the API got the new token
      const refresh = backend.calls.find((c) => (c.body as Record<string, string> | null)?.grant_type === 'refresh_token')
      expect((refresh?.body as Record<string, string>).refresh_token).toMatch(/^refresh-u-nora-/)
      const after = sessionStorage.getItem('adhesion.session')
      expect(after).not.toBe(before)
      expect(backend.callsTo('GET', '/me/membership-requests').at(-1)?.headers.authorization).toBe(`Bearer ${after}`)
    } finally {
      vi.useRealTimers()
    }
  })
})
