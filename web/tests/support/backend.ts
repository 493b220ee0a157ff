/**
 * An in-memory stand-in for the API and Cognito, answering the console's fetch calls with
 * the contract's shapes and recording every call, so tests assert what was sent.
 * It keeps the rules the console's views depend on (who sees what, pending only once);
 * the real rules are the service's, tested in tests/ at the repository's root.
 */
import type {
  AdminEmails,
  EmailLanguage,
  Member,
  MembershipRequest,
  MyOrganization,
  OrganizationSettings,
  Role,
} from '../../src/api/client'
import type { ConsoleConfig } from '../../src/config'

export const API = 'http://api.test'
export const COGNITO = 'http://cognito.test'
export const DOMAIN = 'https://login.test'

export const passwordConfig: ConsoleConfig = {
  apiUrl: API,
  region: 'eu-west-3',
  userPoolId: 'eu-west-3_pool',
  clientId: 'client-1',
  authMode: 'password',
  cognitoEndpoint: COGNITO,
  cognitoDomain: '',
  redirectUri: '',
  logoutUri: '',
}

export const hostedConfig: ConsoleConfig = {
  ...passwordConfig,
  authMode: 'hosted',
  cognitoDomain: DOMAIN,
  redirectUri: 'http://console.test/auth/callback',
  logoutUri: 'http://console.test/',
}

export interface User {
  id: string
  name: string
  email: string
  password: string
}

export const alice: User = { id: 'u-alice', name: 'Alice Martin', email: 'alice@example.org', password: 'alice-pw' }
export const eric: User = { id: 'u-eric', name: 'Eric Walker', email: 'eric@example.org', password: 'eric-pw' }
export const nora: User = { id: 'u-nora', name: 'Nora Pétit', email: 'nora@example.org', password: 'nora-pw' }

