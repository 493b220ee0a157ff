/** Where to go after signing in: a path of this console only, never another site
 * ("//evil.example" and "/\evil.example" are other sites to a browser). */
export function safeRedirect(raw: unknown): string {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/'
  if (raw.startsWith('/sign-in') || raw.startsWith('/auth/callback')) return '/'
  return raw
}
