/**
 * The full check of a shell template: the scanner (quoting contexts,
 * structure) and then the bash parse that refuses placeholders where bash
 * evaluates a value as code (decided, and kept, by code-context-decisions.ts).
 * Scans are kept per template text, since the same few templates are
 * interpolated again and again at run time.
 */
import { codeContextOf } from './code-context-decisions.js';
import { neutralShell, type NeutralShell } from './shell-neutral.js';
import { scanShell, type ShellScan } from './shell-scanner.js';

const CACHE_LIMIT = 1000;
const scans = new Map<string, { scan: ShellScan; shell: NeutralShell | null }>();

export function checkShell(template: string): ShellScan {
  const { scan, shell } = scanned(template);
  if (!scan.ok || shell === null) return scan;
  // undefined: not decided yet, in a collecting pass (passes for now).
  const refusal = codeContextOf(template, shell);
  return refusal ? { ok: false, ...refusal } : scan;
}

function scanned(template: string): { scan: ShellScan; shell: NeutralShell | null } {
  const known = scans.get(template);
  if (known !== undefined) return known;
  const scan = scanShell(template);
  const entry = { scan, shell: scan.ok ? neutralShell(scan.parts) : null };
  if (scans.size >= CACHE_LIMIT) scans.delete(scans.keys().next().value!);
  scans.set(template, entry);
  return entry;
}
