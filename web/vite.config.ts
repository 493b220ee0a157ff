import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [vue()],
  // Absolute asset paths: a deep link such as /organizations/x/membership-requests/y
  // is answered with index.html, and relative paths would then point below it.
  base: '/',
  define: {
    // Composition API only: dropping the Options API and devtools hooks saves ~10 KB.
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    target: 'es2022',
    // One entry chunk and no lazy routes: what index.html references is all a first
    // visit downloads, which is what scripts/size.mjs measures.
    modulePreload: { polyfill: false },
    // No inline <script> or data: URL, so a strict Content-Security-Policy holds.
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.ts'],
    restoreMocks: true,
    unstubGlobals: true,
    setupFiles: ['tests/setup.ts'],
  },
})
