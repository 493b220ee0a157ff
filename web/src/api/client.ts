/**
 * The one module that knows the HTTP contract (chalicelib/openapi.json): every route
 * the console calls, with the types generated from the contract (src/api/schema.d.ts,
 * `npm run types`). Views call these functions and never build a URL themselves.
 */
import { idToken, renewAfterRefusal } from '../auth/session'
import { config } from '../config'
import type { components } from './schema'

type Schemas = components['schemas']
export type Member = Schemas['Member']
export type Role = Member['role']

// Issue 15's additions, written before the contract held them: each widens the generated
// type (which now says the same), so it stays compatible with schema.d.ts.
/** A request's status: the generated four, and `expired` (nobody answered in time). */
export type RequestStatus = Schemas['MembershipRequest']['status'] | 'expired'
export type MembershipRequest = Omit<Schemas['MembershipRequest'], 'status'> & {
  status: RequestStatus
  /** When a pending request expires; null when it never does, absent from an older API. */
  expires_at?: string | null
  /** Accepted at once because the caller's verified email is in an auto-accepted domain. */
  auto_accepted?: boolean
}
export type Organization = Omit<Schemas['Organization'], 'my_pending_request'> & {
  my_pending_request: MembershipRequest | null
  /** What a requester's dialog shows; absent from an older API, which took every request. */
  request_guidance?: string
  requests_open?: boolean
}
export type Decision = Omit<Schemas['Decision'], 'request'> & { request: MembershipRequest }

/** `GET`/`PUT /organizations/{id}/settings`. */
export interface OrganizationSettings {
  requests_open: boolean
  request_guidance: string
  auto_accept_domains: string[]
  auto_accept_role: Role
  request_expiry_days: number
  reminder_days: number[]
  /** How many admins receive admin emails for this organization (0: the inbox only). */
  admins_emailed: number
  admins_count: number
}
/** The six fields an admin may change: a merge, absent fields unchanged. */
export type SettingsChange = Partial<
  Pick<
    OrganizationSettings,
    | 'requests_open'
    | 'request_guidance'
    | 'auto_accept_domains'
    | 'auto_accept_role'
    | 'request_expiry_days'
    | 'reminder_days'
  >
>
export type SettingsField = keyof SettingsChange

export type AdminEmails = 'immediate' | 'daily_digest' | 'off'
export type EmailLanguage = 'fr' | 'en' | null
/** `GET`/`PUT /me/preferences`. */
export interface Preferences {
  admin_emails: AdminEmails
  language: EmailLanguage
  muted_organizations: { id: string; name: string }[]
}
export interface PreferencesChange {
  admin_emails?: AdminEmails
  language?: EmailLanguage
  /** Organization ids: the whole list, replacing the stored one. */
  muted_organizations?: string[]
}
type GeneratedNotification = Schemas['Notifications']['items'][number]
export type Notification = Omit<GeneratedNotification, 'request'> & { request: MembershipRequest }
export type Notifications = Omit<Schemas['Notifications'], 'items'> & { items: Notification[] }

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** One of the caller's organizations, as `GET /me/organizations` lists them. */
export type MyOrganization = Schemas['MyOrganization']

/** A refusal by the API, reduced to what a sentence needs: never shown raw. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The contract's stable code, "network" when no answer came, "unknown" when the
     * answer did not have the contract's error shape. */
    readonly code: string,
    /** Retry-After in seconds, when the answer had one. */
    readonly retryAfter: number | null = null,
    /** The API's own message (English, for developers): never shown, but an
     * invalid_request's names the field it refuses ("reminder_days must be …"). */
    readonly detail: string = '',
  ) {
    super(`${status} ${code}`)
    this.name = 'ApiError'
  }
}

let onSignedOut: () => void = () => {}

