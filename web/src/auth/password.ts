/**
 * The "password" sign-in: the console's own form calls Cognito's InitiateAuth
 * (USER_PASSWORD_AUTH) directly, a plain JSON POST, so no Cognito SDK is shipped.
 * Locally the endpoint is the emulator's; the deployed client allows SRP only and uses
 * the "hosted" mode instead.
 */
import type { ConsoleConfig } from '../config'
import { AuthError } from './errors'
import type { Tokens } from './tokens'

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.'

async function cognito(config: ConsoleConfig, action: string, body: object): Promise<Record<string, unknown>> {
  let response: Response
  try {
    response = await fetch(`${config.cognitoEndpoint}/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': TARGET_PREFIX + action,
      },
      body: JSON.stringify(body),
      credentials: 'omit',
    })
  } catch {
    throw new AuthError('unavailable')
  }
  let answer: Record<string, unknown> = {}
  try {
    answer = (await response.json()) as Record<string, unknown>
  } catch {
    // An answer that is not JSON is an outage, whatever its status.
    throw new AuthError('unavailable')
  }
  if (!response.ok) throw new AuthError(failureOf(answer))
  return answer
}

/** Cognito names its errors in "__type" (sometimes prefixed with a namespace and "#"). */
function failureOf(answer: Record<string, unknown>): AuthError['reason'] {
  const type = String(answer.__type ?? '').split('#').pop()
  switch (type) {
    case 'NotAuthorizedException':
    case 'UserNotFoundException':
      return 'invalid_credentials'
    case 'PasswordResetRequiredException':
      return 'password_reset_required'
    case 'UserNotConfirmedException':
      return 'user_not_confirmed'
    case 'TooManyRequestsException':
    case 'TooManyFailedAttemptsException':
    case 'LimitExceededException':
      return 'too_many_attempts'
    default:
      return 'unavailable'
  }
}

function tokensOf(answer: Record<string, unknown>): Tokens {
  if (typeof answer.ChallengeName === 'string') {
    // A temporary password (NEW_PASSWORD_REQUIRED) or MFA: the console does not walk
    // challenges; such accounts sign in where they were created.
    throw new AuthError('new_password_required')
  }
  const result = answer.AuthenticationResult as Record<string, unknown> | undefined
  if (!result || typeof result.IdToken !== 'string') throw new AuthError('unavailable')
  return {
    idToken: result.IdToken,
    refreshToken: typeof result.RefreshToken === 'string' ? result.RefreshToken : undefined,
  }
}

export async function signInWithPassword(config: ConsoleConfig, email: string, password: string): Promise<Tokens> {
  const answer = await cognito(config, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: config.clientId,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  })
  return tokensOf(answer)
}

export async function refreshWithPassword(config: ConsoleConfig, refreshToken: string): Promise<Tokens> {
  const answer = await cognito(config, 'InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    ClientId: config.clientId,
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  })
  return tokensOf(answer)
}

/** Best effort: signing out locally must not wait on, or fail with, the provider. */
export async function revokeWithPassword(config: ConsoleConfig, refreshToken: string): Promise<void> {
  try {
    await cognito(config, 'RevokeToken', { Token: refreshToken, ClientId: config.clientId })
  } catch {
    // The tokens are forgotten anyway; an ID token left valid expires within the hour.
  }
}
