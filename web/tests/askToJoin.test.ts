import { within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'

import { alice, FakeBackend, nora } from './support/backend'
import { openConsole, screen, signInAs, waitFor } from './support/app'

async function openAsNora() {
  const backend = new FakeBackend()
  const org = backend.addOrganization('Base Adresse Nationale', [alice])
  signInAs(nora)
  await openConsole(`/organizations/${org.id}`, { backend })
  const user = userEvent.setup()
  const button = await screen.findByRole('button', {
    name: "Demander à rejoindre l'organisation en tant que producteur",
  })
  await user.click(button)
  const dialog = await screen.findByRole('dialog', { name: 'Demander à rejoindre Base Adresse Nationale' })
  const motivation = within(dialog).getByRole('textbox', { name: 'Motivation' }) as HTMLTextAreaElement
  return { backend, org, user, button, dialog: dialog as HTMLDialogElement, motivation }
}

/** Typing 2,000 characters key by key is slow: paste them, as a person could. */
async function paste(user: ReturnType<typeof userEvent.setup>, field: HTMLTextAreaElement, text: string) {
  await user.click(field)
  await user.paste(text)
}

function asks(backend: FakeBackend, orgId: string) {
  return backend.callsTo('POST', `/organizations/${orgId}/membership-requests`)
}

describe('asking to join', () => {
  it('opens a modal dialog with the focus in the motivation, which states the limits', async () => {
    const { dialog, motivation } = await openAsNora()
    expect(dialog.open).toBe(true)
    await waitFor(() => expect(document.activeElement).toBe(motivation))
    // The hint and the counter are the field's description, read with it.
    const described = (motivation.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' ')
    expect(described).toContain('(1 à 2000 caractères)')
    expect(described).toContain('0 / 2000 caractères')
  })

  it('counts as one types, in code points', async () => {
    const { user, motivation, dialog } = await openAsNora()
    await user.type(motivation, 'Bonjour 😀')
    expect(within(dialog).getByText('9 / 2000 caractères')).toBeTruthy()
  })

  it('at exactly 2000 characters: no warning, and Ok sends the motivation', async () => {
    const { backend, org, user, motivation, dialog } = await openAsNora()
    await paste(user, motivation, 'a'.repeat(2000))
    expect(within(dialog).getByText('2000 / 2000 caractères')).toBeTruthy()
    expect(motivation.getAttribute('aria-invalid')).toBeNull()
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }))
    await waitFor(() => expect(asks(backend, org.id)).toHaveLength(1))
    expect(asks(backend, org.id)[0]?.body).toEqual({ comment: 'a'.repeat(2000) })
  })

  it('at 2001 characters: says one too many, marks the field invalid, and Ok sends nothing', async () => {
    const { backend, org, user, motivation, dialog } = await openAsNora()
    await paste(user, motivation, 'a'.repeat(2001))
    expect(within(dialog).getByText('2001 / 2000 caractères')).toBeTruthy()
    expect(within(dialog).getByText('1 caractère de trop (maximum 2000).')).toBeTruthy()
    expect(motivation.getAttribute('aria-invalid')).toBe('true')
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }))
    expect(asks(backend, org.id)).toHaveLength(0)
    expect(dialog.open).toBe(true)
  })

  it('a 2000-character motivation with an emoji is within the limit, as the API counts', async () => {
    const { user, motivation, dialog } = await openAsNora()
    await paste(user, motivation, 'a'.repeat(1999) + '😀')
    expect(within(dialog).getByText('2000 / 2000 caractères')).toBeTruthy()
    expect(motivation.getAttribute('aria-invalid')).toBeNull()
  })

  it('empty or blank: Ok says the field is required and sends nothing', async () => {
    const { backend, org, user, motivation, dialog } = await openAsNora()
    await user.type(motivation, '   ')
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }))
    expect(within(dialog).getByText('Ce champ est obligatoire.')).toBeTruthy()
    expect(motivation.getAttribute('aria-invalid')).toBe('true')
    expect(asks(backend, org.id)).toHaveLength(0)
  })

  it('Escape closes the dialog and gives the focus back to the button', async () => {
    const { user, button, dialog } = await openAsNora()
    await user.keyboard('{Escape}')
    await waitFor(() => expect(dialog.open).toBe(false))
    await waitFor(() => expect(document.activeElement).toBe(button))
  })

  it('Ok sends the request; the page then shows it pending with a withdraw button', async () => {
    const { backend, org, user, motivation, dialog } = await openAsNora()
    await user.type(motivation, 'Je produis les adresses de ma commune.')
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }))
    expect(await screen.findByText("Votre demande d'adhésion est en attente.")).toBeTruthy()
    expect(dialog.open).toBe(false)
    expect(asks(backend, org.id)[0]?.body).toEqual({ comment: 'Je produis les adresses de ma commune.' })
    const actions = screen.getByRole('region', { name: 'Actions' })
    expect(actions.textContent).toContain('Je produis les adresses de ma commune.')
    expect(screen.queryByRole('button', { name: /Demander à rejoindre/ })).toBeNull()
    // WHEN she withdraws it
    await user.click(within(actions).getByRole('button', { name: 'Retirer ma demande' }))
    // THEN the API withdrew it, and she may ask again
    expect(
      await screen.findByRole('button', { name: "Demander à rejoindre l'organisation en tant que producteur" }),
    ).toBeTruthy()
    const request = backend.requests[0]
    expect(request?.status).toBe('withdrawn')
    expect(backend.callsTo('DELETE', `/organizations/${org.id}/membership-requests/${request?.id}`)).toHaveLength(1)
    expect(screen.getByText('Votre demande a été retirée.')).toBeTruthy()
  })

  it("the API's refusal is shown in the dialog as a sentence, with when to try again", async () => {
    const { backend, org, user, motivation, dialog } = await openAsNora()
    backend.failures.set(`POST /organizations/${org.id}/membership-requests`, {
      status: 429,
      body: { code: 'request_cooldown', message: 'Asked too recently' },
      headers: { 'Retry-After': '240' },
    })
    await user.type(motivation, 'Encore moi.')
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }))
    const alert = await within(dialog).findByRole('alert')
    expect(alert.textContent).toBe(
      'Vous avez déjà demandé à rejoindre cette organisation récemment. Réessayez dans 4 minutes.',
    )
    expect(dialog.textContent).not.toContain('request_cooldown')
    expect(dialog.textContent).not.toContain('{')
  })
})
