/**
 * `oj pipeline list` and how a pipeline's status reads, kept apart from the
 * rest of `oj pipeline` so that the CLI's fast path (entry.ts) loads only this.
 */
import { PIPELINE_STATUSES, PipelineMethods, type PipelineInfo, type PipelineStatusName } from '@oj/protocol/client';
import { UsageError, printJson, println } from '../output/print.js';
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

/**
 * The project pipeline ids are looked up in (ids are unique per project):
 * none with --all-projects; for a command ojd runs for a pipeline (a phase,
 * hook, guard, agent: `$OJ_PROJECT_ROOT` is set) that pipeline's project,
 * wherever its directory is (a workspace is a checkout of its own); else the
 * project of the current directory, when it is in one.
 */
export const scope = (): { project?: string } => {
  const project = allProjects ? null : process.env.OJ_PROJECT_ROOT || currentProject();
  return project ? { project } : {};
};

export function listPipelines(argv: ListArgs): Promise<void> {
  const limit = argv.limit ?? DEFAULT_LIMIT;
  const where = argv.all ? {} : scope();
  return withDaemon(async (conn) => {
    const status = argv.status ? await statuses(argv.status) : undefined;
    const { pipelines, total } = await conn.call(PipelineMethods.List, {
      ...where,
      ...(argv.phase ? { phase: split(argv.phase) } : {}),
      ...(status ? { status } : {}),
      ...(argv.active ? { active: true } : {}),
      ...(argv['has-session'] !== undefined ? { hasSession: argv['has-session'] } : {}),
      ...(argv.archived ? { archived: true } : {}),
      ...(limit > 0 ? { limit } : {}),
    });
    printList(pipelines, argv.json, where.project === undefined);
    // On stderr, so that stdout stays the list itself (a plain JSON array with --json).
    if (total > pipelines.length) process.stderr.write(style.dim(pageNote(pipelines.length, total), process.stderr) + '\n');
  });
}

/**
 * Across projects (`everywhere`), a pipeline is shown by its key (its id is
 * unique only in its project), with its project.
 */
function printList(pipelines: PipelineInfo[], json: boolean | undefined, everywhere: boolean): void {
  if (json) return printJson(pipelines);
  if (pipelines.length === 0) return println('no pipelines');
  const columns = everywhere ? ['id', 'project', ...PIPELINE_COLUMNS.slice(1)] : PIPELINE_COLUMNS;
  process.stdout.write(formatTable(columns, pipelines.map((p) => pipelineRow(p, Date.now(), everywhere))));
}

/** The columns of a pipeline listing, the same in `oj pipeline list` and `oj status`. */
export const PIPELINE_COLUMNS = ['id', 'pipeline', 'status', 'phase', 'age', 'in phase'];

/** One row; across projects (`everywhere`) the pipeline's key, then its project (as the columns say). */
export function pipelineRow(p: PipelineInfo, now = Date.now(), everywhere = false): string[] {
  return [
    everywhere ? p.key : p.id,
    ...(everywhere ? [p.project] : []),
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

/** `--status a,b`: each a pipeline status, or a usage error naming them all. */
async function statuses(text: string): Promise<PipelineStatusName[]> {
  const given = split(text);
  for (const s of given) {
    if ((PIPELINE_STATUSES as readonly string[]).includes(s)) continue;
    // Loaded only for a wrong value (this module is on the CLI's fast path).
    const { didYouMean } = await import('@oj/daemon/did-you-mean');
    const guess = didYouMean(s, PIPELINE_STATUSES);
    throw new UsageError(`--status ${s}: not a pipeline status; ${guess ? `${guess} ` : ''}(statuses: ${PIPELINE_STATUSES.join(', ')})`);
  }
  return given as PipelineStatusName[];
}

export function split(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** What a pipeline waits for: "lock deploy", "human escalation", "workspace" (a name equal to its kind is said once). */
export function waitingText(w: NonNullable<PipelineInfo['waitingFor']>): string {
  return w.name && w.name !== w.kind ? `${w.kind} ${w.name}` : w.kind;
}

export function statusText(p: PipelineInfo): string {
  const s = p.status;
  const waiting = p.waitingFor ? ` for ${waitingText(p.waitingFor)}` : '';
  const text = s === 'waiting' ? `waiting${waiting}` : s;
  if (s === 'done') return style.green(text);
  if (s === 'failed') return style.red(text);
  if (s === 'escalated' || s === 'waiting') return style.yellow(text);
  return text;
}
