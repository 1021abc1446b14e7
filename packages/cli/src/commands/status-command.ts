/**
 * oj status: one screen answering "what is running, what is stuck, what
 * needs me" for this project (or --all): the daemon, pipelines under way with
 * phase and age, what needs a human, agent sessions, workers, crons, locks,
 * semaphores (sections the daemon's capabilities provide), recent failures.
 */
import { StatusMethods, type PipelineInfo, type StatusOverview } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import type { RpcConnection } from '../client/rpc-connection.js';
import { printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable } from '../output/table.js';
import { formatAgo, formatDuration } from '../output/time.js';
import { statusText } from './pipeline-list.js';
import { currentProject, withDaemon } from './run-command.js';

export function statusCommand(y: Argv): Argv {
  return y.command(
    'status',
    'What is running, what is stuck, what needs you',
    (a) =>
      a
        .option('all', { type: 'boolean', describe: 'every project, not only this one' })
        .option('watch', { alias: 'w', type: 'boolean', describe: 'refresh in place (Ctrl-C to quit)' })
        .option('interval', { type: 'number', default: 2, describe: 'seconds between refreshes with --watch' })
        .option('json', { type: 'boolean', describe: 'machine-readable output' }),
    (argv) => runStatus(argv),
  );
}

export interface StatusArgs {
  all?: boolean | undefined;
  watch?: boolean | undefined;
  interval?: number | undefined;
  json?: boolean | undefined;
}

export function runStatus(argv: StatusArgs): Promise<void> {
  return withDaemon(async (conn) => {
    const project = argv.all ? undefined : currentProject();
    const fetch = () => conn.call(StatusMethods.Overview, project ? { project } : {});
    if (argv.json) return printJson(await fetch());
    if (!argv.watch) {
      process.stdout.write(render(await fetch()));
      return 0;
    }
    return watch(conn, fetch, Math.max(0.5, argv.interval ?? 2) * 1000);
  });
}

async function watch(conn: RpcConnection, fetch: () => Promise<StatusOverview>, everyMs: number): Promise<number> {
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  conn.onClose(() => (stop = true));
  while (!stop) {
    const text = render(await fetch());
    process.stdout.write((process.stdout.isTTY ? '\x1b[H\x1b[2J' : '\n') + text);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return 0;
}

export function render(o: StatusOverview): string {
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const d = o.daemon;
  line(`${style.bold('ojd')} ${d.version}  pid ${d.pid}  up ${formatDuration(d.uptimeMs)}  ${style.dim(d.socket)}`);
  line(o.project ? `project ${o.project}` : 'all projects');
  for (const e of o.runbookErrors) line(style.red(`runbook error: ${e}`));
  if (d.diskFull) line(style.red(`disk full since ${d.diskFull.since}: ${d.diskFull.refused} write(s) refused; free space (df -h ${d.stateDir})`));

  section(line, 'Needs you', o.needsYou, (p) => [p.id, p.phase ?? '-', p.waitingFor?.detail ?? p.error ?? p.status, formatAgo(p.updatedAt)], ['pipeline', 'phase', 'why', 'since'], 'nothing');
  section(
    line,
    'Pipelines',
    o.active,
    (p: PipelineInfo) => [p.id, p.kind, p.phase ?? '-', statusText(p), p.phaseStartedAt ? formatDuration(Date.now() - Date.parse(p.phaseStartedAt)) : '-', formatAgo(p.createdAt)],
    ['id', 'pipeline', 'phase', 'status', 'in phase', 'age'],
    'none running',
  );
  section(
    line,
    'Agent sessions',
    o.sessions,
    (s) => [s.id, s.phase ?? '-', s.idleMs === null ? '-' : `idle ${formatDuration(s.idleMs)}`, formatAgo(s.startedAt)],
    ['session', 'phase', 'activity', 'started'],
    'none',
  );
  for (const [, sec] of Object.entries(o.sections)) {
    const keys = sec.rows[0] ? Object.keys(sec.rows[0]) : [];
    section(line, sec.title, sec.rows, (r) => keys.map((k) => cell(r[k])), keys, 'none');
  }
  section(
    line,
    'Recent failures',
    o.recentFailures,
    (p) => [p.id, p.phase ?? '-', (p.error ?? '').slice(0, 70), formatAgo(p.finishedAt ?? p.updatedAt)],
    ['pipeline', 'phase', 'error', 'when'],
    'none',
  );
  return out.join('\n') + '\n';
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  return String(v);
}

function section<T>(line: (s?: string) => void, title: string, rows: T[], toRow: (r: T) => string[], headers: string[], empty: string): void {
  line();
  if (rows.length === 0) {
    line(`${style.bold(title)}: ${style.dim(empty)}`);
    return;
  }
  line(style.bold(`${title} (${rows.length})`));
  line(formatTable(headers, rows.map(toRow)).trimEnd().replace(/^/gm, '  '));
}
