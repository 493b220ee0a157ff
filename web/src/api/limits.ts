/**
 * The contract's text limits, in code points (schemas OrganizationCreate,
 * MembershipRequestCreate, RefuseDecision, OrganizationSettingsChange). Copied rather than
 * imported so the contract stays out of the bundle; tests/contract.test.ts fails when they drift.
 */
export const LIMITS = {
  organizationName: { min: 1, max: 120 },
  organizationDescription: { min: 0, max: 2000 },
  motivation: { min: 1, max: 2000 },
  refusalReason: { min: 0, max: 2000 },
  requestGuidance: { min: 0, max: 1000 },
} as const

/** Length as the API counts it: code points as sent, not UTF-16 units ("😀" is one). */
export function codePoints(text: string): number {
  let count = 0
  for (const _ of text) count++
  return count
}
