/**
 * The one place that holds tokens, signs in, refreshes and signs out.
 *
 * Where tokens live, and why:
 * - the ID token (the API's bearer, one hour) is kept in memory and mirrored in
 *   sessionStorage, so that a reload or a link opened again in this tab shows the page
 *   without a new sign-in. sessionStorage is this tab's only, is emptied when the tab
 *   closes and is not shared with other tabs; a script able to read it could as well
 *   call the API from the page, so memory alone would not protect the token more. The
 *   strict Content-Security-Policy (no inline script) is what keeps scripts out.
 * - the refresh token (30 days) stays in memory only: a reload loses it, and the
 *   console then signs in again when the ID token expires (in "hosted" mode the managed
 *   login's own session makes that a redirect without a form).
 * - nothing goes to localStorage (it outlives the tab and is shared by every tab), and
 *   no token is ever put in an address: the API gets it in the Authorization header.
 */
import { computed, reactive } from 'vue'

import { config } from '../config'
import { AuthError } from './errors'
import { authorizeUrl, exchangeCode, logoutUrl, refreshWithHosted, revokeWithHosted } from './hosted'
import { type Claims, readClaims } from './jwt'
import { refreshWithPassword, revokeWithPassword, signInWithPassword } from './password'
import type { Tokens } from './tokens'

const STORAGE_KEY = 'adhesion.session'
/** Refresh this long before expiry, so that a token does not expire in flight. */
const EXPIRY_MARGIN_SECONDS = 60

interface State {
  idToken: string | null
  claims: Claims | null
}

const state = reactive<State>({ idToken: null, claims: null })
let refreshToken: string | null = null
let refreshing: Promise<string | null> | null = null

/** Navigation away from the console (the managed login); replaced in tests. */
export const browser = {
  assign(url: string): void {
    window.location.assign(url)
  },
}

export interface User {
  id: string
  name: string
}

export const currentUser = computed<User | null>(() =>
  state.claims ? { id: state.claims.sub, name: state.claims.name } : null,
)

function now(): number {
  return Date.now() / 1000
}

function establish(tokens: Tokens): void {
  const claims = readClaims(tokens.idToken)
  if (!claims) throw new AuthError('unavailable')
  state.idToken = tokens.idToken
  state.claims = claims
  if (tokens.refreshToken) refreshToken = tokens.refreshToken
  // Only the ID token is mirrored (see above); the refresh token never is.
  sessionStorage.setItem(STORAGE_KEY, tokens.idToken)
}

function forget(): void {
  state.idToken = null
  state.claims = null
  refreshToken = null
  sessionStorage.removeItem(STORAGE_KEY)
}

/** Takes back this tab's ID token after a reload, if it is still valid. */
export function restoreSession(): void {
  const stored = sessionStorage.getItem(STORAGE_KEY)
  if (!stored) return
  const claims = readClaims(stored)
  if (!claims || claims.exp <= now() + EXPIRY_MARGIN_SECONDS) {
    sessionStorage.removeItem(STORAGE_KEY)
    return
  }
  state.idToken = stored
  state.claims = claims
}

async function refresh(): Promise<string | null> {
  const token = refreshToken
  if (!token) return null
  const cfg = config()
  try {
    const tokens =
      cfg.authMode === 'hosted' ? await refreshWithHosted(cfg, token) : await refreshWithPassword(cfg, token)
    establish(tokens)
    return state.idToken
  } catch {
    forget()
    return null
  }
}

/** A valid ID token, refreshed when it is about to expire; null when signed out. */
export async function idToken(): Promise<string | null> {
  if (state.idToken && state.claims && state.claims.exp > now() + EXPIRY_MARGIN_SECONDS) return state.idToken
  // One refresh at a time: a page's parallel calls share it.
  refreshing ??= refresh().finally(() => {
    refreshing = null
  })
  const token = await refreshing
  if (!token) forget()
  return token
}

/** After the API refused the token (401): try a fresh one once. */
export async function renewAfterRefusal(): Promise<string | null> {
  state.claims = state.claims ? { ...state.claims, exp: 0 } : null
  return idToken()
}

export function isSignedIn(): boolean {
  return state.idToken !== null && state.claims !== null && state.claims.exp > now()
}

export async function signIn(email: string, password: string): Promise<void> {
  establish(await signInWithPassword(config(), email, password))
}

/** Leaves for the managed login; comes back to ``returnTo`` through /auth/callback. */
export async function beginHostedSignIn(returnTo: string, lang: string): Promise<void> {
  browser.assign(await authorizeUrl(config(), returnTo, lang))
}

/** Finishes the managed login's round trip; returns the path the person was going to. */
export async function completeHostedSignIn(params: URLSearchParams): Promise<string> {
  const { tokens, returnTo } = await exchangeCode(config(), params)
  establish(tokens)
  return returnTo
}

/** Forgets the tokens, revokes the refresh token, and in "hosted" mode ends the managed
 * login's session. Resolves with true when the browser is leaving the console. */
export async function signOut(): Promise<boolean> {
  const cfg = config()
  const token = refreshToken
  forget()
  if (cfg.authMode === 'hosted') {
    if (token) await revokeWithHosted(cfg, token)
    browser.assign(logoutUrl(cfg))
    return true
  }
  if (token) await revokeWithPassword(cfg, token)
  return false
}

/** For tests: what a new page starts with (memory empty, this tab's storage kept). */
export function resetSession(): void {
  state.idToken = null
  state.claims = null
  refreshToken = null
  refreshing = null
}
