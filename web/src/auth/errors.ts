/** Why signing in failed, as a stable reason the dictionaries turn into a sentence. */
export type AuthFailure =
  | 'invalid_credentials'
  | 'password_reset_required'
  | 'user_not_confirmed'
  | 'new_password_required'
  | 'too_many_attempts'
  | 'unavailable'
  | 'state_mismatch'
  | 'hosted_refused'

export class AuthError extends Error {
  constructor(readonly reason: AuthFailure) {
    super(reason)
    this.name = 'AuthError'
  }
}
