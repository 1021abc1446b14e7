/**
 * The projects the daemon knows, each with its runbooks as they are on disk.
 *
 * Read-your-writes: every lookup (`get`, `peek`, `errors`) first compares a
 * cheap fingerprint of the project's runbook files with the one of the last
 * load and reloads when it differs, so a runbook written and used at once is
 * there. The comparison is made once per request, not once per lookup:
 * lookups in the same turn of the event loop with no input read in between
 * (`inputSeen`, called by the socket server before it reads a request)
 * share it. A watch on .oj/ and .oj/runbooks/ only makes reloads earlier;
 * SIGHUP (`daemon.reload`) forces one.
 *
 * Loading is per file (see load-per-file.ts): a runbook file that does not
 * load keeps its last good version or is left out, and is reported (in
 * `oj status`, `oj run` of one of its commands and the log) while the others
 * serve. Problems in `.oj/config.toml` keep the whole project's last good
 * version (or fail it when none ever loaded).
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, OjError, type ProjectStatus } from '@oj/protocol';
import type { Logger } from 'winston';
import {
  buildProjectPerFile,
  diskFiles,
  formatRunbookError,
  readProjectSourcesSync,
  type FileProblem,
  type Project,
  type ProjectFileAccess,
} from '../runbook/index.js';
import { projectFingerprint, type Fingerprint, type ListingCache } from './project-fingerprint.js';

interface Entry {
  root: string;
  project: Project | null;
  /** Whole-project problems (config, crash): the project did not reload at all. */
  errors: string[];
  /** Runbook files that do not load as they are on disk. */
  problems: FileProblem[];
  /** Text of each runbook file as it last loaded. */
  lastGood: Map<string, string>;
  /** Other files the last load read (prompt files), fingerprinted too. */
  readFiles: Set<string>;
  fingerprint: Fingerprint;
  /** The registry's `checks` count when the files were last compared (they need no new look until it moves). */
  checked: number;
  /** Directory listings the comparisons reuse while the directories are unchanged. */
  listings: ListingCache;
  watchers: FSWatcher[];
  timer: NodeJS.Timeout | null;
}

const DEBOUNCE_MS = 100;

/** The lines `oj status` and errors show for a file that does not load. */
export function describeProblem(p: FileProblem): string[] {
  const what =
    p.outcome === 'last-good'
      ? `${p.display} does not load; its last good version is running`
      : `${p.display} does not load and is left out${p.commands.length ? ` (commands ${p.commands.join(', ')} are unavailable)` : ''}`;
  return [what, ...p.errors.map((e) => `  ${formatRunbookError(e)}`)];
}

