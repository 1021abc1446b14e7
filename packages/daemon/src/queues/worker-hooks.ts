/** A worker's runbook hooks (on_start, on_take, on_idle, ...): shell commands with the worker's values. */
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { Worker } from '../runbook/model.js';
import { logFileFor, runHooks, type ShellHost } from '../adapters/shell-host.js';

export function runWorkerHook(d: { projects: ProjectRegistry; shell: ShellHost }, project: string, w: Worker, hook: string, extra: Record<string, unknown>): void {
  const p = d.projects.peek(project);
  const commands = p?.hooks(w, hook) ?? [];
  if (!commands.length) return;
  const q = p?.deref('queue', w.queue);
  runHooks(d.shell, {
    project,
    hook,
    commands,
    values: { worker: w.name, name: w.name, queue: q?.name ?? '', project_root: project, ...extra },
    logFile: logFileFor(d.shell, project, 'workers', w.name),
    subject: `worker ${w.name}`,
  });
}
