import { afterEach } from 'vitest'

// Files that run in Node (no DOM) have no console to close.
if (typeof document !== 'undefined') {
  const { closeConsole } = await import('./support/app')
  afterEach(() => {
    closeConsole()
  })
}
