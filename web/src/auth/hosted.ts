/**
 * The "hosted" sign-in: Cognito's managed login with the authorization code flow and
 * PKCE (RFC 7636), the flow OAuth 2.0 for Browser-Based Apps recommends. No client
 * secret exists; the code is useless without the verifier this tab generated.
 */
import type { ConsoleConfig } from '../config'
import { AuthError } from './errors'
import type { Tokens } from './tokens'

// The verifier and state must survive the round trip through the managed login page,
// which replaces this document: sessionStorage (this tab only), removed on return.
// Neither is a token: the verifier is worthless without a code issued for it.
const PENDING_KEY = 'adhesion.signin'

interface Pending {
  state: string
  verifier: string
  returnTo: string
}

function base64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function randomString(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)))
}

async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return base64Url(new Uint8Array(digest))
}

/** The managed login's address; remembers where to come back to. */
export async function authorizeUrl(config: ConsoleConfig, returnTo: string, lang: string): Promise<string> {
  const pending: Pending = { state: randomString(16), verifier: randomString(32), returnTo }
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending))
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid email profile',
    state: pending.state,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: 'S256',
    lang,
  })
  return `${config.cognitoDomain}/oauth2/authorize?${query}`
}

function takePending(): Pending | null {
  const raw = sessionStorage.getItem(PENDING_KEY)
  sessionStorage.removeItem(PENDING_KEY)
  if (!raw) return null
  try {
    const pending = JSON.parse(raw) as Pending
    return typeof pending.state === 'string' && typeof pending.verifier === 'string' ? pending : null
  } catch {
    return null
  }
}

async function tokenEndpoint(config: ConsoleConfig, form: Record<string, string>): Promise<Tokens> {
  let response: Response
  try {
    response = await fetch(`${config.cognitoDomain}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
      credentials: 'omit',
    })
  } catch {
    throw new AuthError('unavailable')
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>
  if (!response.ok || typeof answer.id_token !== 'string') {
    throw new AuthError(answer.error === 'invalid_grant' ? 'hosted_refused' : 'unavailable')
  }
  return {
    idToken: answer.id_token,
    refreshToken: typeof answer.refresh_token === 'string' ? answer.refresh_token : undefined,
  }
}

/** Trades the code the managed login returned for tokens; gives the path to go back to. */
export async function exchangeCode(
  config: ConsoleConfig,
  params: URLSearchParams,
): Promise<{ tokens: Tokens; returnTo: string }> {
  const pending = takePending()
  if (params.has('error')) throw new AuthError('hosted_refused')
  const code = params.get('code')
  // A state that does not match the one this tab sent is a forged or replayed callback.
  if (!pending || !code || params.get('state') !== pending.state) throw new AuthError('state_mismatch')
  const tokens = await tokenEndpoint(config, {
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code,
    redirect_uri: config.redirectUri,
    code_verifier: pending.verifier,
  })
  return { tokens, returnTo: pending.returnTo }
}

export function refreshWithHosted(config: ConsoleConfig, refreshToken: string): Promise<Tokens> {
  return tokenEndpoint(config, { grant_type: 'refresh_token', client_id: config.clientId, refresh_token: refreshToken })
}

/** Best effort, as in the password mode. */
export async function revokeWithHosted(config: ConsoleConfig, refreshToken: string): Promise<void> {
  try {
    await fetch(`${config.cognitoDomain}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, client_id: config.clientId }),
      credentials: 'omit',
    })
  } catch {
    // Forgotten locally all the same.
  }
}

/** Ends the managed login's own session too, or the next sign-in would be silent. */
export function logoutUrl(config: ConsoleConfig): string {
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: config.logoutUri })
  return `${config.cognitoDomain}/logout?${query}`
}

/**
 * Takes the code and state out of the address bar before anything else runs: the code
 * must not linger in history, be bookmarked, or leave in a Referer header.
 */
export function takeCallbackParams(location: Location, history: History): URLSearchParams | null {
  if (location.pathname !== '/auth/callback') return null
  const params = new URLSearchParams(location.search)
  history.replaceState(history.state, '', '/auth/callback')
  return params
}
