/**
 * Organization names for lists whose items carry only an id (GET /me/membership-requests):
 * one GET per organization, shared by every line that names it.
 */
import { api } from './api/client'

const names = new Map<string, Promise<string | null>>()

export function organizationName(id: string): Promise<string | null> {
  let name = names.get(id)
  if (!name) {
    name = api.getOrganization(id).then(
      (organization) => organization.name,
      () => {
        names.delete(id)
        return null
      },
    )
    names.set(id, name)
  }
  return name
}

export function forgetOrganizationNames(): void {
  names.clear()
}
