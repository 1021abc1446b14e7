/**
 * Fault injection for the crash suite. `OJ_FAULT` lists named points, comma
 * separated; when the daemon reaches one it kills itself with SIGKILL on the
 * spot, exactly as `kill -9` would at that instant (no handler runs, nothing
 * is flushed). `name@N` fires on the Nth time the point is reached.
 *
 *   OJ_FAULT=after-effect:phase       a phase's process has ended, its outcome is not yet written
 *   OJ_FAULT=before-effect:stop       a step stopped a phase (committed), its processes are not yet told to end
 *   OJ_FAULT=after-effect:session     an agent's session host runs, the pipeline does not record it yet
 *   OJ_FAULT=during-migration:5       inside migration 5's transaction, before it commits
 *   OJ_FAULT=outbox:before-apply      cluster mode: a shared change committed locally, not yet applied to PostgreSQL
 *   OJ_FAULT=outbox:after-apply       cluster mode: applied to PostgreSQL, not yet deleted from the local outbox
 *
 * Unset (always, outside tests) every point is a no-op costing one Set lookup.
 */
import { writeSync } from 'node:fs';

const armed = parse(process.env.OJ_FAULT ?? '');
const reached = new Map<string, number>();

function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = part.lastIndexOf('@');
    const n = at > 0 ? Number(part.slice(at + 1)) : NaN;
    if (Number.isInteger(n) && n > 0) out.set(part.slice(0, at), n);
    else out.set(part, 1);
  }
  return out;
}

export function faultPoint(name: string): void {
  if (armed.size === 0) return;
  const nth = armed.get(name);
  if (nth === undefined) return;
  const count = (reached.get(name) ?? 0) + 1;
  reached.set(name, count);
  if (count !== nth) return;
  try {
    writeSync(2, `ojd: OJ_FAULT: killing myself at ${name}${nth > 1 ? `@${nth}` : ''}\n`);
  } catch {
    // stderr may be closed
  }
  process.kill(process.pid, 'SIGKILL');
}
