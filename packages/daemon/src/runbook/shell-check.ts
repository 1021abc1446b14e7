/**
 * The full check of a shell template: the scanner (quoting contexts,
 * structure) and then the bash parse that refuses placeholders where bash
 * evaluates a value as code. Results are kept per template text, since the
 * same few templates are interpolated again and again at run time.
 */
import { findCodeContext } from './shell-code-context.js';
import { neutralShell } from './shell-neutral.js';
import { scanShell, type ShellScan } from './shell-scanner.js';

const CACHE_LIMIT = 1000;
const cache = new Map<string, ShellScan>();

export function checkShell(template: string): ShellScan {
  const known = cache.get(template);
  if (known !== undefined) return known;
  const result = uncached(template);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(template, result);
  return result;
}

function uncached(template: string): ShellScan {
  const scan = scanShell(template);
  if (!scan.ok) return scan;
  const refusal = findCodeContext(neutralShell(scan.parts));
  return refusal === null ? scan : { ok: false, ...refusal };
}
