/** oj session ..., oj done, oj checkpoint */
import { AGENT_STATES, PipelineMethods, SessionMethods, type AgentState, type SessionInfo } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { durationOption } from '../output/durations.js';
import { ExitCode, printJson, println, reportError } from '../output/print.js';
import { formatTable } from '../output/table.js';
import { formatAgo, formatDuration } from '../output/time.js';
import { attachSession, checkAttachTerminal } from './session-attach.js';
import { runHook, runReport } from './session-hook.js';
import { currentProject, withDaemon } from './run-command.js';

const idArg = (a: Argv) => a.positional('id', { type: 'string', demandOption: true, describe: 'session id, or a prefix of one (a live session wins over ended ones)' });

export function sessionCommands(y: Argv): Argv {
  return y
    .command(
      ['list', 'ls'],
      'Agent sessions (running; --all for ended ones too)',
      (a) => a.option('all', { type: 'boolean' }).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const project = currentProject();
          const { sessions } = await conn.call(SessionMethods.List, { ...(argv.all ? { all: true } : {}), ...(project ? { project } : {}) });
          if (argv.json) return printJson(sessions);
          if (!sessions.length) return println('no sessions');
          process.stdout.write(
            formatTable(
              ['id', 'pipeline', 'phase', 'status', 'state', 'idle', 'started'],
              sessions.map((s) => [
                s.id,
                s.pipeline ?? '-',
                s.phase ?? '-',
                status(s),
                stateText(s),
                s.idleMs === null ? '-' : formatDuration(s.idleMs),
                formatAgo(s.startedAt),
              ]),
            ),
          );
        }),
    )
    .command('show <id>', 'One session', (a) => idArg(a).option('json', { type: 'boolean' }), (argv) =>
      withDaemon(async (conn) => {
        const { session: s } = await conn.call(SessionMethods.Show, { id: argv.id });
        if (argv.json) return printJson(s);
        println(`${s.id}  ${status(s)}`);
        println(`  agent     ${s.agent}`);
        println(`  pipeline  ${s.pipeline ?? '-'} (phase ${s.phase ?? '-'})`);
        println(`  cwd       ${s.cwd}`);
        println(`  started   ${formatAgo(s.startedAt)}${s.endedAt ? `, ended ${formatAgo(s.endedAt)}` : ''}`);
        if (s.state) println(`  state     ${stateText(s)}${s.message ? `: ${s.message}` : ''}`);
        if (s.reason) println(`  reason    ${s.reason}${s.until ? `: ${untilText(s.until)}` : ''}`);
        if (s.idleMs !== null) println(`  idle      ${formatDuration(s.idleMs)}`);
        if (s.transcriptPath) println(`  claude    ${s.transcriptPath}`);
        for (const b of s.blocked) println(`  blocked   ${formatAgo(b.at)}: ${b.tool} ${b.path}`);
        println(`  files     ${s.dir} (transcript.log, prompt.md)`);
      }),
    )
    .command(
      'idle-time <id>',
      'Seconds since the agent last showed life (for scripts); with --over D exits 0 only when idle longer than D',
      (a) => idArg(a).option('over', { type: 'string', describe: 'e.g. 5m: exit 0 if idle longer, else 1 (for monitor conditions)' }),
      (argv) =>
        withDaemon(async (conn) => {
          const over = durationOption('over', argv.over);
          const { session } = await conn.call(SessionMethods.Show, { id: argv.id });
          const idle = session.idleMs ?? 0;
          println(String(Math.floor(idle / 1000)));
          if (over !== undefined) return session.status === 'running' && idle > over ? 0 : 1;
          return 0;
        }),
    )
    .command('alive <id>', 'Exit 0 if the session is running, else 1', idArg, (argv) =>
      withDaemon(async (conn) => {
        const { session } = await conn.call(SessionMethods.Show, { id: argv.id });
        return session.status === 'running' ? 0 : 1;
      }),
    )
    .command(
      'capture <id>',
      'Print what the session shows',
      (a) => idArg(a).option('lines', { alias: 'n', type: 'number', describe: 'lines of scrollback' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { text } = await conn.call(SessionMethods.Capture, { id: argv.id, ...(argv.lines ? { lines: argv.lines } : {}) });
          println(text);
        }),
    )
    .command(
      'send <id> <text>',
      'Type text into the session and press Enter',
      (a) => idArg(a).positional('text', { type: 'string', demandOption: true }).option('no-enter', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          await conn.call(SessionMethods.Send, { id: argv.id, text: argv.text, enter: !argv['no-enter'] });
        }),
    )
    .command('nudge <id> [message]', 'Nudge a stuck agent', (a) => idArg(a).positional('message', { type: 'string' }), (argv) =>
      withDaemon(async (conn) => {
        const r = await conn.call(SessionMethods.Nudge, { id: argv.id, ...(argv.message ? { message: argv.message } : {}) });
        println(`nudged: ${r.message}`);
      }),
    )
    .command('kill <id>', "Kill the session's agent", idArg, (argv) =>
      withDaemon(async (conn) => {
        const { session } = await conn.call(SessionMethods.Kill, { id: argv.id });
        println(`${session.id}: ${session.status}`);
      }),
    )
    .command(
      'attach <id>',
      'Live terminal of the session: keys (Ctrl-C too) go to the agent, Ctrl-] detaches',
      (a) => idArg(a).option('read-only', { type: 'boolean', describe: 'only watch: no key reaches the agent; Ctrl-] or Ctrl-C detaches' }),
      (argv) => {
        const readOnly = argv['read-only'] === true;
        try {
          checkAttachTerminal(argv.id, readOnly, process.stdin.isTTY === true);
        } catch (err) {
          process.exitCode = reportError(err);
          return;
        }
        return withDaemon((conn) => attachSession(conn, argv.id, { readOnly }));
      },
    )
    .command(
      'wait <id>',
      'Wait until the agent is idle or has exited (exit 0), or the timeout passes (exit 124)',
      (a) => idArg(a).option('timeout', { type: 'string' }).option('idle', { type: 'string', describe: 'how long quiet counts as idle (default 2s)' }),
      (argv) =>
        withDaemon(async (conn) => {
          const timeoutMs = durationOption('timeout', argv.timeout);
          const idleMs = durationOption('idle', argv.idle);
          const r = await conn.call(SessionMethods.Wait, { id: argv.id, ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(idleMs !== undefined ? { idleMs } : {}) });
          println(r.timedOut ? 'timed out' : r.state);
          return r.timedOut ? ExitCode.TimedOut : ExitCode.Ok;
        }),
    )
    .command(
      'hook',
      "For Claude Code's hooks (oj installs them): report the hook's payload (stdin) to ojd; never fails the agent",
      (a) => a,
      () => runHook(),
    )
    .command(
      'report <state>',
      `For other agent CLIs: report the agent's state (${AGENT_STATES.join(', ')})`,
      (a) =>
        a
          .positional('state', { type: 'string', choices: AGENT_STATES, demandOption: true })
          .option('message', { alias: 'm', type: 'string', describe: 'what it waits for, or why it failed' }),
      async (argv) => {
        process.exitCode = await runReport(argv.state as AgentState, argv.message);
      },
    )
    .demandCommand(1, 'say which session command to run (oj session --help lists them)');
}

