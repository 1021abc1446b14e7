/**
 * oj status: one screen answering "what is running, what is stuck, what
 * needs me" for this project (or --all): the daemon, pipelines under way with
 * phase and age, what needs a human, agent sessions, workers, crons, locks,
 * semaphores (sections the daemon's capabilities provide), recent failures.
 */
import { StatusMethods, type NeedsYou, type PipelineInfo, type StatusOverview } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import type { RpcConnection } from '../client/rpc-connection.js';
import { printJson } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable, indentBlock } from '../output/table.js';
import { formatAgo, formatDuration } from '../output/time.js';
import { PIPELINE_COLUMNS, pipelineRow } from './pipeline-list.js';
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
  // Ctrl-C ends it (exit 130, output/interrupt.ts).
  let stop = false;
  conn.onClose(() => (stop = true));
  while (!stop) {
    const text = watchHeader(everyMs, new Date()) + '\n\n' + render(await fetch());
    process.stdout.write((process.stdout.isTTY ? '\x1b[H\x1b[2J' : '\n') + text);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return 0;
}

/** The first line of each `oj status --watch` screen: how often, and when this one was taken (local time). */
export function watchHeader(everyMs: number, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const when = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  return style.dim(`every ${Number((everyMs / 1000).toFixed(2))}s: oj status`) + `  ${when}  ` + style.dim('(Ctrl-C to quit)');
}

export function render(o: StatusOverview, now = Date.now()): string {
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const d = o.daemon;
  line(`${style.bold('ojd')} ${d.version}  pid ${d.pid}  up ${formatDuration(d.uptimeMs)}  ${style.dim(d.socket)}`);
  line(o.project ? `project ${o.project}` : 'all projects');
  // A problem's detail lines (indented) follow it as they are.
  for (const e of o.runbookErrors) line(/^\s/.test(e) ? `  ${style.red(e.trimStart())}` : style.red(`runbook error: ${e}`));
  if (d.diskFull) line(style.red(`disk full since ${d.diskFull.since}: ${d.diskFull.refused} write(s) refused; free space (df -h ${d.stateDir})`));
  if (d.cluster) {
    const gone = d.cluster.hosts.filter((h) => h.gone).map((h) => h.host);
    const up = d.cluster.hosts.length - gone.length;
    const leaders = d.cluster.leaders.map((l) => (l.held ? `${l.project} ${l.host}` : style.red(`${l.project} none (lapsed)`)));
    line(`cluster: host ${d.cluster.hostId}, ${up} host(s) up${gone.length ? style.red(`, gone: ${gone.join(', ')}`) : ''}${leaders.length ? `, leaders: ${leaders.join(', ')}` : ''}${d.cluster.reachable ? '' : style.red(' (database unreachable)')}`);
  }

  // Across projects a pipeline is named by its key (its id is unique only in its project).
  const everywhere = !o.project;
  const name = (p: PipelineInfo) => (everywhere ? p.key : p.id);
  // What needs you (the daemon's list): an escalated pipeline names the escalation to review; an agent
  // waiting at a prompt is listed as the prompt; the escalations section keeps only the other ones.
  const { escalations, ...others } = o.sections;
  const answered = new Set(o.needsYou.map((n) => n.escalation).filter((e): e is number => e !== null));
  const why = (n: NeedsYou) =>
    n.kind === 'escalated' || n.kind === 'waiting' ? n.message : n.kind === 'permission' ? `agent needs permission: ${firstLine(n.message, 70)}` : `agent asks: ${firstLine(n.message, 70)}`;
  const needRows = o.needsYou.map((n) => [(everywhere ? n.key : n.pipeline) ?? n.session ?? '-', n.phase ?? '-', why(n), formatAgo(n.since, now), n.escalation === null ? '-' : String(n.escalation)]);
  section(line, 'Needs you', needRows, (r) => r, ['pipeline', 'phase', 'why', 'since', 'escalation'], 'nothing');
  if (answered.size > 0) line(style.dim('  oj escalation review <escalation> answers one'));
  section(
    line,
    'Pipelines',
    o.active,
    (p: PipelineInfo) => pipelineRow(p, now, everywhere),
    everywhere ? ['id', 'project', ...PIPELINE_COLUMNS.slice(1)] : PIPELINE_COLUMNS,
    'none running',
  );
  section(
    line,
    'Agent sessions',
    o.sessions,
    (s) => [s.id, s.phase ?? '-', s.state ?? (s.idleMs === null ? '-' : `idle ${formatDuration(s.idleMs)}`), formatAgo(s.startedAt, now)],
    ['session', 'phase', 'activity', 'started'],
    'none',
  );
  const rest = escalations ? { escalations: { ...escalations, rows: escalations.rows.filter((r) => !answered.has(Number(r.id))) }, ...others } : others;
  for (const [, sec] of Object.entries(rest)) {
    if (sec.rows.length === 0 && sec === rest.escalations) continue;
    const keys = sec.rows[0] ? Object.keys(sec.rows[0]) : [];
    section(line, sec.title, sec.rows, (r) => keys.map((k) => cell(r[k])), keys, 'none');
  }
  section(
    line,
    'Recent failures',
    o.recentFailures,
    (p) => [name(p), p.phase ?? '-', firstLine(p.error ?? '', 70), formatAgo(p.finishedAt ?? p.updatedAt, now)],
    ['pipeline', 'phase', 'error', 'when'],
    'none',
  );
  return out.join('\n') + '\n';
}

/** The first line of a (possibly multi-line) message, at most `max` characters. */
function firstLine(text: string, max: number): string {
  const first = text.split('\n')[0]!;
  const cut = first.length > max ? first.slice(0, max - 1) + '…' : first;
  return cut + (first !== text && cut === first ? ' …' : '');
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
  line(indentBlock(formatTable(headers, rows.map(toRow)), '  ').trimEnd());
}