function base64Url(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

let serial = 0

/** An unsigned ID token with the claims the console reads (the console never verifies). */
export function idTokenFor(user: User, lifetimeSeconds = 3600): string {
  serial += 1
  const claims = {
    sub: user.id,
    name: user.name,
    email: user.email,
    email_verified: true,
    token_use: 'id',
    exp: Math.floor(Date.now() / 1000) + lifetimeSeconds,
    jti: `t${serial}`,
  }
  return `${base64Url('{"alg":"RS256","kid":"k"}')}.${base64Url(JSON.stringify(claims))}.c2ln`
}

export interface Call {
  method: string
  url: string
  path: string
  headers: Record<string, string>
  body: unknown
}

interface Org {
  id: string
  name: string
  description: string
  created_at: string
}

type StoredSettings = Omit<OrganizationSettings, 'admins_emailed' | 'admins_count'>

export interface StoredPreferences {
  admin_emails: AdminEmails
  language: EmailLanguage
  muted: string[]
}

const SETTINGS_FIELDS = [
  'requests_open',
  'request_guidance',
  'auto_accept_domains',
  'auto_accept_role',
  'request_expiry_days',
  'reminder_days',
]

interface Failure {
  status: number
  body: unknown
  headers?: Record<string, string>
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  if (status === 204) return new Response(null, { status })
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
}

function contractError(status: number, code: string): Response {
  return json(status, { code, message: `(the API's English message for ${code})` })
}

export class FakeBackend {
  users: User[] = [alice, eric, nora]
  orgs: Org[] = []
  members = new Map<string, Member[]>()
  requests: MembershipRequest[] = []
  /** Each organization's settings (the service's defaults unless a test sets them). */
  settings = new Map<string, StoredSettings>()
  /** Each user's email preferences; absent: the defaults. */
  preferences = new Map<string, StoredPreferences>()
  calls: Call[] = []
  /** "METHOD /path" → the answer to give instead of the normal one. */
  failures = new Map<string, Failure>()
  /** Refresh tokens issued, and who they speak for. */
  refreshTokens = new Map<string, User>()
  /** The authorization codes the fake managed login issued. */
  codes = new Map<string, { user: User; verifier_challenge: string }>()
  private next = 0

  id(): string {
    this.next += 1
    return this.next.toString(16).padStart(32, '0')
  }

  addOrganization(name: string, admins: User[], editors: User[] = [], description = ''): Org {
    const org = { id: this.id(), name, description, created_at: '2026-01-10T09:00:00+00:00' }
    this.orgs.push(org)
    this.settings.set(org.id, {
      requests_open: true,
      request_guidance: '',
      auto_accept_domains: [],
      auto_accept_role: 'editor',
      request_expiry_days: 30,
      reminder_days: [3, 7],
    })
    this.members.set(org.id, [
      ...admins.map((u) => this.member(u, 'admin')),
      ...editors.map((u) => this.member(u, 'editor')),
    ])
    return org
  }

  member(user: User, role: Role): Member {
    return { user_id: user.id, name: user.name, role, since: '2026-01-10T09:00:00+00:00' }
  }

  addRequest(org: Org, user: User, comment: string, status: MembershipRequest['status'] = 'pending'): MembershipRequest {
    const request: MembershipRequest = {
      id: this.id(),
      organization_id: org.id,
      user: { id: user.id, name: user.name },
      comment,
      status,
      role: null,
      reason: null,
      created_at: '2026-02-03T14:30:00+00:00',
      decided_at: null,
      decided_by: null,
      expires_at: status === 'pending' ? '2026-03-05T14:30:00+00:00' : null,
      auto_accepted: false,
    }
    this.requests.push(request)
    return request
  }

  settingsOf(orgId: string): StoredSettings {
    return this.settings.get(orgId) as StoredSettings
  }

  preferencesOf(userId: string): StoredPreferences {
    let stored = this.preferences.get(userId)
    if (!stored) {
      stored = { admin_emails: 'immediate', language: null, muted: [] }
      this.preferences.set(userId, stored)
    }
    return stored
  }

  callsTo(method: string, path: string): Call[] {
    return this.calls.filter((c) => c.method === method && c.path === path)
  }

  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const method = (init.method ?? 'GET').toUpperCase()
    const headers: Record<string, string> = {}
    new Headers(init.headers).forEach((value, key) => (headers[key.toLowerCase()] = value))
    let body: unknown = init.body ?? null
    if (typeof body === 'string' && body.startsWith('{')) body = JSON.parse(body)
    else if (body instanceof URLSearchParams) body = Object.fromEntries(body)
    const parsed = new URL(url)
    const call: Call = { method, url, path: parsed.pathname, headers, body }
    this.calls.push(call)
    if (url.startsWith(COGNITO)) return this.cognito(call)
    if (url.startsWith(DOMAIN)) return this.hosted(call)
    if (url.startsWith(API)) return this.api(call, parsed)
    throw new TypeError(`no network in tests: ${url}`)
  }

  private issue(user: User): { IdToken: string; RefreshToken: string } {
    const refresh = `refresh-${user.id}-${this.id()}`
    this.refreshTokens.set(refresh, user)
    return { IdToken: idTokenFor(user), RefreshToken: refresh }
  }

  private cognito(call: Call): Response {
    const target = call.headers['x-amz-target']
    const body = call.body as Record<string, Record<string, string>>
    if (target === 'AWSCognitoIdentityProviderService.RevokeToken') {
      this.refreshTokens.delete(String((call.body as Record<string, string>).Token))
      return json(200, {})
    }
    if (target !== 'AWSCognitoIdentityProviderService.InitiateAuth') return json(400, { __type: 'InvalidAction' })
    const flow = (call.body as Record<string, string>).AuthFlow
    const params = body.AuthParameters ?? {}
    if (flow === 'USER_PASSWORD_AUTH') {
      const user = this.users.find((u) => u.email === params.USERNAME)
      if (!user || user.password !== params.PASSWORD) {
        return json(400, { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' })
      }
      const tokens = this.issue(user)
      return json(200, { AuthenticationResult: { ...tokens, AccessToken: 'access', ExpiresIn: 3600, TokenType: 'Bearer' } })
    }
    if (flow === 'REFRESH_TOKEN_AUTH') {
      const user = this.refreshTokens.get(params.REFRESH_TOKEN ?? '')
      if (!user) return json(400, { __type: 'NotAuthorizedException', message: 'Invalid Refresh Token' })
      return json(200, { AuthenticationResult: { IdToken: idTokenFor(user), AccessToken: 'access', ExpiresIn: 3600 } })
    }
    return json(400, { __type: 'InvalidParameterException' })
  }

  private hosted(call: Call): Response {
    const form = call.body as Record<string, string>
    if (call.path === '/oauth2/revoke') return json(200, {})
    if (call.path !== '/oauth2/token') return json(404, {})
    if (form.grant_type === 'authorization_code') {
      const issued = this.codes.get(form.code ?? '')
      if (!issued || !form.code_verifier) return json(400, { error: 'invalid_grant' })
      this.codes.delete(form.code ?? '')
      const tokens = this.issue(issued.user)
      return json(200, { id_token: tokens.IdToken, refresh_token: tokens.RefreshToken, access_token: 'a', expires_in: 3600 })
    }
    if (form.grant_type === 'refresh_token') {
      const user = this.refreshTokens.get(form.refresh_token ?? '')
      if (!user) return json(400, { error: 'invalid_grant' })
      return json(200, { id_token: idTokenFor(user), access_token: 'a', expires_in: 3600 })
    }
    return json(400, { error: 'unsupported_grant_type' })
  }

  private caller(call: Call): User | null {
    const token = (call.headers.authorization ?? '').replace(/^Bearer /, '')
    const payload = token.split('.')[1]
    if (!payload) return null
    try {
      const claims = JSON.parse(
        new TextDecoder().decode(
          Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
        ),
      ) as { sub: string; exp: number }
      if (claims.exp < Date.now() / 1000) return null
      return this.users.find((u) => u.id === claims.sub) ?? null
    } catch {
      return null
    }
  }

  private roleOf(orgId: string, userId: string): Role | null {
    return this.members.get(orgId)?.find((m) => m.user_id === userId)?.role ?? null
  }

  /** GET /organizations/{id}/settings' shape: the stored six and who gets admin emails. */
  private settingsView(org: Org) {
    const admins = (this.members.get(org.id) ?? []).filter((m) => m.role === 'admin')
    const emailed = admins.filter((m) => {
      const prefs = this.preferencesOf(m.user_id)
      return prefs.admin_emails !== 'off' && !prefs.muted.includes(org.id)
    })
    return { ...this.settingsOf(org.id), admins_emailed: emailed.length, admins_count: admins.length }
  }

  private preferencesView(user: User) {
    const prefs = this.preferencesOf(user.id)
    return {
      admin_emails: prefs.admin_emails,
      language: prefs.language,
      muted_organizations: prefs.muted.map((id) => ({ id, name: this.orgs.find((o) => o.id === id)?.name ?? '' })),
    }
  }

  private organization(org: Org, user: User) {
    const settings = this.settingsOf(org.id)
    return {
      ...org,
      request_guidance: settings.request_guidance,
      requests_open: settings.requests_open,
      members_count: this.members.get(org.id)?.length ?? 0,
      my_role: this.roleOf(org.id, user.id),
      my_pending_request:
        this.requests.find((r) => r.organization_id === org.id && r.user.id === user.id && r.status === 'pending') ??
        null,
    }
  }

  private api(call: Call, url: URL): Response {
    const failure = this.failures.get(`${call.method} ${call.path}`)
    if (failure) return json(failure.status, failure.body, failure.headers)
    const user = this.caller(call)
    if (!user) return json(401, { message: 'Unauthorized' })
    const parts = call.path.split('/').filter(Boolean)
    const body = (call.body ?? {}) as Record<string, string>
    const route = `${call.method} /${parts.map((p, i) => (i % 2 === 1 && !['me'].includes(parts[i - 1] ?? '') ? ':' : p)).join('/')}`

    if (call.method === 'GET' && call.path === '/me/notifications') {
      const adminOf = this.orgs.filter((o) => this.roleOf(o.id, user.id) === 'admin')
      const items = this.requests
        .filter((r) => r.status === 'pending' && adminOf.some((o) => o.id === r.organization_id))
        .map((r) => {
          const org = adminOf.find((o) => o.id === r.organization_id) as Org
          return { kind: 'membership_request', organization: { id: org.id, name: org.name }, request: r }
        })
      return json(200, { count: items.length, items })
    }
    if (call.method === 'GET' && call.path === '/me/membership-requests') {
      const status = url.searchParams.get('status')
      const items = this.requests.filter((r) => r.user.id === user.id && (!status || r.status === status)).reverse()
      return json(200, { items, next_cursor: null })
    }
    if (call.method === 'GET' && call.path === '/me/organizations') {
      const items: MyOrganization[] = this.orgs.flatMap((o) => {
        const mine = this.members.get(o.id)?.find((m) => m.user_id === user.id)
        return mine ? [{ id: o.id, name: o.name, role: mine.role, since: mine.since }] : []
      })
      return json(200, { items, next_cursor: null })
    }
    if (call.path === '/me/preferences') {
      if (call.method === 'PUT') {
        const change = (call.body ?? {}) as Record<string, unknown>
        const unknown = Object.keys(change).find((k) => !['admin_emails', 'language', 'muted_organizations'].includes(k))
        if (unknown) return json(400, { code: 'invalid_request', message: `Unknown field: ${unknown}.` })
        const prefs = this.preferencesOf(user.id)
        if (Array.isArray(change.muted_organizations)) {
          const ids = change.muted_organizations as string[]
          if (ids.some((id) => this.roleOf(id, user.id) !== 'admin')) {
            return json(400, { code: 'invalid_request', message: 'muted_organizations must be organizations you administer.' })
          }
          prefs.muted = [...ids]
        }
        if ('admin_emails' in change) prefs.admin_emails = change.admin_emails as AdminEmails
        if ('language' in change) prefs.language = change.language as EmailLanguage
      }
      return json(200, this.preferencesView(user))
    }
    if (call.method === 'POST' && call.path === '/organizations') {
      const org = this.addOrganization(body.name ?? '', [user], [], body.description ?? '')
      return json(201, this.organization(org, user), { Location: `/organizations/${org.id}` })
    }

    const org = this.orgs.find((o) => o.id === parts[1])
    if (parts[0] !== 'organizations' || !org) return contractError(404, 'organization_not_found')
    const role = this.roleOf(org.id, user.id)
    const members = this.members.get(org.id) ?? []

    switch (route) {
      case 'GET /organizations/:':
        return json(200, this.organization(org, user))
      case 'GET /organizations/:/settings':
        if (!role) return contractError(403, 'forbidden')
        return json(200, this.settingsView(org))
      case 'PUT /organizations/:/settings': {
        if (role !== 'admin') return contractError(403, 'forbidden')
        const change = (call.body ?? {}) as Record<string, unknown>
        const unknown = Object.keys(change).find((k) => !SETTINGS_FIELDS.includes(k))
        if (unknown) return json(400, { code: 'invalid_request', message: `Unknown field: ${unknown}.` })
        // The service's rules are the service's (tested at the repository's root): this merges.
        Object.assign(this.settingsOf(org.id), change)
        return json(200, this.settingsView(org))
      }
      case 'GET /organizations/:/members':
        return json(200, { items: members, next_cursor: null })
      case 'PUT /organizations/:/members/:': {
        if (role !== 'admin') return contractError(403, 'forbidden')
        const member = members.find((m) => m.user_id === parts[3])
        if (!member) return contractError(404, 'member_not_found')
        member.role = body.role as Role
        return json(200, member)
      }
      case 'DELETE /organizations/:/members/:': {
        if (role !== 'admin' && parts[3] !== user.id) return contractError(403, 'forbidden')
        this.members.set(
          org.id,
          members.filter((m) => m.user_id !== parts[3]),
        )
        return json(204, null)
      }
      case 'POST /organizations/:/membership-requests': {
        const settings = this.settingsOf(org.id)
        if (!settings.requests_open) return contractError(403, 'requests_closed')
        if (role) return contractError(409, 'already_member')
        if (this.requests.some((r) => r.organization_id === org.id && r.user.id === user.id && r.status === 'pending')) {
          return contractError(409, 'request_pending')
        }
        const request = this.addRequest(org, user, body.comment ?? '')
        request.created_at = '2026-03-01T10:00:00+00:00'
        const domain = user.email.slice(user.email.lastIndexOf('@') + 1).toLowerCase()
        if (settings.auto_accept_domains.includes(domain)) {
          // Accepted at once: the member created with the request, nobody asked.
          members.push(this.member(user, settings.auto_accept_role))
          Object.assign(request, {
            status: 'accepted',
            role: settings.auto_accept_role,
            decided_at: request.created_at,
            expires_at: null,
            auto_accepted: true,
          })
        } else {
          request.expires_at = '2026-03-31T10:00:00+00:00'
        }
        return json(201, request, { Location: `/organizations/${org.id}/membership-requests/${request.id}` })
      }
      case 'GET /organizations/:/membership-requests': {
        if (!role) return contractError(403, 'forbidden')
        const status = url.searchParams.get('status') ?? 'pending'
        return json(200, {
          items: this.requests.filter((r) => r.organization_id === org.id && r.status === status),
          next_cursor: null,
        })
      }
    }

    const request = this.requests.find((r) => r.organization_id === org.id && r.id === parts[3])
    if (!request || (!role && request.user.id !== user.id)) return contractError(404, 'request_not_found')
    const decide = (status: MembershipRequest['status'], extra: Partial<MembershipRequest> = {}) => {
      Object.assign(request, { status, decided_at: '2026-03-02T08:00:00+00:00', ...extra })
    }
    switch (route) {
      case 'GET /organizations/:/membership-requests/:':
        return json(200, request)
      case 'DELETE /organizations/:/membership-requests/:':
        if (request.user.id !== user.id) return contractError(404, 'request_not_found')
        if (request.status !== 'pending') return contractError(409, 'request_not_pending')
        decide('withdrawn')
        return json(200, { request })
      case 'POST /organizations/:/membership-requests/:/accept': {
        if (role !== 'admin') return contractError(403, 'forbidden')
        if (request.status !== 'pending') return contractError(409, 'request_not_pending')
        const requester = this.users.find((u) => u.id === request.user.id) as User
        const member = this.member(requester, (body.role as Role) ?? 'editor')
        members.push(member)
        decide('accepted', { role: member.role, decided_by: { id: user.id, name: user.name } })
        return json(200, { request, member })
      }
      case 'POST /organizations/:/membership-requests/:/refuse':
        if (role !== 'admin') return contractError(403, 'forbidden')
        if (request.status !== 'pending') return contractError(409, 'request_not_pending')
        decide('refused', { reason: body.reason ?? null, decided_by: { id: user.id, name: user.name } })
        return json(200, { request })
    }
    return contractError(404, 'not_found')
  }
}
