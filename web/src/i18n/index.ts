/**
 * Languages: French by default, English when the person chooses it or the browser
 * prefers it. A dozen lines instead of vue-i18n (~15 KB gzipped): the console needs
 * lookups, {placeholders}, plurals (Intl.PluralRules) and dates (Intl.DateTimeFormat).
 */
import { ref, watchEffect } from 'vue'

import { ApiError } from '../api/client'
import { AuthError } from '../auth/errors'
import en from './en'
import fr, { type ErrorCode, type MessageKey } from './fr'

export type Locale = 'fr' | 'en'
export const LOCALES: readonly Locale[] = ['fr', 'en']

const dictionaries = { fr, en } as const
// A preference, not a secret: kept across visits in localStorage.
const PREFERENCE_KEY = 'adhesion.locale'

function isLocale(value: unknown): value is Locale {
  return value === 'fr' || value === 'en'
}

/** The saved choice, else the first of the browser's languages the console speaks, else French. */
export function detectLocale(
  saved: string | null = safeStorage()?.getItem(PREFERENCE_KEY) ?? null,
  languages: readonly string[] = navigator.languages ?? [navigator.language],
): Locale {
  if (isLocale(saved)) return saved
  for (const language of languages) {
    const primary = language.toLowerCase().split('-')[0]
    if (isLocale(primary)) return primary
  }
  return 'fr'
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage
  } catch {
    return null
  }
}

export const locale = ref<Locale>(detectLocale())

watchEffect(() => {
  document.documentElement.lang = locale.value
})

export function setLocale(next: Locale): void {
  locale.value = next
  safeStorage()?.setItem(PREFERENCE_KEY, next)
}

type Params = Record<string, string | number>

function fill(template: string, params?: Params): string {
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  )
}

export function t(key: MessageKey, params?: Params): string {
  return fill(dictionaries[locale.value].messages[key], params)
}

/** Plurals: ``key`` names a "{n} …" message with ".one" and ".other" forms. */
export function tn(key: string, count: number, params?: Params): string {
  const form = new Intl.PluralRules(locale.value).select(count) === 'one' ? 'one' : 'other'
  return t(`${key}.${form}` as MessageKey, { n: count, ...params })
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  return new Intl.DateTimeFormat(locale.value, { dateStyle: 'long', timeStyle: 'short' }).format(date)
}

/** "dans 5 minutes" / "in 5 minutes", for Retry-After. */
function waitFor(seconds: number): string {
  const format = new Intl.RelativeTimeFormat(locale.value, { numeric: 'always' })
  if (seconds < 90) return format.format(seconds, 'second')
  if (seconds < 3600) return format.format(Math.ceil(seconds / 60), 'minute')
  return format.format(Math.ceil(seconds / 3600), 'hour')
}

export function hasErrorSentence(code: string, language: Locale = locale.value): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(dictionaries[language].errors, code)
}

/** The sentence for an API error code in the current language. */
export function errorCodeSentence(code: string, status = 0, retryAfter: number | null = null): string {
  const errors = dictionaries[locale.value].errors
  let sentence: string
  // "unknown" is the client's word for an answer without the contract's shape: its status says more.
  if (code !== 'unknown' && hasErrorSentence(code)) sentence = errors[code]
  else if (status === 401) sentence = errors.unauthorized
  else if (status === 403) sentence = errors.forbidden
  else if (status === 404) sentence = errors.not_found
  else if (status === 429) sentence = errors.too_many_requests
  else if (status >= 500) sentence = errors.internal_error
  else sentence = errors.unknown
  if (retryAfter !== null && retryAfter > 0) sentence += ' ' + t('errors.retry', { when: waitFor(retryAfter) })
  return sentence
}

/** Whatever was thrown, as a sentence a person can read: never JSON, never a stack. */
export function errorSentence(error: unknown): string {
  if (error instanceof ApiError) return errorCodeSentence(error.code, error.status, error.retryAfter)
  if (error instanceof AuthError) return t(`signIn.failure.${error.reason}` as MessageKey)
  return dictionaries[locale.value].errors.unknown
}