function status(s: SessionInfo): string {
  return s.status === 'running' ? 'running' : `${s.status}${s.exitCode !== null ? ` (${s.exitCode})` : ''}`;
}

/** When a rate limit resets: `waits until 15:00 (in 42m)`, or `reset at 15:00 (3m ago)` once it has. */
function untilText(until: string, now = Date.now()): string {
  const at = new Date(until);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = at.toDateString() === new Date(now).toDateString() ? '' : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} `;
  const when = `${day}${pad(at.getHours())}:${pad(at.getMinutes())}`;
  return `${at.getTime() > now ? 'waits until' : 'reset at'} ${when} (${formatAgo(until, now)})`;
}

/** The reported state and how long it has held (`working 2m`), or `-`. */
function stateText(s: SessionInfo): string {
  if (!s.state) return '-';
  return s.stateSince ? `${s.state} ${formatDuration(Math.max(0, Date.now() - Date.parse(s.stateSince)))}` : s.state;
}

function agentEnv() {
  const session = process.env.OJ_SESSION;
  const pipeline = process.env.OJ_PIPELINE;
  return { ...(session ? { session } : {}), ...(pipeline ? { pipeline } : {}) };
}

export function doneCommand(y: Argv): Argv {
  return y.command(
    'done',
    'For agents: report that the work is done (--error: failed; --restart: start afresh)',
    (a) => a.option('error', { type: 'string', describe: 'the work failed, because...' }).option('restart', { type: 'boolean' }),
    (argv) =>
      withDaemon(async (conn) => {
        const r = await conn.call(SessionMethods.Done, {
          ...agentEnv(),
          ...(argv.error !== undefined ? { error: argv.error } : {}),
          ...(argv.restart ? { restart: true } : {}),
        });
        println(`reported to oj (session ${r.session})`);
      }),
  );
}

export function checkpointCommand(y: Argv): Argv {
  return y.command(
    'checkpoint <message>',
    "For agents and scripts: record progress on the current pipeline (OJ_PIPELINE)",
    (a) => a.positional('message', { type: 'string', demandOption: true }),
    (argv) =>
      withDaemon(async (conn) => {
        const id = process.env.OJ_PIPELINE;
        if (!id) throw new Error('oj checkpoint needs OJ_PIPELINE (set inside pipelines and agent sessions); use oj pipeline checkpoint <id> <message>');
        await conn.call(PipelineMethods.Checkpoint, { id, message: argv.message });
        println('checkpoint recorded');
      }),
  );
}
