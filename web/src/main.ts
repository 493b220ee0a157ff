import './styles.css'

import { createApp } from 'vue'

import { whenSignedOut } from './api/client'
import App from './App.vue'
import { takeCallbackParams } from './auth/hosted'
import { restoreSession } from './auth/session'
import ConfigErrorApp from './ConfigErrorApp.vue'
import { loadConfig } from './config'
import { createAppRouter } from './router'

// First, before any request can leak it in a Referer: the managed login's code leaves
// the address bar.
const callbackParams = takeCallbackParams(window.location, window.history)

try {
  await loadConfig()
} catch (error) {
  console.error(error)
  createApp(ConfigErrorApp).mount('#app')
  throw error
}

restoreSession()
const router = createAppRouter({ callbackParams })
whenSignedOut(() => {
  const current = router.currentRoute.value
  if (!current.meta.public) void router.push({ name: 'sign-in', query: { redirect: current.fullPath } })
})
createApp(App).use(router).mount('#app')
