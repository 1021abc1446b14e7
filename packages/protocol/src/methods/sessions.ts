/** Agent sessions: the ptys ojd runs agents in. */
import { z } from 'zod';
import { method, notification } from '../rpc.js';
import { once } from '../once.js';
import { AGENT_STATES, type AgentPrompt, type AgentState, type FailureReason } from '../agent-state.js';

export type SessionStatus = 'running' | 'exited' | 'vanished' | 'killed';

export interface SessionInfo {
  id: string;
  project: string;
  pipeline: string | null;
  phase: string | null;
  agent: string;
  status: SessionStatus;
  exitCode: number | null;
  cwd: string;
  startedAt: string;
  endedAt: string | null;
  /** Milliseconds since the agent's last heartbeat (output, or its Claude log). */
  idleMs: number | null;
  activity: string | null;
  restarts: number;
  dir: string;
  /** What the agent last reported (hooks or `oj session report`); null while it has reported nothing. */
  state: AgentState | null;
  /** When it entered that state (ISO). */
  stateSince: string | null;
  /** The state's message: a permission prompt's text, a failure's reason. */
  message: string | null;
  /** For `needs_permission`: the prompt it waits at (a permission, a plan, a question and its choices). */
  prompt: AgentPrompt | null;
  /** For `failed`: why, as oj names it (`rate_limited`, `unauthorized`...). */
  reason: FailureReason | null;
  /** For `failed` with `rate_limited`: when the limit resets (ISO); the session waits until then. */
  until: string | null;
  /** Claude Code's transcript (JSONL), as its SessionStart hook gave it. */
  transcriptPath: string | null;
  /** Tool uses the `[safety]` hook blocked (newest last, at most 20). */
  blocked: { at: string; tool: string; path: string; reason: string }[];
}

const id = once(() => z.string().min(1).max(200));

export const List = method<{ sessions: SessionInfo[] }>()(
  'sessions.list',
  () => z.object({ project: z.string().optional(), all: z.boolean().optional() }).strict().optional(),
  'Agent sessions (running ones, or all with `all`).',
);

export const Show = method<{ session: SessionInfo }>()(
  'sessions.show',
  () => z.object({ id: id() }).strict(),
  'One session. `id` may be a prefix: a unique one, or one that starts exactly one running session (every `sessions.*` method resolves ids so).',
);

export const Capture = method<{ text: string }>()(
  'sessions.capture',
  () => z.object({ id: id(), lines: z.number().int().min(1).max(100_000).optional() }).strict(),
  "The session's screen as a person would see it (with `lines`: that many lines of scrollback).",
);

export const Send = method<{ bytes: number }>()(
  'sessions.send',
  () => z.object({ id: id(), text: z.string(), enter: z.boolean().optional(), raw: z.boolean().optional() }).strict(),
  'Type text into the session (with `enter`, then press Enter; `raw` sends bytes as they are, for attach).',
);

export const Nudge = method<{ message: string }>()(
  'sessions.nudge',
  () => z.object({ id: id(), message: z.string().optional() }).strict(),
  'Type a nudge message into the session and press Enter.',
);

export const Kill = method<{ session: SessionInfo }>()(
  'sessions.kill',
  () => z.object({ id: id() }).strict(),
  "Kill the session's agent (its phase then fails or restarts per policy).",
);

export const Resize = method<{ ok: true }>()(
  'sessions.resize',
  () => z.object({ id: id(), cols: z.number().int().min(10).max(1000), rows: z.number().int().min(2).max(1000) }).strict(),
  "Resize the session's terminal.",
);

export const Attach = method<{
  subscription: string;
  screen: string;
  /** Where the cursor is on that screen (0-based column and row); null from a session host too old to say. */
  cursor: { x: number; y: number } | null;
  cols: number;
  rows: number;
  session: string;
}>()(
  'sessions.attach',
  () => z.object({ id: id() }).strict(),
  'Stream the session\'s output as `sessions.output` notifications on this connection (several viewers may attach). `session` is the full id the given id or prefix resolved to.',
);

export const Wait = method<{ state: 'idle' | 'exited'; timedOut: boolean; session: SessionInfo }>()(
  'sessions.wait',
  () => z.object({ id: id(), timeoutMs: z.number().int().min(0).optional(), idleMs: z.number().int().min(0).optional() }).strict(),
  'Wait until the agent is idle (no heartbeat for `idleMs`, default 2000) or has exited.',
);

export const Done = method<{ session: string | null; pipeline: string | null }>()(
  'agents.done',
  () =>
    z
      .object({
        session: z.string().optional(),
        pipeline: z.string().optional(),
        error: z.string().optional(),
        restart: z.boolean().optional(),
      })
      .strict(),
  'Called by an agent (oj done): its work is done, failed (`error`), or it wants a fresh session (`restart`).',
);

export const Hook = method<{ session: string; state: AgentState | null }>()(
  'sessions.hook',
  () =>
    z
      .object({
        session: id(),
        /** The hook's payload as Claude Code gave it on stdin (hook_event_name says which). */
        payload: z.record(z.string(), z.unknown()),
        /** Set when `oj session hook` blocked the tool (a protected path): the one-line reason. */
        blocked: z.object({ tool: z.string(), path: z.string(), reason: z.string() }).strict().optional(),
      })
      .strict(),
  "Called by `oj session hook` (a Claude Code command hook): records the agent's state from the hook's payload.",
);

export const Report = method<{ session: string; state: AgentState }>()(
  'sessions.report',
  () => z.object({ session: id(), state: z.enum(AGENT_STATES), message: z.string().max(10_000).optional() }).strict(),
  'Called by an agent CLI without Claude Code hooks (`oj session report STATE`): records its state.',
);

export const Output = notification<{ subscription: string; data: string }>()(
  'sessions.output',
  'Output of an attached session.',
);

export const Ended = notification<{ subscription: string; exitCode: number | null }>()(
  'sessions.ended',
  'An attached session ended.',
);
