/** The envelope's state, shared by the top bar and the pages whose actions change it. */
import { reactive } from 'vue'

import { api, type Notification } from './api/client'
import { isSignedIn } from './auth/session'
import { errorSentence } from './i18n'

/** Page changes refresh the badge at most this often, unless an action forces it. */
const MIN_INTERVAL_MS = 15_000

export const notifications = reactive({
  count: 0,
  items: [] as Notification[],
  loaded: false,
  error: '',
})

let last = 0
let inFlight: Promise<void> | null = null

export async function refreshNotifications(force = false): Promise<void> {
  if (!isSignedIn()) return
  if (!force && Date.now() - last < MIN_INTERVAL_MS) return
  if (inFlight) return inFlight
  last = Date.now()
  inFlight = (async () => {
    try {
      const answer = await api.myNotifications()
      notifications.count = answer.count
      notifications.items = answer.items
      notifications.error = ''
      notifications.loaded = true
    } catch (e) {
      notifications.error = errorSentence(e)
    } finally {
      inFlight = null
    }
  })()
  return inFlight
}

/** For tests and sign-out: forget the last user's inbox. */
export function resetNotifications(): void {
  notifications.count = 0
  notifications.items = []
  notifications.loaded = false
  notifications.error = ''
  last = 0
  inFlight = null
}
