/**
 * Loading a project for the daemon, where one broken runbook file must not
 * stop the others: each file stands or falls on its own.
 *
 * - A file that does not load is replaced by its last good version (the text
 *   that last loaded), when there is one; otherwise it is left out.
 * - Whatever then no longer loads (a file whose references point into a
 *   left-out file) is treated the same way, until what remains loads.
 * - Problems in `.oj/config.toml` concern the whole project: the result is
 *   then a failure listing every problem, as `buildProject` gives it.
 *
 * `oj runbook check` keeps the all-or-nothing `buildProject`.
 */
import { diskFiles, buildProject, type ProjectSources } from './load-project.js';
import type { ProjectFileAccess } from './assemble-project.js';
import { runbookName } from './discovery.js';
import type { RunbookSource } from './parse-runbook-file.js';
import { parseProjectConfig } from './project-config.js';
import type { Project } from './project.js';
import type { RunbookError } from './runbook-error.js';

/** A runbook file that does not load as it is on disk. */
export interface FileProblem {
  /** Runbook name (file name without `.toml`). */
  runbook: string;
  /** Path shown to people, e.g. `.oj/runbooks/deploy.toml`. */
  display: string;
  /** `last-good`: its last good version serves instead; `left-out`: nothing of it serves. */
  outcome: 'last-good' | 'left-out';
  /** Why the file as it is on disk does not load (and, when left out, why its last good version no longer does). */
  errors: RunbookError[];
  /** Commands the file on disk declares, as far as its text shows. */
  commands: string[];
}

export type PerFileResult =
  | {
      ok: true;
      project: Project;
      problems: FileProblem[];
      /** The text each loaded runbook was built from, by runbook name: the next call's `lastGood`. */
      loaded: Map<string, string>;
    }
  | { ok: false; errors: RunbookError[] };

const COMMAND_HEADER = /^\s*\[\s*command\s*\.\s*"?([A-Za-z_][A-Za-z0-9_-]*)"?\s*\]/gm;

/** The command names a runbook text declares (`[command.x]` headers), even when the file does not parse. */
export function declaredCommands(text: string): string[] {
  return [...text.matchAll(COMMAND_HEADER)].map((m) => m[1]!);
}

interface Candidate {
  source: RunbookSource;
  lastGood: boolean;
}

/** Build a project file by file; `lastGood` holds the last text of each runbook that loaded. */
export function buildProjectPerFile(
  sources: ProjectSources,
  lastGood: ReadonlyMap<string, string>,
  files: ProjectFileAccess = diskFiles,
): PerFileResult {
  const configDisplay = sources.config?.display ?? '.oj/config.toml';
  const configProblems =
    parseProjectConfig(sources.config?.text ?? null, configDisplay).errors.length > 0 ||
    sources.errors.some((e) => e.file === configDisplay || !e.file.endsWith('.toml'));
  if (configProblems) {
    const all = buildProject(sources, files);
    return all.ok ? { ok: true, project: all.project, problems: [], loaded: textsOf(sources.runbooks) } : all;
  }

  const candidates = new Map<string, Candidate>();
  const problems = new Map<string, FileProblem>();
  for (const source of sources.runbooks) candidates.set(source.name, { source, lastGood: false });
  // A file that could not be read: its last good version, if any, serves.
  for (const error of sources.errors) {
    const name = runbookName(error.file);
    const path = `${sources.root}/${error.file}`;
    const previous = lastGood.get(name);
    problems.set(name, { runbook: name, display: error.file, outcome: previous === undefined ? 'left-out' : 'last-good', errors: [error], commands: [] });
    if (previous !== undefined) candidates.set(name, { source: { name, path, display: error.file, text: previous }, lastGood: true });
  }

  for (;;) {
    const result = buildProject({ ...sources, runbooks: [...candidates.values()].map((c) => c.source), errors: [] }, files);
    if (result.ok) {
      const loaded = new Map([...candidates.values()].map((c) => [c.source.name, c.source.text]));
      return { ok: true, project: result.project, problems: [...problems.values()], loaded };
    }
    const failing = [...candidates.values()].filter((c) => result.errors.some((e) => e.file === c.source.display));
    if (failing.length === 0) return result;
    for (const candidate of failing) {
      const { name, display, text } = candidate.source;
      const errors = result.errors.filter((e) => e.file === display);
      const problem = problems.get(name);
      const previous = lastGood.get(name);
      if (!candidate.lastGood && previous !== undefined && previous !== text) {
        problems.set(name, { runbook: name, display, outcome: 'last-good', errors, commands: declaredCommands(text) });
        candidates.set(name, { source: { ...candidate.source, text: previous }, lastGood: true });
        continue;
      }
      candidates.delete(name);
      if (problem === undefined) problems.set(name, { runbook: name, display, outcome: 'left-out', errors, commands: declaredCommands(text) });
      else {
        problem.outcome = 'left-out';
        problem.commands = [...new Set([...problem.commands, ...declaredCommands(text)])];
        problem.errors.push(...errors.map((e) => ({ ...e, message: `(last good version) ${e.message}` })));
      }
    }
  }
}

function textsOf(runbooks: readonly RunbookSource[]): Map<string, string> {
  return new Map(runbooks.map((r) => [r.name, r.text]));
}
