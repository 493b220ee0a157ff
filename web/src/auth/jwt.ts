/** Reading (not verifying) an ID token's claims: the API verifies every token; the
 * console only needs the caller's id and name for display, and the expiry to refresh
 * in time. */

export interface Claims {
  sub: string
  name: string
  email: string
  /** Seconds since the epoch. */
  exp: number
}

function base64UrlDecode(segment: string): Uint8Array {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/')
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4)
  const binary = atob(padded)
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

/** The token's claims, or null when it is not a JWT with a subject and an expiry. */
export function readClaims(token: string): Claims | null {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts[1]) return null
  let payload: Record<string, unknown>
  try {
    // Names are UTF-8 ("Nora Pétit"): decode the bytes, not atob's Latin-1 string.
    payload = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1])))
  } catch {
    return null
  }
  if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null
  const str = (v: unknown) => (typeof v === 'string' ? v : '')
  const name =
    str(payload.name) ||
    [str(payload.given_name), str(payload.family_name)].filter(Boolean).join(' ') ||
    str(payload['cognito:username']) ||
    payload.sub
  return { sub: payload.sub, name, email: str(payload.email), exp: payload.exp }
}