/** What to do when the API refuses the session and no fresh token can be had. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler
}

type Query = Record<string, string | number | null | undefined>

function address(path: string, query?: Query): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value))
  }
  const search = params.toString()
  return `${config().apiUrl}${path}${search ? `?${search}` : ''}`
}

function segment(id: string): string {
  return encodeURIComponent(id)
}

async function errorOf(response: Response): Promise<ApiError> {
  const header = response.headers.get('Retry-After')
  const retryAfter = header && /^\d+$/.test(header) ? Number(header) : null
  let code = 'unknown'
  let detail = ''
  try {
    const body = (await response.json()) as unknown
    if (typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string') {
      code = (body as { code: string }).code
      const message = (body as { message?: unknown }).message
      if (typeof message === 'string') detail = message
    }
  } catch {
    // Not JSON (a gateway page): the status decides the sentence.
  }
  return new ApiError(response.status, code, retryAfter, detail)
}

async function send(method: string, url: string, token: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  try {
    return await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      // Addresses carry organization and request ids: no Referer to the API.
      referrerPolicy: 'no-referrer',
    })
  } catch {
    throw new ApiError(0, 'network')
  }
}

async function call<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
  const url = address(path, options.query)
  let token = await idToken()
  if (!token) {
    onSignedOut()
    throw new ApiError(401, 'unauthorized')
  }
  let response = await send(method, url, token, options.body)
  if (response.status === 401) {
    token = await renewAfterRefusal()
    if (!token) {
      onSignedOut()
      throw new ApiError(401, 'unauthorized')
    }
    response = await send(method, url, token, options.body)
  }
  if (!response.ok) throw await errorOf(response)
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}

const org = (orgId: string) => `/organizations/${segment(orgId)}`
const req = (orgId: string, requestId: string) => `${org(orgId)}/membership-requests/${segment(requestId)}`

export const api = {
  createOrganization: (name: string, description: string) =>
    call<Organization>('POST', '/organizations', { body: description ? { name, description } : { name } }),
  getOrganization: (orgId: string) => call<Organization>('GET', org(orgId)),
  listMembers: (orgId: string, cursor?: string | null) =>
    call<Page<Member>>('GET', `${org(orgId)}/members`, { query: { cursor } }),
  changeRole: (orgId: string, userId: string, role: Role) =>
    call<Member>('PUT', `${org(orgId)}/members/${segment(userId)}`, { body: { role } }),
  removeMember: (orgId: string, userId: string) =>
    call<void>('DELETE', `${org(orgId)}/members/${segment(userId)}`),
  askToJoin: (orgId: string, comment: string) =>
    call<MembershipRequest>('POST', `${org(orgId)}/membership-requests`, { body: { comment } }),
  listPendingRequests: (orgId: string, cursor?: string | null) =>
    call<Page<MembershipRequest>>('GET', `${org(orgId)}/membership-requests`, {
      query: { status: 'pending', cursor },
    }),
  getRequest: (orgId: string, requestId: string) => call<MembershipRequest>('GET', req(orgId, requestId)),
  withdraw: (orgId: string, requestId: string) => call<Decision>('DELETE', req(orgId, requestId)),
  accept: (orgId: string, requestId: string, role: Role) =>
    call<Decision>('POST', `${req(orgId, requestId)}/accept`, { body: { role } }),
  refuse: (orgId: string, requestId: string, reason: string) =>
    call<Decision>('POST', `${req(orgId, requestId)}/refuse`, { body: reason ? { reason } : {} }),
  myRequests: (status?: RequestStatus | null, cursor?: string | null) =>
    call<Page<MembershipRequest>>('GET', '/me/membership-requests', { query: { status, cursor } }),
  myNotifications: () => call<Notifications>('GET', '/me/notifications'),
  myOrganizations: (cursor?: string | null) =>
    call<Page<MyOrganization>>('GET', '/me/organizations', { query: { cursor } }),
  getSettings: (orgId: string) => call<OrganizationSettings>('GET', `${org(orgId)}/settings`),
  updateSettings: (orgId: string, change: SettingsChange) =>
    call<OrganizationSettings>('PUT', `${org(orgId)}/settings`, { body: change }),
  getPreferences: () => call<Preferences>('GET', '/me/preferences'),
  updatePreferences: (change: PreferencesChange) => call<Preferences>('PUT', '/me/preferences', { body: change }),
}
