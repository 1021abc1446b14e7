/**
 * The dashboard's files, all served from the installed packages (no CDN:
 * the browser may be offline): its own script and styles (packages/cli/web)
 * and xterm.js with its stylesheet from @xterm/xterm. Read once, kept in
 * memory.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  type: string;
  body: Buffer;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** packages/cli/web, from dist/ui/ (built) or src/ui/ (tests from sources). */
const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

function xtermFile(rel: string): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@xterm/xterm/package.json')), rel);
}

const FILES: Record<string, () => string> = {
  'app.js': () => join(WEB, 'app.js'),
  'term.js': () => join(WEB, 'term.js'),
  'style.css': () => join(WEB, 'style.css'),
  'favicon.svg': () => join(WEB, 'favicon.svg'),
  'xterm.js': () => xtermFile('lib/xterm.js'),
  'xterm.css': () => xtermFile('css/xterm.css'),
};

const cache = new Map<string, Asset>();

/** The file served at /static/NAME, or null. */
export function asset(name: string): Asset | null {
  const hit = cache.get(name);
  if (hit) return hit;
  const path = Object.hasOwn(FILES, name) ? FILES[name]!() : null;
  if (!path) return null;
  const a = { type: TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream', body: readFileSync(path) };
  cache.set(name, a);
  return a;
}