export class ProjectRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly reloadListeners = new Set<(root: string, project: Project) => void>();
  private readonly loadListeners = new Set<(root: string) => void>();
  /** Moves on each input read and at the end of each turn in which files were compared: a lookup compares again once it has moved. */
  private checks = 0;
  private turnEnding = false;

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

  /**
   * The project as last loaded, without comparing its files again (peek,
   * which loads it, the first time): for the daemon's own lookups as a
   * pipeline moves between phases (its phase visit limit, its hooks), which
   * no request of a user is waiting on. Every request compares the files
   * (read-your-writes holds for what a user asks), and the watch on .oj/
   * reloads a change within ~DEBOUNCE_MS; comparing them at every phase
   * cost a few stats and ~0.05 ms of each phase's hand-over.
   */
  current(root: string): Project | null {
    const e = this.entries.get(root);
    return e ? e.project : this.peek(root);
  }

  /** Every problem of the project's runbooks, one line each (empty when all load). */
  errors(root: string): string[] {
    if (!this.entries.has(root)) return [];
    const e = this.entry(root);
    return [...e.errors, ...e.problems.flatMap(describeProblem)];
  }

  /**
   * Runbook problems for the status overview: of one project (loading it on
   * first use), or of every known project, where each problem names its
   * project (the file paths in it are relative to it).
   */
  runbookErrors(root?: string): string[] {
    if (root !== undefined) {
      this.peek(root);
      return this.errors(root);
    }
    return this.status().flatMap((s) => s.errors.map((e) => (/^\s/.test(e) ? e : `project ${s.root}: ${e}`)));
  }

  /** The problem of the runbook file that declares `command`, when that file does not load as it is. */
  problemFor(root: string, command: string): FileProblem | undefined {
    const e = this.entries.get(root);
    return e?.problems.find((p) => p.commands.includes(command));
  }

  /** Runbook files of the project that do not load as they are on disk. */
  problems(root: string): FileProblem[] {
    return this.entries.get(root)?.problems ?? [];
  }

  /** The roots of the projects this daemon has loaded (or tried to). */
  roots(): string[] {
    return [...this.entries.keys()];
  }

  status(): ProjectStatus[] {
    return [...this.entries.values()].map((e) => {
      this.refresh(e);
      return { root: e.root, runbooks: e.project?.files.length ?? 0, errors: [...e.errors, ...e.problems.flatMap(describeProblem)] };
    });
  }

  /** Input (a request) is about to be read: its lookups compare the files again. */
  inputSeen(): void {
    this.checks++;
  }

  onReload(cb: (root: string, project: Project) => void): void {
    this.reloadListeners.add(cb);
  }

  /** A project's runbooks loaded for the first time (the daemon serves it from now on). */
  onFirstLoad(cb: (root: string) => void): void {
    this.loadListeners.add(cb);
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
      e = { root, project: null, errors: [], problems: [], lastGood: new Map(), readFiles: new Set(), fingerprint: { text: '', hashed: new Set() }, checked: -1, listings: new Map(), watchers: [], timer: null };
      this.entries.set(root, e);
      this.load(e);
      this.watch(e);
      return e;
    }
    this.refresh(e);
    return e;
  }

  /** Reload when the files changed since the last load (compared once per request: see the file comment). */
  private refresh(e: Entry): void {
    if (e.checked === this.checks) return;
    if (!this.turnEnding) {
      this.turnEnding = true;
      setImmediate(() => {
        this.turnEnding = false;
        this.checks++;
      });
    }
    e.checked = this.checks;
    const now = projectFingerprint(e.root, e.readFiles, Date.now(), e.fingerprint.hashed, e.listings);
    if (now.text !== e.fingerprint.text) this.load(e);
    // Unchanged: from now on only what is still racy needs its content hashed.
    else e.fingerprint = now.settled;
  }

  private load(e: Entry): void {
    // Fingerprint first: a write racing the read below shows as a change next time.
    const before = projectFingerprint(e.root, e.readFiles);
    const read = new Set<string>();
    const files: ProjectFileAccess = {
      readText: (path) => {
        read.add(path);
        return diskFiles.readText(path);
      },
    };
    let result;
    try {
      result = buildProjectPerFile(readProjectSourcesSync(e.root), e.lastGood, files);
    } catch (err) {
      result = { ok: false as const, crash: String(err) };
    }
    const samePaths = read.size === e.readFiles.size && [...read].every((p) => e.readFiles.has(p));
    e.readFiles = read;
    e.fingerprint = samePaths ? before.settled : projectFingerprint(e.root, read).settled;
    if (result.ok) {
      const first = e.project === null;
      e.project = result.project;
      e.errors = [];
      e.problems = result.problems;
      e.lastGood = result.loaded;
      this.logger.info(first ? 'project loaded' : 'project reloaded', { project: e.root, runbooks: result.project.files.length });
      for (const p of result.problems) {
        this.logger.warn(p.outcome === 'last-good' ? 'runbook edit does not load; keeping its last good version' : 'runbook does not load; left out', {
          project: e.root,
          runbook: p.display,
          errors: p.errors.map(formatRunbookError),
        });
      }
      for (const cb of this.reloadListeners) cb(e.root, result.project);
      if (first) for (const cb of this.loadListeners) cb(e.root);
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
        e.checked = -1;
        this.refresh(e);
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
        // the directory may not exist yet; every request still compares the files
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
