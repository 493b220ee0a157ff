/**
 * Mounts the whole console (App, router, guards) at an address, as a browser opening it
 * would, against a FakeBackend. Elements are then found by role and accessible name.
 */
import { screen, waitFor } from '@testing-library/dom'
import { type App as VueApp, createApp, nextTick } from 'vue'
import type { Router } from 'vue-router'
import { expect, vi } from 'vitest'

import App from '../../src/App.vue'
import { whenSignedOut } from '../../src/api/client'
import { takeCallbackParams } from '../../src/auth/hosted'
import { resetSession, restoreSession } from '../../src/auth/session'
import { type ConsoleConfig, setConfig } from '../../src/config'
import { setLocale } from '../../src/i18n'
import { resetNotifications } from '../../src/notifications'
import { forgetOrganizationNames } from '../../src/organizationNames'
import { createAppRouter } from '../../src/router'
import { FakeBackend, idTokenFor, passwordConfig, type User } from './backend'

export interface Mounted {
  app: VueApp
  router: Router
  backend: FakeBackend
  unmount: () => void
}

let mounted: Mounted | null = null

export function signInAs(user: User, lifetimeSeconds = 3600): string {
  // What the session keeps across a reload: the next start restores it.
  const token = idTokenFor(user, lifetimeSeconds)
  sessionStorage.setItem('adhesion.session', token)
  return token
}

export interface Options {
  backend?: FakeBackend
  config?: ConsoleConfig
  locale?: 'fr' | 'en'
}

/** Starts the console at ``path`` as main.ts does: callback params taken, session restored, router, mount. */
export async function openConsole(path: string, options: Options = {}): Promise<Mounted> {
  mounted?.unmount()
  const backend = options.backend ?? new FakeBackend()
  vi.stubGlobal('fetch', backend.fetch)
  setConfig(options.config ?? passwordConfig)
  setLocale(options.locale ?? 'fr')
  resetNotifications()
  forgetOrganizationNames()
  window.history.replaceState(null, '', path)
  const callbackParams = takeCallbackParams(window.location, window.history)
  resetSession()
  restoreSession()
  const router = createAppRouter({ callbackParams })
  whenSignedOut(() => {
    const current = router.currentRoute.value
    if (!current.meta.public) void router.push({ name: 'sign-in', query: { redirect: current.fullPath } })
  })
  const container = document.createElement('div')
  document.body.append(container)
  const app = createApp(App).use(router)
  app.mount(container)
  await router.isReady().catch(() => undefined)
  await nextTick()
  mounted = {
    app,
    router,
    backend,
    unmount: () => {
      app.unmount()
      container.remove()
      mounted = null
    },
  }
  return mounted
}

export function closeConsole(): void {
  mounted?.unmount()
  resetSession()
  sessionStorage.clear()
  localStorage.clear()
  document.body.innerHTML = ''
}

/** The address bar, as a person reads it. */
export async function waitForPath(router: Router, path: string): Promise<void> {
  await waitFor(() => expect(router.currentRoute.value.fullPath).toBe(path))
}

export { screen, waitFor }
