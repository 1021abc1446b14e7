/**
 * What the shell commands of queues, workers, crons and monitors (source
 * commands, event hooks, cron `run` strings, monitor scripts) need: the
 * daemon's one shell runner (which builds their environment: the daemon's
 * own, `oj` first on PATH, OJ_* variables set) and their log files. They
 * run in the project root.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'winston';
import type { ShellRunner } from './shell-runner.js';
import { scrubText } from '../log/redact.js';
import { createContext, interpolateShell } from '../runbook/index.js';

export interface ShellHost {
  stateDir: string;
  logger: Logger;
  /** Starts the children and builds their environment (the daemon's one shell runner). */
  shellRunner: ShellRunner;
}

/** A directory name for a project's logs: its base name plus a short hash of the full path. */
export function projectSlug(project: string): string {
  const hash = createHash('sha256').update(project).digest('hex').slice(0, 8);
  return `${basename(project).replace(/[^A-Za-z0-9_-]/g, '_') || 'project'}-${hash}`;
}

export function logFileFor(h: ShellHost, project: string, kind: 'workers' | 'crons' | 'queues', name: string): string {
  return join(h.stateDir, 'logs', kind, projectSlug(project), `${name.replace(/[^A-Za-z0-9_-]/g, '_')}.log`);
}

export function appendLog(file: string, line: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    // ojd's own lines (the commands it runs, with inputs filled in) hold no known secret value (log/redact.ts).
    appendFileSync(file, `${new Date().toISOString()} ${scrubText(line)}\n`);
  } catch {
    // logging must not break the caller
  }
}

/**
 * Runs event hook commands (fire and forget). Placeholders are filled from
 * `values`; a hook whose placeholders do not resolve is logged and skipped.
 */
export function runHooks(
  h: ShellHost,
  o: { project: string; hook: string; commands: string[]; values: Record<string, unknown>; logFile: string; subject: string },
): void {
  for (const template of o.commands) {
    let script: string;
    try {
      script = interpolateShell(template, createContext({ name: 'hook', values: o.values }));
    } catch (err) {
      h.logger.warn('hook not run', { subject: o.subject, hook: o.hook, error: (err as Error).message });
      appendLog(o.logFile, `[${o.hook}] not run: ${(err as Error).message}`);
      continue;
    }
    appendLog(o.logFile, `[${o.hook}] ${script}`);
    try {
      const r = h.shellRunner.run({ script, cwd: o.project, env: h.shellRunner.env({ project: o.project }), logFile: o.logFile });
      r.done.then(
        (x) => {
          if (x.exitCode !== 0) {
            h.logger.warn('hook failed', { subject: o.subject, hook: o.hook, exitCode: x.exitCode, signal: x.signal });
            appendLog(o.logFile, `[${o.hook}] exited ${x.exitCode ?? x.signal}`);
          }
        },
        () => {},
      );
    } catch (err) {
      h.logger.warn('hook not started', { subject: o.subject, hook: o.hook, error: String(err) });
    }
  }
}
