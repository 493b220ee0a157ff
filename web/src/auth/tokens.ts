/** What a successful sign-in or refresh hands back. */
export interface Tokens {
  idToken: string
  /** Absent from a refresh answer: the one already held stays valid. */
  refreshToken?: string
}
