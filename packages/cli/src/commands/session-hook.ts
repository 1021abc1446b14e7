/**
 * `oj session hook`: the command oj installs as Claude Code's hook for each
 * event. It reads the hook's JSON payload from stdin and tells ojd (session
 * from OJ_SESSION), then returns: it never starts ojd, waits at most a moment
 * for it, and never fails the agent (exit 0) when ojd is down or the payload
 * is odd. One exception, decided here so that it holds without ojd: a
 * PreToolUse of a file-writing tool whose path lies in a `[safety]`
 * protected path (OJ_PROTECTED_PATHS) exits 2 with a one-line reason, which
 * blocks the tool and shows the reason to the model.
 *
 * `oj session report STATE` is the same report for other agent CLIs.
 */
import { isAbsolute, resolve } from 'node:path';
import {
  FILE_WRITING_TOOLS,
  PROTECTED_PATHS_ENV,
  SessionMethods,
  protectedPaths,
  type AgentState,
  type AnyMethod,
  type ParamsOf,
} from '@oj/protocol/client';
import { daemonLocation, tryConnect } from '../client/daemon-launcher.js';

/** How long a hook waits for ojd's answer before it lets the agent go on. */
const ANSWER_MS = 1500;
const MAX_PAYLOAD = 4 * 1024 * 1024;

export interface Blocked {
  tool: string;
  path: string;
  reason: string;
}

function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return Promise.resolve('');
  return new Promise((res) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      process.stdin.pause();
      res(text);
    };
    const timer = setTimeout(done, 5000);
    timer.unref();
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      if (text.length < MAX_PAYLOAD) text += chunk;
    });
    process.stdin.on('end', done);
    process.stdin.on('error', done);
  });
}

function parsePayload(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The protected path a file-writing tool use would write into, or null (pure but for the environment). */
export function protectedWrite(payload: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Blocked | null {
  if (payload.hook_event_name !== 'PreToolUse') return null;
  const tool = typeof payload.tool_name === 'string' ? payload.tool_name : '';
  if (!(FILE_WRITING_TOOLS as readonly string[]).includes(tool)) return null;
  let entries: unknown;
  try {
    entries = JSON.parse(env[PROTECTED_PATHS_ENV] ?? '[]');
  } catch {
    return null;
  }
  if (!Array.isArray(entries) || entries.length === 0) return null;
  const input = typeof payload.tool_input === 'object' && payload.tool_input !== null ? (payload.tool_input as Record<string, unknown>) : {};
  const target = [input.file_path, input.notebook_path, input.path].find((p): p is string => typeof p === 'string' && p.length > 0);
  if (!target) return null;
  const cwd = typeof payload.cwd === 'string' && isAbsolute(payload.cwd) ? payload.cwd : process.cwd();
  const path = isAbsolute(target) ? target : resolve(cwd, target);
  const hit = protectedPaths(entries.filter((e): e is string => typeof e === 'string'), cwd).match(path);
  if (!hit) return null;
  return { tool, path, reason: `oj: ${tool} to ${path} blocked: it is inside the protected path ${hit} ([safety] protected in the runbooks)` };
}

/** One call to ojd if it answers, bounded in time; false when it could not be told. */
async function tell<M extends AnyMethod>(method: M, params: ParamsOf<M>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const conn = await tryConnect(daemonLocation()).catch(() => null);
  if (!conn) return false;
  try {
    const answered = conn.call(method, params).then(
      () => true,
      () => false,
    );
    const late = new Promise<boolean>((res) => {
      timer = setTimeout(() => res(false), ANSWER_MS);
    });
    return await Promise.race([answered, late]);
  } finally {
    if (timer) clearTimeout(timer);
    conn.close();
  }
}

export async function runHook(): Promise<void> {
  const payload = parsePayload(await readStdin());
  const blocked = protectedWrite(payload);
  const session = process.env.OJ_SESSION;
  if (session) await tell(SessionMethods.Hook, { session, payload, ...(blocked ? { blocked } : {}) });
  if (blocked) process.stderr.write(blocked.reason + '\n');
  process.exitCode = blocked ? 2 : 0;
}

export async function runReport(state: AgentState, message: string | undefined): Promise<number> {
  const session = process.env.OJ_SESSION;
  if (!session) {
    process.stderr.write('oj session report: OJ_SESSION is not set (it is meant to run inside an agent session started by oj)\n');
    return 0;
  }
  const told = await tell(SessionMethods.Report, { session, state, ...(message !== undefined ? { message } : {}) });
  if (!told) process.stderr.write(`oj session report: ojd did not take the report (state ${state}); the agent goes on\n`);
  return 0;
}
