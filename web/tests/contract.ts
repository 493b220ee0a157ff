/** What the tests read from the service's own files, so the console cannot drift from them. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

// Paths, not URLs: the DOM environment replaces the global URL class.
const root = join(import.meta.dirname, '..', '..')

export const contractPath = join(root, 'chalicelib', 'openapi.json')
export const contractFileUrl = pathToFileURL(contractPath)
export const contract = JSON.parse(readFileSync(contractPath, 'utf8')) as Record<string, unknown>
export const webPath = (...parts: string[]) => join(root, 'web', ...parts)

/** Every error code the contract names: "(code: a, b)" in a response's description, an
 * enum on Error.code, or a "code" in an example. */
export function contractErrorCodes(): string[] {
  const codes = new Set<string>()
  const visit = (node: unknown, key = ''): void => {
    if (Array.isArray(node)) return node.forEach((item) => visit(item, key))
    if (typeof node === 'string') {
      if (key === 'description') {
        for (const match of node.matchAll(/\(code: ([a-z_, ]+)\)/g)) {
          for (const code of (match[1] ?? '').split(',')) codes.add(code.trim())
        }
      }
      return
    }
    if (typeof node !== 'object' || node === null) return
    const object = node as Record<string, unknown>
    if ((key === 'example' || key === 'value') && typeof object.code === 'string') codes.add(object.code)
    for (const [k, v] of Object.entries(object)) visit(v, k)
  }
  visit(contract)
  const errorSchema = (contract.components as { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> })
    .schemas.Error
  for (const code of errorSchema?.properties.code?.enum ?? []) codes.add(code)
  return [...codes].filter(Boolean).sort()
}

/** The codes the service can answer beyond the contract's list: each domain error's
 * (chalicelib/errors.py) and those Chalice's own answers are translated to (http.py). */
export function serviceErrorCodes(): string[] {
  const errors = readFileSync(join(root, 'chalicelib', 'errors.py'), 'utf8')
  const http = readFileSync(join(root, 'chalicelib', 'api', 'http.py'), 'utf8')
  const codes = new Set<string>()
  for (const match of errors.matchAll(/^\s+code = "([a-z_]+)"/gm)) codes.add(match[1] as string)
  codes.delete('domain_error') // the base class: never raised itself
  const chalice = http.match(/_CHALICE_CODES = \{([^}]*)\}/s)?.[1] ?? ''
  for (const match of chalice.matchAll(/:\s*"([a-z_]+)"/g)) codes.add(match[1] as string)
  codes.add('error') // normalize_errors' fallback
  return [...codes].sort()
}
