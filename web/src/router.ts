/**
 * History-mode routes: the addresses the emails use (/organizations/{id},
 * /organizations/{id}/membership-requests/{request_id}) and /me/requests work when
 * opened directly; the static server answers every path with index.html. A page that
 * needs a session signs in first and comes back.
 */
import { nextTick } from 'vue'
import {
  createRouter,
  createWebHistory,
  type RouterHistory,
  START_LOCATION,
} from 'vue-router'

import { beginHostedSignIn, idToken, isSignedIn } from './auth/session'
import { config } from './config'
import { locale, t } from './i18n'
import type { MessageKey } from './i18n/fr'
import { refreshNotifications } from './notifications'
import { safeRedirect } from './safeRedirect'
import { setPageTitle } from './title'
import AuthCallbackView from './views/AuthCallbackView.vue'
import CreateOrganizationView from './views/CreateOrganizationView.vue'
import MyOrganizationsView from './views/MyOrganizationsView.vue'
import MyRequestsView from './views/MyRequestsView.vue'
import NotFoundView from './views/NotFoundView.vue'
import OrganizationView from './views/OrganizationView.vue'
import PreferencesView from './views/PreferencesView.vue'
import SettingsView from './views/SettingsView.vue'
import SignInView from './views/SignInView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Shown without a session. */
    public?: boolean
    /** The tab's title, when the page does not set its own. */
    title?: MessageKey
  }
}

export interface RouterOptions {
  history?: RouterHistory
  /** The managed login's answer, taken out of the address bar at start-up. */
  callbackParams?: URLSearchParams | null
}

export function createAppRouter(options: RouterOptions = {}) {
  const router = createRouter({
    history: options.history ?? createWebHistory(),
    // Views are in the entry chunk on purpose: a first visit downloads everything once,
    // and scripts/size.mjs measures exactly that.
    routes: [
      { path: '/', redirect: '/me/organizations' },
      { path: '/sign-in', name: 'sign-in', component: SignInView, meta: { public: true, title: 'signIn.title' } },
      {
        path: '/auth/callback',
        name: 'auth-callback',
        component: AuthCallbackView,
        props: () => ({ params: options.callbackParams ?? null }),
        meta: { public: true, title: 'signIn.title' },
      },
      { path: '/me/organizations', name: 'my-organizations', component: MyOrganizationsView, meta: { title: 'myOrganizations.title' } },
      { path: '/me/requests', name: 'my-requests', component: MyRequestsView, meta: { title: 'myRequests.title' } },
      { path: '/me/preferences', name: 'preferences', component: PreferencesView, meta: { title: 'preferences.title' } },
      {
        path: '/organizations/new',
        name: 'create-organization',
        component: CreateOrganizationView,
        meta: { title: 'createOrganization.title' },
      },
      { path: '/organizations/:orgId', name: 'organization', component: OrganizationView, props: true },
      { path: '/organizations/:orgId/settings', name: 'organization-settings', component: SettingsView, props: true },
      {
        path: '/organizations/:orgId/membership-requests/:requestId',
        name: 'organization-request',
        component: OrganizationView,
        props: true,
      },
      { path: '/:path(.*)*', name: 'not-found', component: NotFoundView, meta: { public: true, title: 'notFound.title' } },
    ],
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })

  router.beforeEach(async (to) => {
    if (to.meta.public) {
      if (to.name === 'sign-in' && isSignedIn()) return safeRedirect(to.query.redirect)
      return true
    }
    if (await idToken()) return true
    if (config().authMode === 'hosted') {
      await beginHostedSignIn(to.fullPath, locale.value)
      return false
    }
    return { name: 'sign-in', query: { redirect: to.fullPath } }
  })

  router.afterEach((to, from, failure) => {
    if (failure) return
    if (to.meta.title) setPageTitle(t(to.meta.title))
    void refreshNotifications()
    if (from === START_LOCATION) return
    // A new page is announced by moving focus to its heading, as a page load would.
    void nextTick(() => {
      const heading = document.querySelector<HTMLElement>('main h1')
      const target = heading ?? document.querySelector<HTMLElement>('main')
      if (!target) return
      if (heading) heading.tabIndex = -1
      target.focus()
    })
  })

  return router
}
