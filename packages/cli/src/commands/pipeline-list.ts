/**
 * `oj pipeline list` and how a pipeline's status reads, kept apart from the
 * rest of `oj pipeline` so that the CLI's fast path (entry.ts) loads only this.
 */
import { PipelineMethods, type PipelineInfo } from '@oj/protocol/client';
import { printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable } from '../output/table.js';
import { formatAgo, formatDuration } from '../output/time.js';
import { currentProject, withDaemon } from './run-command.js';

export interface ListArgs {
  phase?: string | undefined;
  status?: string | undefined;
  active?: boolean | undefined;
  'has-session'?: boolean | undefined;
  archived?: boolean | undefined;
  all?: boolean | undefined;
  json?: boolean | undefined;
  /** At most this many, newest first (default: DEFAULT_LIMIT); 0: all. */
  limit?: number | undefined;
}

/** How many pipelines `oj pipeline list` shows unless --limit says otherwise. */
export const DEFAULT_LIMIT = 50;


let allProjects = false;

/** `--all-projects`: ids are looked up in every project, not only the current one. */
export function lookInAllProjects(on: boolean): void {
  allProjects = on;
}

/** This project's scope for a request, when the current directory is in one (and --all-projects is not given). */
export const scope = (): { project?: string } => {
  const project = allProjects ? null : currentProject();
  return project ? { project } : {};
};

export function listPipelines(argv: ListArgs): Promise<void> {
  const limit = argv.limit ?? DEFAULT_LIMIT;
  return withDaemon(async (conn) => {
    const { pipelines, total } = await conn.call(PipelineMethods.List, {
      ...(argv.all ? {} : scope()),
      ...(argv.phase ? { phase: split(argv.phase) } : {}),
      ...(argv.status ? { status: split(argv.status) } : {}),
      ...(argv.active ? { active: true } : {}),
      ...(argv['has-session'] !== undefined ? { hasSession: argv['has-session'] } : {}),
      ...(argv.archived ? { archived: true } : {}),
      ...(limit > 0 ? { limit } : {}),
    });
    printList(pipelines, argv.json);
    // On stderr, so that stdout stays the list itself (a plain JSON array with --json).
    if (total > pipelines.length) process.stderr.write(style.dim(pageNote(pipelines.length, total), process.stderr) + '\n');
  });
}

function printList(pipelines: PipelineInfo[], json: boolean | undefined): void {
  if (json) return printJson(pipelines);
  if (pipelines.length === 0) return println('no pipelines');
  process.stdout.write(formatTable(PIPELINE_COLUMNS, pipelines.map((p) => pipelineRow(p))));
}

/** The columns of a pipeline listing, the same in `oj pipeline list` and `oj status`. */
export const PIPELINE_COLUMNS = ['id', 'pipeline', 'status', 'phase', 'age', 'in phase'];

export function pipelineRow(p: PipelineInfo, now = Date.now()): string[] {
  return [
    p.id,
    p.kind,
    statusText(p),
    p.phase ?? '-',
    formatAgo(p.createdAt),
    p.phaseStartedAt && !p.finishedAt ? formatDuration(now - Date.parse(p.phaseStartedAt)) : '-',
  ];
}

/** The note under a page that is not everything there is. */
export function pageNote(shown: number, total: number): string {
  return `showing the newest ${thousands(shown)} of ${thousands(total)} pipelines; --limit 0 shows all`;
}

/** 1234567 -> "1,234,567". Not toLocaleString: loading ICU costs ~30 ms of the CLI's start. */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function split(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

export function statusText(p: PipelineInfo): string {
  const s = p.status;
  const waiting = p.waitingFor ? ` for ${p.waitingFor.kind} ${p.waitingFor.name}` : '';
  const text = s === 'waiting' ? `waiting${waiting}` : s;
  if (s === 'done') return style.green(text);
  if (s === 'failed') return style.red(text);
  if (s === 'escalated' || s === 'waiting') return style.yellow(text);
  return text;
}
