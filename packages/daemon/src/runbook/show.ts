/** What `oj runbook list` and `oj runbook show` print: JSON-ready views of the model. */
import { formatUsage } from './arg-usage.js';
import type { Kind } from './kinds.js';
import type { Chain, Cron, Primitive, RunTarget } from './model.js';
import type { Project } from './project.js';

export interface PrimitiveSummary {
  id: string;
  file: string;
  kind: Kind;
  name: string;
  /** One line describing it. */
  summary: string;
}

function chainText(chain: Chain): string {
  return chain.map((s) => s.text).join(' -> ') || '(none)';
}

function runText(run: RunTarget | null): string {
  if (run === null) return '';
  return run.type === 'pipeline' ? `pipeline ${run.pipeline.ref}` : firstLine(run.shell);
}

function firstLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines.length > 1 ? `${lines[0]} ...` : (lines[0] ?? '');
}

/** `every 30s`, or `0 9 * * 1-5 (Europe/Paris, jitter 5m)`. */
function cronTimingText(cron: Cron): string {
  if (cron.schedule === null) return `every ${cron.interval?.text ?? '?'}`;
  const extra = [cron.timezone, cron.jitter ? `jitter ${cron.jitter.text}` : ''].filter((s) => s);
  return extra.length ? `${cron.schedule} (${extra.join(', ')})` : cron.schedule;
}

export function summarize(primitive: Primitive): string {
  switch (primitive.kind) {
    case 'command':
      // What it is for, when the runbook says (a description, or the comment above it); else how to run it.
      return primitive.description !== '' ? firstLine(primitive.description) : [`oj run ${primitive.name}`, primitive.args.text].filter((s) => s !== '').join(' ');
    case 'worker':
      return `queue ${primitive.queue.ref} -> ${primitive.handler.ref} (concurrency ${primitive.concurrency})`;
    case 'cron':
      return [cronTimingText(primitive), ...primitive.monitors.map((m) => m.ref), runText(primitive.run)]
        .filter((s) => s !== '')
        .join(', ');
    case 'queue':
      return primitive.source === null ? `persisted, order ${primitive.order.text}` : `source: ${firstLine(primitive.source)}`;
    case 'pipeline':
      return primitive.phase.map((p) => p.name).join(' -> ');
    case 'agent':
      return [firstLine(primitive.command), primitive.prompt_file === null ? '' : `prompt_file ${primitive.prompt_file}`]
        .filter((s) => s !== '')
        .join(', ');
    case 'guard':
      return firstLine(primitive.condition);
    case 'strategy':
      return primitive.attempt.map((a) => a.name).join(' | ');
    case 'lock':
      return `heartbeat ${primitive.heartbeat.text}, on_stale ${chainText(primitive.on_stale)}`;
    case 'semaphore':
      return `max ${primitive.max}`;
    case 'monitor':
      return primitive.response !== null ? `response ${chainText(primitive.response)}` : `action: ${firstLine(primitive.action ?? '')}`;
    case 'action':
      return firstLine(primitive.run);
  }
}

/** Every primitive by file and kind (file order, then kind order as defined). */
export function listPrimitives(project: Project): PrimitiveSummary[] {
  return project.model.primitives.map((p) => ({ id: p.id, file: p.file, kind: p.kind, name: p.name, summary: summarize(p) }));
}

/** The resolved definition with defaults filled in, as JSON data (plus usage text for commands). */
export function showPrimitive(primitive: Primitive): Record<string, unknown> {
  const data = JSON.parse(JSON.stringify(primitive)) as Record<string, unknown>;
  if (primitive.kind === 'command') data['usage'] = formatUsage(primitive.name, primitive.args, primitive.description);
  return data;
}
