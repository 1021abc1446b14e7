/**
 * Plugs agents into the daemon: agent phases run in sessions held by the
 * session supervisor; `sessions.*` lets people and scripts look in, type,
 * nudge, kill and attach; `agents.done` is how an agent reports its end.
 */
import { OjError, SessionMethods, type SessionInfo } from '@oj/protocol';
import type { PhaseStep } from '../engine/phase-runner.js';
import { DEFAULT_NUDGE } from '../agents/nudges.js';
import { DoneSignals } from '../agents/done-signals.js';
import type { AgentRuntime, AgentRuntimeDeps } from '../agents/agent-runtime.js';
import { resolveByPrefix } from '../engine/id-lookup.js';
import { lazyImport } from '../lazy-module.js';
import type { SessionHandle } from '../sessions/index.js';
import { SessionStore, blockedOf, promptOf, type SessionRow } from '../storage/session-store.js';
import { isAgentState, isFailureReason } from '@oj/protocol';
import { phaseActionRunner } from './phase-action.js';
import type { Capability, WiringContext } from './wiring.js';

/** The session supervisor, the agents' states and the agent phase: loaded the first time an agent or a live session is needed. */
const loadAgentRuntime = lazyImport('the agent runtime (agent phases and sessions)', () => import('../agents/agent-runtime.js'));

