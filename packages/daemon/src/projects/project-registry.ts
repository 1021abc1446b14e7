/**
 * The projects the daemon knows, each with its last good runbooks. Edits are
 * picked up without a restart (a watch on .oj/ and .oj/runbooks/, debounced)
 * and on SIGHUP; an edit that does not load keeps the last good version
 * running and is reported (in `oj status`, `oj run` and the log).
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, OjError, type ProjectStatus } from '@oj/protocol';
import type { Logger } from 'winston';
import { formatRunbookError, loadProjectSync, type Project } from '../runbook/index.js';

interface Entry {
  root: string;
  project: Project | null;
  errors: string[];
  watchers: FSWatcher[];
  timer: NodeJS.Timeout | null;
  loadedAt: number;
}

const DEBOUNCE_MS = 100;

export class ProjectRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly reloadListeners = new Set<(root: string, project: Project) => void>();

  constructor(private readonly logger: Logger) {}

  /** The project's current runbooks; loads them on first use. Throws when none ever loaded. */
  get(root: string): Project {
    const e = this.entry(root);
    if (!e.project) {
      throw new OjError(ErrorCode.RunbookInvalid, `the runbooks of ${root} do not load:\n${e.errors.join('\n')}`, {
        kind: 'runbook_invalid',
        errors: e.errors,
        hint: 'oj runbook check shows every problem',
      });
    }
    return e.project;
  }

  /** The project if it loaded at some point, else null (never throws). */
  peek(root: string): Project | null {
    try {
      return this.entry(root).project;
    } catch {
      return null;
    }
  }

  errors(root: string): string[] {
    return this.entries.get(root)?.errors ?? [];
  }

  status(): ProjectStatus[] {
    return [...this.entries.values()].map((e) => ({
      root: e.root,
      runbooks: e.project?.files.length ?? 0,
      errors: e.errors,
    }));
  }

  onReload(cb: (root: string, project: Project) => void): void {
    this.reloadListeners.add(cb);
  }

  /** Reloads every known project (SIGHUP, `daemon.reload`). */
  reloadAll(): ProjectStatus[] {
    for (const e of this.entries.values()) this.load(e);
    return this.status();
  }

  private entry(root: string): Entry {
    let e = this.entries.get(root);
    if (!e) {
      if (!existsSync(join(root, '.oj')) || !statSync(join(root, '.oj')).isDirectory()) {
        throw new OjError(ErrorCode.ProjectNotFound, `${root} is not an oj project (no .oj/ directory)`, {
          kind: 'project_not_found',
          hint: 'oj init creates one',
        });
      }
      e = { root, project: null, errors: [], watchers: [], timer: null, loadedAt: 0 };
      this.entries.set(root, e);
      this.load(e);
      this.watch(e);
    }
    return e;
  }

  private load(e: Entry): void {
    let result;
    try {
      result = loadProjectSync(e.root);
    } catch (err) {
      result = { ok: false as const, errors: [], crash: String(err) };
    }
    e.loadedAt = Date.now();
    if (result.ok) {
      const first = e.project === null;
      e.project = result.project;
      e.errors = [];
      this.logger.info(first ? 'project loaded' : 'project reloaded', { project: e.root, runbooks: result.project.files.length });
      for (const cb of this.reloadListeners) cb(e.root, result.project);
    } else {
      e.errors = 'crash' in result ? [`loader crashed: ${result.crash}`] : result.errors.map(formatRunbookError);
      this.logger.warn(e.project ? 'runbook edit does not load; keeping the last good version' : 'runbooks do not load', {
        project: e.root,
        errors: e.errors,
      });
    }
  }

  private watch(e: Entry): void {
    const schedule = () => {
      if (e.timer) clearTimeout(e.timer);
      e.timer = setTimeout(() => {
        e.timer = null;
        this.load(e);
      }, DEBOUNCE_MS);
      e.timer.unref();
    };
    for (const dir of [join(e.root, '.oj'), join(e.root, '.oj', 'runbooks')]) {
      try {
        const w = watch(dir, schedule);
        w.on('error', () => w.close());
        w.unref();
        e.watchers.push(w);
      } catch {
        // the directory may not exist yet; SIGHUP still reloads
      }
    }
  }

  close(): void {
    for (const e of this.entries.values()) {
      for (const w of e.watchers) w.close();
      if (e.timer) clearTimeout(e.timer);
    }
  }
}
