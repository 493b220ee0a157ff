/**
 * An organization's settings as the contract constrains them (PUT
 * /organizations/{id}/settings): the console checks them as one types so that a person
 * reads what is wrong next to the field, in their language, before anything is sent.
 * The service checks them again; its refusal names the field in its message.
 */
import type { SettingsField } from './api/client'

export const SETTINGS_RULES = {
  maxDomains: 20,
  expiryDays: { min: 1, max: 365 },
  reminderDays: { min: 1, max: 364 },
  maxReminders: 3,
} as const

// The contract's pattern: lower-case, IDN-less names of at least two labels.
const DOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/

/** Whatever separates what a person types in a list: new lines, commas, semicolons, spaces. */
function words(text: string): string[] {
  return text.split(/[\s,;]+/).filter(Boolean)
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: Problem }
export type Problem =
  | { kind: 'domain'; domain: string }
  | { kind: 'tooMany' }
  | { kind: 'notDays' }
  | { kind: 'afterExpiry' }

/** One domain per line (or comma): lower-cased and de-duplicated, as the service stores them. */
export function parseDomains(text: string): Parsed<string[]> {
  const domains: string[] = []
  for (const word of words(text)) {
    const domain = word.toLowerCase()
    if (!DOMAIN.test(domain)) return { ok: false, problem: { kind: 'domain', domain: word } }
    if (!domains.includes(domain)) domains.push(domain)
  }
  if (domains.length > SETTINGS_RULES.maxDomains) return { ok: false, problem: { kind: 'tooMany' } }
  return { ok: true, value: domains }
}

function wholeNumber(text: string): number | null {
  return /^\d{1,4}$/.test(text) ? Number(text) : null
}

export function parseExpiry(text: string): number | null {
  const days = wholeNumber(text.trim())
  const { min, max } = SETTINGS_RULES.expiryDays
  return days !== null && days >= min && days <= max ? days : null
}

/** "3, 7": distinct whole days, in order, each before the expiry (when the expiry is valid). */
export function parseReminders(text: string, expiry: number | null): Parsed<number[]> {
  const days: number[] = []
  const { min, max } = SETTINGS_RULES.reminderDays
  for (const word of words(text)) {
    const day = wholeNumber(word)
    if (day === null || day < min || day > max) return { ok: false, problem: { kind: 'notDays' } }
    if (!days.includes(day)) days.push(day)
  }
  if (days.length > SETTINGS_RULES.maxReminders) return { ok: false, problem: { kind: 'tooMany' } }
  if (expiry !== null && days.some((day) => day >= expiry)) return { ok: false, problem: { kind: 'afterExpiry' } }
  return { ok: true, value: days.sort((a, b) => a - b) }
}

const FIELDS: readonly SettingsField[] = [
  'requests_open',
  'request_guidance',
  'auto_accept_domains',
  'auto_accept_role',
  'request_expiry_days',
  'reminder_days',
]

/** The field an invalid_request's message names first ("reminder_days must be below
 * request_expiry_days" is about reminder_days), among those that were sent. */
export function fieldNamedIn(detail: string, sent: readonly string[]): SettingsField | null {
  let found: SettingsField | null = null
  let at = Infinity
  for (const field of FIELDS) {
    if (!sent.includes(field)) continue
    const match = new RegExp(`\\b${field}\\b`).exec(detail)
    if (match && match.index < at) {
      found = field
      at = match.index
    }
  }
  // A message that names nothing, about a change of one field: that field.
  const only = sent.length === 1 ? FIELDS.find((field) => field === sent[0]) : undefined
  return found ?? only ?? null
}