export function wireAgents(
  ctx: WiringContext,
): Capability & {
  sessions(project: string | undefined): SessionInfo[];
  send(session: string, text: string): Promise<void>;
  /** Runs an agent as a phase's work (strategies use it for `{ agent = ... }` attempts). */
  agentWork(agentId: string): PhaseStep;
} {
  const sessions = new SessionStore(ctx.storage.database);
  const done = new DoneSignals();
  const deps: AgentRuntimeDeps = {
    stateDir: ctx.stateDir,
    storage: ctx.storage,
    sessions,
    supervised: new Set<string>(),
    events: ctx.events,
    projects: ctx.projects,
    done,
    logger: ctx.logger,
    now: ctx.now,
    runAction: phaseActionRunner(ctx.projects),
  };
  let loaded: AgentRuntime | null = null;
  const runtime = async (): Promise<AgentRuntime> => {
    const module = await loadAgentRuntime();
    return (loaded ??= module.createAgentRuntime(deps));
  };
  const agentWork = (agentId: string): PhaseStep => async (phaseCtx) => (await runtime()).step(agentId)(phaseCtx);
  ctx.runtime.addSteps({ work: (phase) => (phase.agent ? agentWork(phase.agent) : null) });

  const find = (id: string): SessionRow => {
    const full = resolveByPrefix(
      'session',
      id,
      (x) => sessions.exists(x),
      (p) => sessions.idsWithPrefix(p),
      () => sessions.allIds(),
      (p) => sessions.runningIdsWithPrefix(p),
    );
    return sessions.get(full)!;
  };
  const handleOf = async (row: SessionRow): Promise<SessionHandle> => {
    const { supervisor } = await runtime();
    const existing = supervisor.get(row.id);
    if (existing?.connected) return existing;
    const r = await supervisor.reconnect(row.id);
    if (r.status === 'running') return r.handle;
    if (r.status === 'exited' && r.handle) return r.handle;
    throw OjError.illegalState(`session ${row.id} is not running (${r.status})`, { state: r.status });
  };
  const info = (row: SessionRow): SessionInfo => {
    // A session this daemon has not connected to has no handle (and no runtime loaded: none connected).
    const h = loaded?.supervisor.get(row.id);
    return {
      id: row.id,
      project: row.project,
      // Its pipeline's id in the project (the stored key names it only where ids are not unique).
      pipeline: row.pipeline_id === null ? null : ctx.storage.pipelines.handleOf(row.pipeline_id),
      phase: row.phase,
      agent: row.agent,
      status: row.status,
      exitCode: row.exit_code,
      cwd: row.cwd,
      startedAt: new Date(row.started_at).toISOString(),
      endedAt: row.ended_at === null ? null : new Date(row.ended_at).toISOString(),
      idleMs: row.status === 'running' && h ? h.idleMs(ctx.now()) : null,
      activity: null,
      restarts: row.restarts,
      dir: row.dir,
      state: isAgentState(row.state) ? row.state : null,
      stateSince: row.state_since === null ? null : new Date(row.state_since).toISOString(),
      message: row.state_message,
      prompt: promptOf(row),
      reason: row.state === 'failed' && isFailureReason(row.state_reason) ? row.state_reason : null,
      until: row.state === 'failed' && row.state_until !== null ? new Date(row.state_until).toISOString() : null,
      transcriptPath: row.transcript_path,
      blocked: blockedOf(row),
    };
  };

  const r = ctx.router;
  r.handle(SessionMethods.List, (p) => ({
    sessions: sessions.list({ project: p?.project, running: !p?.all }).map(info),
  }));
  r.handle(SessionMethods.Show, (p) => ({ session: info(find(p.id)) }));
  r.handle(SessionMethods.Capture, async (p) => ({ text: await (await handleOf(find(p.id))).capture(p.lines) }));
  r.handle(SessionMethods.Send, async (p) => {
    const h = await handleOf(find(p.id));
    if (p.raw) await h.write(p.text);
    else await h.send(p.text, { enter: p.enter ?? true });
    return { bytes: Buffer.byteLength(p.text) };
  });
  r.handle(SessionMethods.Nudge, async (p) => {
    const row = find(p.id);
    const message = p.message ?? DEFAULT_NUDGE;
    await (await handleOf(row)).nudge(message);
    ctx.events.emit({ name: 'action:nudge', subject: row.pipeline_id ?? row.id, project: row.project, data: { session: row.id, by: 'user' } });
    return { message };
  });
  r.handle(SessionMethods.Kill, async (p) => {
    const row = find(p.id);
    const h = await handleOf(row);
    await h.kill({ graceMs: 2000 });
    return { session: info(sessions.get(row.id)!) };
  });
  r.handle(SessionMethods.Resize, async (p) => {
    await (await handleOf(find(p.id))).resize(p.cols, p.rows);
    return { ok: true as const };
  });
  let nextSub = 1;
  r.handle(SessionMethods.Attach, async (p, conn) => {
    const row = find(p.id);
    const h = await handleOf(row);
    const subscription = `${conn.id}.s${nextSub++}`;
    const { text: screen, cursor } = await h.screen();
    const offOut = h.onOutput((data) => conn.notify(SessionMethods.Output, { subscription, data }));
    const offExit = h.onExit((end) =>
      conn.notify(SessionMethods.Ended, { subscription, exitCode: end.kind === 'exited' ? end.exitCode : null }),
    );
    conn.onClose(() => {
      offOut();
      offExit();
    });
    return { subscription, screen, cursor, cols: h.cols, rows: h.rows, session: row.id };
  });
  r.handle(SessionMethods.Wait, async (p, conn) => {
    const row = find(p.id);
    const idleFor = p.idleMs ?? 2000;
    const deadline = p.timeoutMs !== undefined ? ctx.now() + p.timeoutMs : Infinity;
    if (row.status !== 'running') return { state: 'exited' as const, timedOut: false, session: info(row) };
    const h = await handleOf(row);
    for (;;) {
      if (!h.alive) return { state: 'exited' as const, timedOut: false, session: info(sessions.get(row.id)!) };
      if (h.idleMs(ctx.now()) >= idleFor) return { state: 'idle' as const, timedOut: false, session: info(row) };
      if (ctx.now() >= deadline || conn.closed) return { state: 'idle' as const, timedOut: true, session: info(row) };
      await Promise.race([h.exited(), new Promise((res) => setTimeout(res, Math.min(100, idleFor / 4)))]);
    }
  });
  r.handle(SessionMethods.Hook, async (p) => ({ session: p.session, state: (await runtime()).states.hook(p.session, p.payload, p.blocked) }));
  r.handle(SessionMethods.Report, async (p) => ({ session: p.session, state: (await runtime()).states.report(p.session, p.state, p.message) }));
  r.handle(SessionMethods.Done, (p) => {
    let sessionId = p.session ?? null;
    if (!sessionId && p.pipeline) sessionId = sessions.latestFor(p.pipeline)?.id ?? null;
    if (!sessionId) {
      throw OjError.illegalState('oj done needs OJ_SESSION (or OJ_PIPELINE): it is meant to run inside an agent session started by oj', {
        hint: 'to end a pipeline by hand use oj pipeline transition/cancel',
      });
    }
    const row = sessions.get(sessionId);
    if (!row) throw OjError.notFound('session', sessionId);
    const signal = p.restart ? { kind: 'restart' as const } : p.error !== undefined ? { kind: 'error' as const, message: p.error } : { kind: 'done' as const };
    done.deliver(sessionId, signal);
    ctx.events.emit({
      name: p.restart ? 'agent:restart' : p.error !== undefined ? 'agent:error' : 'agent:done',
      subject: row.pipeline_id ?? row.id,
      project: row.project,
      data: { session: row.id, ...(p.error !== undefined ? { error: p.error } : {}) },
    });
    return { session: row.id, pipeline: row.pipeline_id };
  });

  return {
    // Sessions are supervised only once the runtime is loaded: before that there is nothing to stop.
    stop: (options) => loaded?.supervisor.stopAll({ kill: options?.killSessions ?? false }),
    counts: () => ({ 'sessions.running': sessions.list({ running: true }).length }),
    sessions: (project) => sessions.list({ project, running: true }).map(info),
    agentWork,
    send: async (session, text) => {
      const row = sessions.get(session);
      if (!row) throw OjError.notFound('session', session);
      await (await handleOf(row)).send(text, { enter: true });
    },
  };
}
