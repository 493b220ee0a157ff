/**
 * The console's runtime configuration, fetched from /config.json at start-up.
 *
 * The same build serves every stage: what differs (the API's URL, the user pool, how
 * people sign in) is written beside index.html by `make run` locally and by the deploy.
 */

export type AuthMode = 'password' | 'hosted'

export interface ConsoleConfig {
  /** The API's root, with its stage path if any (no trailing slash needed). */
  apiUrl: string
  region: string
  userPoolId: string
  clientId: string
  /** "password": the console's own form calls InitiateAuth (local stack);
   * "hosted": Cognito's managed login, authorization code flow with PKCE (deployed). */
  authMode: AuthMode
  /** Where InitiateAuth is sent in "password" mode: the emulator locally. */
  cognitoEndpoint: string
  /** "hosted" mode: the user pool domain, e.g. https://adhesion-dev.auth.eu-west-3.amazoncognito.com */
  cognitoDomain: string
  /** "hosted" mode: this console's /auth/callback, as registered on the app client. */
  redirectUri: string
  /** "hosted" mode: where Cognito's /logout sends people back (a registered sign-out URL). */
  logoutUri: string
}

export class ConfigError extends Error {}

function text(raw: Record<string, unknown>, key: string, fallback?: string): string {
  const value = raw[key]
  if (typeof value === 'string' && value.trim() !== '') return value.trim()
  if (fallback !== undefined) return fallback
  throw new ConfigError(`config.json: "${key}" is missing`)
}

function url(value: string, key: string): string {
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new ConfigError(`config.json: "${key}" is not a URL`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`config.json: "${key}" is not an http(s) URL`)
  }
  return value.replace(/\/+$/, '')
}

/** Checks the document's shape, so that a wrong deploy fails at start-up, not at sign-in. */
export function parseConfig(raw: unknown, origin: string = window.location.origin): ConsoleConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('config.json is not an object')
  }
  const doc = raw as Record<string, unknown>
  const authMode = text(doc, 'authMode', 'password')
  if (authMode !== 'password' && authMode !== 'hosted') {
    throw new ConfigError('config.json: "authMode" is neither "password" nor "hosted"')
  }
  const region = text(doc, 'region')
  const hosted = authMode === 'hosted'
  return {
    apiUrl: url(text(doc, 'apiUrl'), 'apiUrl'),
    region,
    userPoolId: text(doc, 'userPoolId'),
    clientId: text(doc, 'clientId'),
    authMode,
    cognitoEndpoint: url(
      text(doc, 'cognitoEndpoint', `https://cognito-idp.${region}.amazonaws.com`),
      'cognitoEndpoint',
    ),
    cognitoDomain: hosted ? url(text(doc, 'cognitoDomain'), 'cognitoDomain') : '',
    redirectUri: hosted ? url(text(doc, 'redirectUri', `${origin}/auth/callback`), 'redirectUri') : '',
    logoutUri: hosted ? text(doc, 'logoutUri', `${origin}/`) : '',
  }
}

let current: ConsoleConfig | null = null

export function setConfig(config: ConsoleConfig): void {
  current = config
}

export function config(): ConsoleConfig {
  if (current === null) throw new ConfigError('the configuration is not loaded yet')
  return current
}

export async function loadConfig(): Promise<ConsoleConfig> {
  let response: Response
  try {
    // Never cached: a deploy that changes the API or the pool must reach open tabs' reloads.
    response = await fetch('/config.json', { cache: 'no-store', credentials: 'omit' })
  } catch {
    throw new ConfigError('config.json could not be fetched')
  }
  if (!response.ok) throw new ConfigError(`config.json answered ${response.status}`)
  let raw: unknown
  try {
    raw = await response.json()
  } catch {
    throw new ConfigError('config.json is not JSON')
  }
  const parsed = parseConfig(raw)
  setConfig(parsed)
  return parsed
}
