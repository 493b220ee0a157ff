import { describe, expect, it } from 'vitest'

import { ApiError } from '../src/api/client'
import { AuthError } from '../src/auth/errors'
import { errorSentence, hasErrorSentence, type Locale, LOCALES, setLocale } from '../src/i18n'
import { contractErrorCodes, serviceErrorCodes } from './contract'

const contractCodes = contractErrorCodes()

describe('error codes become sentences', () => {
  it('finds the contract codes to check (the test reads the contract, not a copy)', () => {
    // A parse that found nothing would make every check below pass vacuously.
    expect(contractCodes.length).toBeGreaterThanOrEqual(14)
    expect(contractCodes).toContain('request_cooldown')
    expect(contractCodes).toContain('last_admin')
  })

  it.each(LOCALES)('every code in chalicelib/openapi.json has a sentence in %s', (locale: Locale) => {
    const missing = contractCodes.filter((code) => !hasErrorSentence(code, locale))
    expect(missing).toEqual([])
  })

  it.each(LOCALES)('every code the service can answer has a sentence in %s', (locale: Locale) => {
    const missing = serviceErrorCodes().filter((code) => !hasErrorSentence(code, locale))
    expect(missing).toEqual([])
  })

  it.each(contractCodes)('%s reads as a sentence in French and in English, different in each', (code) => {
    setLocale('fr')
    const french = errorSentence(new ApiError(409, code))
    setLocale('en')
    const english = errorSentence(new ApiError(409, code))
    for (const sentence of [french, english]) {
      expect(sentence).toMatch(/^[A-ZÀ-Ý].*[.!]$/s)
      expect(sentence).not.toContain(code)
      expect(sentence).not.toMatch(/[{}]/)
    }
    expect(french).not.toBe(english)
  })

  it('adds when to try again from Retry-After', () => {
    setLocale('fr')
    expect(errorSentence(new ApiError(429, 'request_cooldown', 300))).toBe(
      'Vous avez déjà demandé à rejoindre cette organisation récemment. Réessayez dans 5 minutes.',
    )
    setLocale('en')
    expect(errorSentence(new ApiError(429, 'too_many_pending_requests', 3600))).toBe(
      'You have too many pending requests. Wait for an answer or withdraw one. Try again in 1 hour.',
    )
  })

  it('an unknown code falls back on its status, never on the raw code', () => {
    setLocale('fr')
    expect(errorSentence(new ApiError(404, 'something_new'))).toBe("Ce que vous cherchez n'existe pas.")
    expect(errorSentence(new ApiError(503, 'unknown'))).toBe('Le service a rencontré une erreur. Réessayez dans un moment.')
    expect(errorSentence(new ApiError(418, 'teapot'))).toBe("Une erreur inattendue s'est produite. Réessayez dans un moment.")
    expect(errorSentence(new ApiError(0, 'network'))).toBe('Le service ne répond pas. Vérifiez votre connexion et réessayez.')
  })

  it('sign-in failures and anything else thrown are sentences too', () => {
    setLocale('en')
    expect(errorSentence(new AuthError('invalid_credentials'))).toBe('Wrong email address or password.')
    expect(errorSentence(new Error('{"code":"x"}'))).toBe('Something unexpected went wrong. Try again in a moment.')
  })
})
