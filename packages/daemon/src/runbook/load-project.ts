/**
 * Loading a project: read `.oj/config.toml` and `.oj/runbooks/*.toml`, parse
 * and check everything, and return either a complete Project or every problem
 * found (never a half-loaded project).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { decidingCodeContexts } from './code-context-decisions.js';
import { assembleProject, type ProjectFileAccess } from './assemble-project.js';
import { isDirectory, isFile, listRunbookFiles, listRunbookFilesAsync, projectPaths, runbookName } from './discovery.js';
import { parseRunbookFile, type RunbookSource } from './parse-runbook-file.js';
import { parseProjectConfig } from './project-config.js';
import { Project } from './project.js';
import { ErrorSink, type RunbookError } from './runbook-error.js';
import { locateErrors } from './source-location.js';

export type LoadResult = { ok: true; project: Project } | { ok: false; errors: RunbookError[] };

/** The texts a project is built from. */
export interface ProjectSources {
  root: string;
  /** `.oj/config.toml`, or null when absent. */
  config: { display: string; text: string } | null;
  runbooks: RunbookSource[];
  /** Problems reading files (unreadable file...). */
  errors: RunbookError[];
}

/** Reads files for prompt_file checks from disk. */
export const diskFiles: ProjectFileAccess = {
  readText(path: string): string | undefined {
    if (!isFile(path)) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};

export function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

function readError(root: string, path: string, error: unknown): RunbookError {
  return { file: displayPath(root, path), message: `cannot read file: ${error instanceof Error ? error.message : String(error)}` };
}

/** One file read: its text, or why it could not be read. */
type Read = { path: string; text: string } | { path: string; error: unknown };

function readSync(path: string): Read {
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    return { path, error };
  }
}

async function readAsync(path: string): Promise<Read> {
  try {
    return { path, text: await readFile(path, 'utf8') };
  } catch (error) {
    return { path, error };
  }
}

/** The sources of a root with no `.oj/` directory: nothing but the reason. */
function notAProject(root: string): ProjectSources {
  const error = { file: root, message: 'not an oj project: no .oj directory', hint: 'create .oj/runbooks/ and put runbook .toml files in it' };
  return { root, config: null, runbooks: [], errors: [error] };
}

/** The sources from what was read: `.oj/config.toml` (null when absent), then the runbooks in load order. */
function sourcesOf(root: string, config: Read | null, runbooks: readonly Read[]): ProjectSources {
  const sources: ProjectSources = { root, config: null, runbooks: [], errors: [] };
  if (config && 'text' in config) sources.config = { display: displayPath(root, config.path), text: config.text };
  else if (config) sources.errors.push(readError(root, config.path, config.error));
  for (const r of runbooks) {
    if ('text' in r) sources.runbooks.push({ name: runbookName(r.path), path: r.path, display: displayPath(root, r.path), text: r.text });
    else sources.errors.push(readError(root, r.path, r.error));
  }
  return sources;
}

export function readProjectSourcesSync(root: string): ProjectSources {
  const paths = projectPaths(root);
  if (!isDirectory(paths.ojDir)) return notAProject(root);
  return sourcesOf(root, isFile(paths.configFile) ? readSync(paths.configFile) : null, listRunbookFiles(paths.runbooksDir).map(readSync));
}

export async function readProjectSources(root: string): Promise<ProjectSources> {
  const paths = projectPaths(root);
  if (!isDirectory(paths.ojDir)) return notAProject(root);
  const config = isFile(paths.configFile) ? await readAsync(paths.configFile) : null;
  const runbooks: Read[] = [];
  for (const path of await listRunbookFilesAsync(paths.runbooksDir)) runbooks.push(await readAsync(path));
  return sourcesOf(root, config, runbooks);
}

/** Order problems by file (config first, then runbooks in load order), then by line. */
function sortErrors(errors: RunbookError[], fileOrder: readonly string[]): RunbookError[] {
  const rank = (file: string): number => {
    const index = fileOrder.indexOf(file);
    return index === -1 ? fileOrder.length : index;
  };
  return errors
    .map((error, index) => ({ error, index }))
    .sort(
      (a, b) =>
        rank(a.error.file) - rank(b.error.file) ||
        (a.error.line ?? Infinity) - (b.error.line ?? Infinity) ||
        a.index - b.index,
    )
    .map(({ error }) => error);
}

/**
 * Parse and check sources into a project; pure apart from `files` (prompt_file
 * reads) and the bash parser deciding its shell templates (one call for the
 * templates it has not decided yet: code-context-decisions.ts).
 */
export function buildProject(sources: ProjectSources, files: ProjectFileAccess = diskFiles): LoadResult {
  return decidingCodeContexts(() => buildOnce(sources, files));
}

function buildOnce(sources: ProjectSources, files: ProjectFileAccess): LoadResult {
  const sink = new ErrorSink();
  sink.errors.push(...sources.errors);
  const configDisplay = sources.config?.display ?? '.oj/config.toml';
  const { config, errors: configErrors } = parseProjectConfig(sources.config?.text ?? null, configDisplay);
  sink.errors.push(...configErrors);
  const parsed = sources.runbooks.map((source) => parseRunbookFile(source, config, sink));
  const model = assembleProject(sources.root, config, parsed, files, sink);
  if (sink.count > 0) {
    const texts = new Map<string, string>(sources.runbooks.map((r) => [r.display, r.text]));
    if (sources.config !== null) texts.set(sources.config.display, sources.config.text);
    locateErrors(sink.errors, texts);
    return { ok: false, errors: sortErrors(sink.errors, [configDisplay, ...sources.runbooks.map((r) => r.display)]) };
  }
  return { ok: true, project: new Project(model) };
}

export function loadProjectSync(root: string): LoadResult {
  return buildProject(readProjectSourcesSync(root));
}

export async function loadProject(root: string): Promise<LoadResult> {
  return buildProject(await readProjectSources(root));
}

export interface InMemoryProject {
  /** Runbook texts by runbook name (file name without .toml). */
  runbooks: Record<string, string>;
  /** `.oj/config.toml` text. */
  config?: string;
  /** Other project files (prompt templates) by path relative to the root. */
  files?: Record<string, string>;
  /** Defaults to /project. */
  root?: string;
}

/** Build a project from texts, without touching the disk: for tests and tools. */
export function buildProjectFromTexts(input: InMemoryProject): LoadResult {
  const root = input.root ?? '/project';
  const runbooks: RunbookSource[] = Object.entries(input.runbooks).map(([name, text]) => ({
    name,
    path: `${root}/.oj/runbooks/${name}.toml`,
    display: `.oj/runbooks/${name}.toml`,
    text,
  }));
  const config = input.config === undefined ? null : { display: '.oj/config.toml', text: input.config };
  const extra = input.files ?? {};
  const files: ProjectFileAccess = {
    readText: (path) => {
      const rel = relative(root, path);
      return Object.hasOwn(extra, rel) ? extra[rel] : undefined;
    },
  };
  return buildProject({ root, config, runbooks, errors: [] }, files);
}
