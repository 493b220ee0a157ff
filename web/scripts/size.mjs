#!/usr/bin/env node
// The JavaScript and CSS a first visit downloads, gzipped: every script, stylesheet and
// module preload that dist/index.html references, each compressed as a server would
// (gzip level 9). The console has no lazy route, so nothing else loads on a first visit.
//
//   node scripts/size.mjs [dist] [--json] [--max-kb N]
//
// Prints "console first visit: <N> KB gzipped" (1 KB = 1000 bytes), or with --json an
// object {bytes, kb, files: {path: gzipped bytes}}; with --max-kb, exits 1 above N.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const args = process.argv.slice(2)
const json = args.includes('--json')
const maxIndex = args.indexOf('--max-kb')
const maxKb = maxIndex >= 0 ? Number(args[maxIndex + 1]) : null
const positional = args.filter((a, i) => !a.startsWith('--') && (maxIndex < 0 || i !== maxIndex + 1))
const here = dirname(fileURLToPath(import.meta.url))
const dist = resolve(positional[0] ?? join(here, '..', 'dist'))

let html
try {
  html = readFileSync(join(dist, 'index.html'), 'utf8')
} catch {
  console.error(`no ${join(dist, 'index.html')}: run npm run build first`)
  process.exit(2)
}

/** Local JS and CSS that the page loads: <script src>, <link rel=stylesheet|modulepreload href>. */
function referencedAssets(page) {
  const found = new Set()
  for (const tag of page.match(/<(script|link)\b[^>]*>/gi) ?? []) {
    const attr = (name) => tag.match(new RegExp(`\\s${name}\\s*=\\s*["']([^"']+)["']`, 'i'))?.[1]
    const isScript = /^<script/i.test(tag)
    const rel = (attr('rel') ?? '').toLowerCase()
    const url = isScript ? attr('src') : attr('href')
    if (!url) continue
    if (!isScript && !['stylesheet', 'modulepreload'].includes(rel)) continue
    if (/^(?:[a-z]+:)?\/\//i.test(url)) {
      console.error(`index.html loads ${url} from another host: the console must not use a CDN`)
      process.exit(1)
    }
    found.add(url.replace(/^\//, '').split(/[?#]/)[0])
  }
  return [...found]
}

const files = {}
let bytes = 0
for (const path of referencedAssets(html)) {
  const size = gzipSync(readFileSync(join(dist, path)), { level: 9 }).length
  files[path] = size
  bytes += size
}
const kb = Math.round(bytes / 100) / 10

if (json) {
  console.log(JSON.stringify({ bytes, kb, files }))
} else {
  for (const [path, size] of Object.entries(files)) console.log(`  ${path}  ${size} bytes gzipped`)
  console.log(`console first visit: ${kb} KB gzipped`)
}
if (maxKb !== null && kb > maxKb) {
  console.error(`over the budget of ${maxKb} KB`)
  process.exit(1)
}
