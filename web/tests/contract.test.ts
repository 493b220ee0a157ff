// @vitest-environment node
// (openapi-typescript checks its input against Node's URL class, which a DOM replaces.)
import { readFileSync } from 'node:fs'

import openapiTS, { astToString } from 'openapi-typescript'
import { describe, expect, it } from 'vitest'

import { codePoints, LIMITS } from '../src/api/limits'
import { contract, contractFileUrl, webPath } from './contract'

type Property = { minLength?: number; maxLength?: number }
const schemas = (contract.components as { schemas: Record<string, { properties: Record<string, Property> }> }).schemas

function limitsOf(schema: string, property: string) {
  const p = schemas[schema]?.properties[property]
  return { min: p?.minLength ?? 0, max: p?.maxLength }
}

describe('the console follows the contract', () => {
  it('shows the contract text limits', () => {
    expect(LIMITS.organizationName).toEqual(limitsOf('OrganizationCreate', 'name'))
    expect(LIMITS.organizationDescription).toEqual(limitsOf('OrganizationCreate', 'description'))
    expect(LIMITS.motivation).toEqual(limitsOf('MembershipRequestCreate', 'comment'))
    expect(LIMITS.refusalReason).toEqual(limitsOf('RefuseDecision', 'reason'))
    expect(LIMITS.requestGuidance).toEqual(limitsOf('OrganizationSettingsChange', 'request_guidance'))
  })

  it('counts code points as the API does', () => {
    expect(codePoints('abc')).toBe(3)
    expect(codePoints('😀é')).toBe(2)
    expect('😀'.length).toBe(2)
  })

  it('src/api/schema.d.ts is what npm run types generates from chalicelib/openapi.json', async () => {
    const generated = astToString(await openapiTS(contractFileUrl))
    const committed = readFileSync(webPath('src', 'api', 'schema.d.ts'), 'utf8')
    expect(committed.endsWith(generated), 'the contract changed: run npm run types').toBe(true)
  })
})
