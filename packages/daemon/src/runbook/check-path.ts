/**
 * `oj runbook check [path]` without a daemon. `path` may be a project
 * directory, its `.oj` or `.oj/runbooks` directory, another directory of
 * runbook files, or a single `.toml` file.
 *
 * A single file inside a project is checked together with the project's
 * other runbooks (so its cross-file references resolve), replacing the
 * runbook of the same name; only the file's own problems are reported.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  findProjectRoot,
  isDirectory,
  isFile,
  listRunbookFiles,
  OJ_DIR,
  projectPaths,
  RUNBOOK_EXTENSION,
  RUNBOOKS_DIR,
  runbookName,
} from './discovery.js';
import { buildProject, displayPath, readProjectSourcesSync, type ProjectSources } from './load-project.js';
import { cronRunsFrom, cronTiming, type CronTiming } from './cron-schedule.js';
import type { Project } from './project.js';
import type { RunbookError } from './runbook-error.js';

/** A cron of the checked runbooks with its timing and next run (as if enabled now; `oj runbook check --verbose`). */
export interface CronSchedulePreview extends CronTiming {
  cron: string;
  runbook: string;
  /** ISO time of its next run if enabled now. */
  next: string;
}

export interface CheckResult {
  ok: boolean;
  /** The project root the check ran against. */
  root: string;
  /** Files checked, as displayed in errors. */
  files: string[];
  /** Number of primitives loaded (0 when there are errors). */
  primitives: number;
  /** Every cron of the checked files with its next run (empty when there are errors). */
  schedules: CronSchedulePreview[];
  errors: RunbookError[];
}

function fail(root: string, file: string, message: string, hint?: string): CheckResult {
  const error: RunbookError = hint === undefined ? { file, message } : { file, message, hint };
  return { ok: false, root, files: [], primitives: 0, schedules: [], errors: [error] };
}

function run(sources: ProjectSources, files: string[], only?: { display: string; name: string }): CheckResult {
  const result = buildProject(sources);
  if (result.ok) {
    const schedules = previews(sources.root, result.project, only?.name);
    return { ok: true, root: sources.root, files, primitives: result.project.model.primitives.length, schedules, errors: [] };
  }
  const errors = only === undefined ? result.errors : result.errors.filter((e) => e.file === only.display);
  return { ok: errors.length === 0, root: sources.root, files, primitives: 0, schedules: [], errors };
}

function previews(root: string, project: Project, runbook: string | undefined): CronSchedulePreview[] {
  const now = Date.now();
  return project
    .all('cron')
    .filter((c) => runbook === undefined || c.file === runbook)
    .map((c) => ({ cron: c.name, runbook: c.file, ...cronTiming(root, c), next: new Date(cronRunsFrom(root, c, now, 1)[0]!).toISOString() }));
}

function checkDirectoryOfRunbooks(dir: string, root: string): CheckResult {
  const sources: ProjectSources = { root, config: null, runbooks: [], errors: [] };
  const configFile = projectPaths(root).configFile;
  if (isFile(configFile)) sources.config = { display: displayPath(root, configFile), text: readFileSync(configFile, 'utf8') };
  for (const path of listRunbookFiles(dir)) {
    sources.runbooks.push({ name: runbookName(path), path, display: displayPath(root, path), text: readFileSync(path, 'utf8') });
  }
  if (sources.runbooks.length === 0) return fail(root, dir, 'no runbook files (*.toml) here');
  return run(sources, sources.runbooks.map((r) => r.display));
}

function checkFile(path: string): CheckResult {
  if (!path.endsWith(RUNBOOK_EXTENSION)) return fail(dirname(path), path, 'not a runbook file', 'runbook files end in .toml');
  const inRunbooksDir = basename(dirname(path)) === RUNBOOKS_DIR && basename(dirname(dirname(path))) === OJ_DIR;
  const root = inRunbooksDir ? dirname(dirname(dirname(path))) : (findProjectRoot(dirname(path)) ?? dirname(path));
  const hasProject = isDirectory(projectPaths(root).ojDir);
  const sources: ProjectSources = hasProject ? readProjectSourcesSync(root) : { root, config: null, runbooks: [], errors: [] };
  const name = runbookName(path);
  const display = displayPath(root, path);
  const own = { name, path, display, text: readFileSync(path, 'utf8') };
  sources.runbooks = [...sources.runbooks.filter((r) => r.name !== name), own];
  return run(sources, [display], { display, name });
}

export function checkPath(path: string): CheckResult {
  const target = resolve(path);
  if (isFile(target)) return checkFile(target);
  if (!isDirectory(target)) return fail(target, path, 'no such file or directory');
  if (basename(target) === RUNBOOKS_DIR && basename(dirname(target)) === OJ_DIR) {
    return checkProject(dirname(dirname(target)));
  }
  if (basename(target) === OJ_DIR) return checkProject(dirname(target));
  if (isDirectory(projectPaths(target).ojDir)) return checkProject(target);
  return checkDirectoryOfRunbooks(target, findProjectRoot(target) ?? target);
}

function checkProject(root: string): CheckResult {
  const sources = readProjectSourcesSync(root);
  return run(sources, sources.runbooks.map((r) => r.display));
}
