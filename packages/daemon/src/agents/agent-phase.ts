/**
 * The work of an agent phase: render the prompt, run the agent in a session
 * (a pty held by a detached host, so it outlives the daemon), and supervise
 * it until it ends: exit 0 or `oj done` succeed; `oj done --error` or a
 * non-zero exit fail (after `on_exit` restarts, if any); `oj done --restart`
 * starts a fresh session. Idle past `idle_timeout` emits `session:stuck` and
 * takes the next `on_stuck` step (nudge, restart[:N], escalate, abandon);
 * past `timeout`, `on_timeout`. A restarted daemon adopts the running session
 * instead of starting another.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'winston';
import type { EventLog } from '../events/event-log.js';
import { PhaseEscalation, PhaseFailure, handedToHuman, type PhaseRunContext, type PhaseStep } from '../engine/phase-runner.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import { agentCommandLine, pipelineContext, renderAgent, type Agent } from '../runbook/index.js';
import { assessLiveness, classifyClaudeLog, readClaudeStatus, readLastLines, type SessionEnd, type SessionHandle, type SessionSupervisor } from '../sessions/index.js';
import { isAgentState } from '@oj/protocol';
import type { AgentStates } from './agent-states.js';
import { hookEnvironment, installHooksFor } from './agent-hooks-setup.js';
import { judgeState, unauthorizedFailure } from './state-liveness.js';
import type { SessionStore } from '../storage/session-store.js';
import type { Storage } from '../storage/storage.js';
import type { DoneSignal, DoneSignals } from './done-signals.js';
import { ChainCursor } from './recovery-chain.js';
import { asWords } from '../engine/pipeline-runtime.js';
import { faultPoint } from '../fault-point.js';
import { inputSourceExecutor } from './input-sources.js';

export const DEFAULT_NUDGE =
  'You seem to have stopped. If your work is finished, run `oj done`; if you are blocked, run `oj done --error "<why>"`.';

export const IDLE_NUDGE =
  'Your turn ended, but oj was not told that the work is finished. If it is, run `oj done`; if you are blocked, run `oj done --error "<why>"`; otherwise carry on.';

export interface AgentPhaseDeps {
  states: AgentStates;
  storage: Storage;
  sessions: SessionStore;
  supervisor: SessionSupervisor;
  /** Sessions an agent phase of this daemon supervises right now (the daemon's one set). */
  supervised: Set<string>;
  events: EventLog;
  projects: ProjectRegistry;
  done: DoneSignals;
  logger: Logger;
  now(): number;
}

type Outcome =
  | { kind: 'exit'; end: SessionEnd }
  | { kind: 'signal'; signal: DoneSignal }
  | { kind: 'stopped'; reason: string }
  | { kind: 'restart'; why: string }
  | { kind: 'give-up'; why: string };

/** The phase's session: one to supervise, or one that ended while no daemon watched it. */
type SessionState = { kind: 'live'; handle: SessionHandle } | { kind: 'ended'; id: string; end: SessionEnd };

export function agentStep(d: AgentPhaseDeps, agentId: string): PhaseStep {
  return async (ctx) => {
    const project = d.projects.get(ctx.record.project);
    const agent = project.get(agentId);
    if (!agent || agent.kind !== 'agent') throw new PhaseFailure(`agent ${agentId} is not defined in the project's runbooks`);
    await new AgentSupervision(d, ctx, agent).run();
  };
}

class AgentSupervision {
  private readonly stuck: ChainCursor;
  private readonly onTimeout: ChainCursor;
  private readonly onExit: ChainCursor;
  private readonly onError: ChainCursor;
  private readonly onIdle: ChainCursor;
  private restarts = 0;
  /** When the current on_timeout period ends: one period after the run began, then one more per step. */
  private timeoutDeadline: number;
  /** An escalate step handed the session to a human. */
  private escalated = false;

  constructor(
    private readonly d: AgentPhaseDeps,
    private readonly ctx: PhaseRunContext,
    private readonly agent: Agent,
  ) {
    this.stuck = new ChainCursor(agent.on_stuck);
    this.onTimeout = new ChainCursor(agent.on_timeout);
    this.onExit = new ChainCursor(agent.on_exit);
    this.onError = new ChainCursor(agent.on_error);
    this.onIdle = new ChainCursor(agent.on_idle);
    // An adopted run keeps its start: a daemon restart does not buy an agent more time.
    this.timeoutDeadline = (ctx.record.state.phaseStartedAt ?? d.now()) + (agent.timeout?.ms ?? 0);
    // Adopted after a restart while a human had it: it stays theirs.
    this.escalated = handedToHuman(ctx);
  }

  private emit(name: string, data: Record<string, string | number>, session?: string): void {
    this.d.events.emit({
      name,
      subject: this.ctx.record.state.id,
      project: this.ctx.record.project,
      data: { pipeline: this.ctx.record.state.id, phase: this.ctx.phase.name, ...(session ? { session } : {}), ...data },
    });
  }

  async run(): Promise<void> {
    let current = await this.adoptOrStart();
    for (;;) {
      // A session that ended while no daemon watched it is judged as if it had just ended
      // (an `oj done` it sent first wins over its exit).
      const handle = current.kind === 'live' ? current.handle : null;
      const id = current.kind === 'live' ? current.handle.id : current.id;
      let outcome: Outcome;
      if (current.kind === 'live') outcome = await this.supervise(current.handle);
      else {
        const early = this.d.done.take(id);
        outcome = early ? { kind: 'signal', signal: early } : { kind: 'exit', end: current.end };
      }
      switch (outcome.kind) {
        case 'stopped':
          if (outcome.reason === 'daemon stopping') return; // the session lives on; the next daemon adopts it
          await this.end(handle, id, 'killed');
          throw new PhaseFailure(`stopped: ${outcome.reason}`);
        case 'signal':
          if (outcome.signal.kind === 'done') {
            await this.end(handle, id, 'exited');
            return;
          }
          if (outcome.signal.kind === 'error') {
            await this.end(handle, id, 'exited');
            throw new PhaseFailure(`agent reported an error: ${outcome.signal.message}`);
          }
          await this.end(handle, id, 'killed');
          this.emit('action:restart', { reason: 'oj done --restart' }, id);
          current = await this.startLive();
          continue;
        case 'exit': {
          const end = outcome.end;
          const unauthorized = await this.unauthorizedAtExit(id);
          this.record(id, end);
          if (end.kind === 'exited' && end.exitCode === 0) return;
          const why = end.kind === 'vanished' ? 'its session vanished' : `it exited with ${end.exitCode ?? end.signal}`;
          this.emit('session:exit', { exitCode: end.kind === 'exited' ? (end.exitCode ?? -1) : -1, reason: why }, id);
          // It said why (a StopFailure hook): an agent that is not logged in is a human's job, never a restart loop.
          if (unauthorized) {
            if (!this.escalated) this.emit('escalate', { reason: `agent ${this.agent.name} failed (unauthorized): ${unauthorized}` }, id);
            throw new PhaseEscalation(`agent ${this.agent.name} is not authorized: ${unauthorized}`);
          }
          const action = this.onExit.next();
          if (action === 'restart') {
            this.emit('action:restart', { reason: why }, id);
            current = await this.startLive();
            continue;
          }
          if (action === 'escalate') {
            // The session is gone: a human can retry, skip, go elsewhere or cancel (nothing to message).
            this.emit('action:escalate', { reason: `agent ${why}` });
            this.emit('escalate', { reason: `agent ${this.agent.name} ${why}` });
            throw new PhaseEscalation(`agent ${this.agent.name} ${why}`);
          }
          throw new PhaseFailure(`agent ${this.agent.name} failed: ${why}`, end.kind === 'exited' ? end.exitCode : null);
        }
        case 'restart':
          await this.end(handle, id, 'killed');
          current = await this.startLive();
          continue;
        case 'give-up':
          await this.end(handle, id, 'killed');
          throw new PhaseFailure(outcome.why);
      }
    }
  }

  /**
   * A restarted daemon finds the phase's session still running, or learns how
   * it ended while the daemon was away (its recorded exit); else a new one starts.
   */
  private async adoptOrStart(): Promise<SessionState> {
    const row = this.d.sessions.runningFor(this.ctx.record.state.id, this.ctx.phase.name);
    // A session an earlier run of this phase still supervises (being stopped by a
    // transition or resume to the same phase) is not adopted: this run starts afresh.
    if (row && !this.d.supervised.has(row.id)) {
      const r = await this.d.supervisor.reconnect(row.id).catch(() => ({ status: 'vanished' as const }));
      this.restarts = row.restarts + 1;
      if (r.status === 'running') {
        this.d.supervised.add(row.id);
        this.d.logger.info('adopted running agent session', { session: row.id, pipeline: this.ctx.record.state.id });
        this.d.storage.write(() => this.d.storage.pipelines.setSession(this.ctx.record.state.id, row.id));
        return { kind: 'live', handle: r.handle };
      }
      if (r.status === 'exited') await r.handle?.shutdown().catch(() => undefined);
      const end: SessionEnd =
        r.status === 'exited'
          ? { kind: 'exited', exitCode: r.exit.exitCode, signal: r.exit.signal, at: r.exit.at }
          : { kind: 'vanished', at: new Date(this.d.now()).toISOString() };
      this.d.logger.info('agent session ended while the daemon was away', { session: row.id, pipeline: this.ctx.record.state.id, end });
      return { kind: 'ended', id: row.id, end };
    }
    return this.startLive();
  }

  /**
   * The agent said it is not logged in: its last state (a StopFailure hook), or, when that hook
   * lost the race with the exit, the last entry of the transcript its SessionStart hook named.
   */
  private async unauthorizedAtExit(id: string): Promise<string | null> {
    const row = this.d.sessions.get(id);
    const said = unauthorizedFailure(row);
    if (said || !row?.transcript_path) return said;
    const status = await readLastLines(row.transcript_path, 64 * 1024).then((lines) => classifyClaudeLog(lines), () => undefined);
    return status?.state === 'api_error' && status.error?.reason === 'unauthorized' ? `${status.error.code ?? 'unauthorized'}: ${status.error.message}` : null;
  }

  private async startLive(): Promise<SessionState> {
    return { kind: 'live', handle: await this.start() };
  }

  private record(id: string, end: SessionEnd): void {
    this.d.supervised.delete(id);
    this.d.states.ended(id, end.kind === 'vanished' ? 'its session vanished' : `exited ${end.exitCode ?? end.signal ?? ''}`.trim());
    this.d.storage.write(() => this.d.storage.pipelines.setSession(this.ctx.record.state.id, null));
    this.d.storage.write(() =>
      this.d.sessions.ended(id, end.kind === 'vanished' ? 'vanished' : 'exited', end.kind === 'exited' ? end.exitCode : null, this.d.now()),
    );
  }

  /** Ends the session (killing it if it still runs) and records how; `handle` is null for one that ended unwatched. */
  private async end(handle: SessionHandle | null, id: string, status: 'exited' | 'killed'): Promise<void> {
    this.d.storage.write(() => this.d.storage.pipelines.setSession(this.ctx.record.state.id, null));
    let end: SessionEnd | undefined = handle?.end;
    if (handle && !end) end = await handle.kill({ graceMs: 2000 }).catch(() => undefined);
    await handle?.shutdown().catch(() => undefined);
    this.d.storage.write(() => this.d.sessions.ended(id, status, end?.kind === 'exited' ? end.exitCode : null, this.d.now()));
    this.d.states.ended(id, status === 'killed' ? 'stopped by oj' : 'exited');
    this.d.supervised.delete(id);
  }

  private async start(): Promise<SessionHandle> {
    const r = this.ctx.record;
    const seq = this.restarts++;
    const id = `${r.state.id}-${this.ctx.phase.name}-${r.state.run}${seq ? `-${seq}` : ''}`
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 80);
    const context = pipelineContext({
      inputs: asWords(r.vars),
      runtime: { phase: this.ctx.phase.name, pipeline: r.state.handle, id: r.state.handle, session: id, error: r.state.error ?? '' },
    });
    const sources = inputSourceExecutor(this.ctx);
    const rendered = await renderAgent(this.agent, context, {
      projectRoot: r.project,
      // Without its own `cwd`, an input source runs where the agent will: the phase's directory
      // (the workspace once it exists; the default workspace path may not exist at all).
      executor: (command, cwd) => sources(command, this.agent.cwd !== null ? cwd : this.ctx.cwd),
    }).catch((err: unknown) => {
      throw new PhaseFailure(`cannot render the prompt of agent ${this.agent.name}: ${(err as Error).message}`);
    });
    // Without its own `cwd`, an agent works where the phase would: the workspace once it exists.
    const cwd = this.agent.cwd !== null ? rendered.cwd : this.ctx.cwd;
    const paths = this.d.supervisor.prepareDir(id);
    const promptFile = join(paths.dir, 'prompt.md');
    writeFileSync(promptFile, rendered.prompt, { mode: 0o600 });
    const commandLine = agentCommandLine(this.agent, context, rendered.prompt, promptFile);
    if (this.agent.heartbeat === 'claude') installHooksFor(cwd, this.agent.name);
    const env = this.ctx.env.with({
      layers: [rendered.env, { TERM: 'xterm-256color' }],
      oj: {
        OJ_SESSION: id,
        OJ_PROMPT_FILE: promptFile,
        OJ_WORKSPACE: typeof r.vars.workspace === 'string' ? r.vars.workspace : '',
        // The protected paths, for `oj session hook` to refuse a write even with ojd down.
        ...hookEnvironment(this.d.projects.get(r.project), r.project),
      },
    });
    // The agent's own env (as the runbook sets it); secret values are redacted by the logger.
    this.d.logger.debug('agent session starting', { session: id, agent: this.agent.name, cwd, env: rendered.env });
    const now = this.d.now();
    this.d.storage.write(() =>
      this.d.sessions.insert({
        id,
        project: r.project,
        pipeline_id: r.state.id,
        phase: this.ctx.phase.name,
        run: r.state.run,
        agent: this.agent.id,
        status: 'running',
        exit_code: null,
        cwd,
        dir: paths.dir,
        heartbeat: this.agent.heartbeat,
        restarts: seq,
        started_at: now,
        ended_at: null,
      }),
    );
    let handle: SessionHandle;
    try {
      handle = await this.d.supervisor.start({ id, command: ['bash', '-c', commandLine], cwd, env: { ...env.vars } });
    } catch (err) {
      this.d.storage.write(() => this.d.sessions.ended(id, 'vanished', null, this.d.now()));
      throw new PhaseFailure(`could not start agent ${this.agent.name}: ${(err as Error).message}`);
    }
    faultPoint('after-effect:session');
    this.d.supervised.add(id);
    this.d.storage.write(() => this.d.storage.pipelines.setSession(r.state.id, id));
    this.emit('session:started', { agent: this.agent.name }, id);
    this.ctx.running();
    return handle;
  }

  /** Waits for the session to end, a done signal, a stop, or a recovery step that ends this session. */
  private supervise(handle: SessionHandle): Promise<Outcome> {
    const { ctx, agent, d } = this;
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const signal = d.done.next(handle.id);
      const finish = (o: Outcome) => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearInterval(t);
        signal.cancel();
        offResolved();
        offState();
        resolve(o);
      };
      // Once escalated, the session is a human's: output does not take it back, no recovery
      // step runs; the human moves the pipeline on (which stops this run) or sends the agent
      // a message, which hands it back to the chains with a fresh timeout period.
      const offResolved = d.events.follow({
        name: 'escalation:resolved',
        project: ctx.record.project,
        deliver: (e) => {
          if (settled || !this.escalated || e.subject !== ctx.record.state.id) return;
          // A permission prompt answered: the keys the agent expects; the next hook moves the state on.
          if (e.data.action === 'allow' || e.data.action === 'deny') {
            void handle.write(agent.permission_keys[e.data.action]).catch(() => undefined);
            return;
          }
          if (e.data.action !== 'message') return;
          this.escalated = false;
          idleBaseline = d.now();
          if (agent.timeout) this.timeoutDeadline = d.now() + agent.timeout.ms;
          ctx.running();
        },
      });
      let idleBaseline = d.now();
      let lastActionAt: number | null = null;
      // What the agent reports (hooks): a permission wait escalated once, a failure acted on once.
      let permissionEscalated = false;
      let failureHandled = false;
      const offState = d.events.follow({
        name: 'session:state',
        project: ctx.record.project,
        deliver: (e) => {
          if (settled || e.data.session !== handle.id) return;
          idleBaseline = d.now();
          failureHandled = false;
          if (e.data.from === 'needs_permission' && e.data.state !== 'needs_permission' && permissionEscalated) {
            // The prompt was answered (here or at the terminal): the agent is back in the chains' hands.
            permissionEscalated = false;
            if (this.escalated) {
              this.escalated = false;
              if (agent.timeout) this.timeoutDeadline = Math.max(this.timeoutDeadline, d.now());
              ctx.running();
            }
          }
          if (e.data.state === 'failed') void check();
        },
      });
      void handle.exited().then((end) => finish({ kind: 'exit', end }));
      void signal.promise.then((s) => finish({ kind: 'signal', signal: s }));
      void ctx.stopSignal.then((reason) => finish({ kind: 'stopped', reason }));

      const act = (action: string | null, why: string, nudge = DEFAULT_NUDGE, extra: Record<string, string> = {}): void => {
        if (action === null) {
          finish({ kind: 'give-up', why: `${why}, and its recovery chain is exhausted` });
          return;
        }
        this.emit(`action:${action}`, { reason: why }, handle.id);
        if (action === 'nudge') void handle.nudge(nudge).catch(() => undefined);
        else if (action === 'restart') finish({ kind: 'restart', why });
        else if (action === 'escalate') {
          this.escalated = true;
          this.emit('escalate', { reason: why, ...extra }, handle.id);
          ctx.waiting({ kind: 'human', name: 'escalation', detail: why });
        } else if (action === 'abandon' || action === 'dead' || action === 'fail') finish({ kind: 'give-up', why: `${why} (${action})` });
        else d.logger.warn('recovery action not applicable to an agent session', { action, session: handle.id });
      };

      const idleMs = agent.idle_timeout.ms;
      const tick = Math.min(Math.max(Math.floor(Math.min(idleMs, agent.permission_timeout.ms) / 5), 100), 5000);
      /** With hooks, a state other than starting/working decides alone (true: it did). */
      const byState = (now: number): boolean => {
        const row = agent.heartbeat === 'claude' ? d.sessions.get(handle.id) : undefined;
        const state = row && isAgentState(row.state) ? row.state : null;
        if (!row || state === null || state === 'starting' || state === 'working') return false;
        const v = judgeState({
          state,
          since: row.state_since ?? now,
          message: row.state_message,
          now,
          lastSignOfLife: now,
          baseline: idleBaseline,
          idleTimeoutMs: idleMs,
          permissionTimeoutMs: agent.permission_timeout.ms,
          permissionEscalated,
          failureHandled,
        });
        if (v.kind === 'idle' && !this.escalated) {
          idleBaseline = now;
          this.emit('session:idle', { idleMs: v.idleMs }, handle.id);
          act(this.onIdle.next(), `idle for ${Math.round(v.idleMs / 1000)}s without oj done`, IDLE_NUDGE);
        } else if (v.kind === 'permission-timeout' && !this.escalated) {
          permissionEscalated = true;
          act('escalate', `waiting for permission for ${Math.round(v.waitedMs / 1000)}s: ${row.state_message ?? ''}`.trim(), DEFAULT_NUDGE, {
            source: 'permission',
            prompt: row.state_message ?? '',
          });
        } else if (v.kind === 'failed') {
          failureHandled = true;
          // Unauthorized: a restart cannot help; a human must log the agent in.
          act(v.reason === 'unauthorized' ? 'escalate' : (this.onError.next() ?? 'escalate'), `agent failed (${v.reason}): ${v.message}`);
        }
        return true;
      };
      const check = async (): Promise<void> => {
            const now = d.now();
            if (settled || byState(now)) return;
            const transcript = agent.heartbeat === 'claude' ? d.sessions.get(handle.id)?.transcript_path ?? null : null;
            const claude =
              agent.heartbeat !== 'claude'
                ? undefined
                : transcript
                  ? await readLastLines(transcript).then((lines) => classifyClaudeLog(lines, { now }), () => undefined)
                  : (await readClaudeStatus(ctx.cwd, { since: handle.startedAt, now }).catch(() => undefined))?.status;
            const live = assessLiveness({
              heartbeat: agent.heartbeat === 'claude' ? 'claude' : 'output',
              now,
              startedAt: Math.max(handle.startedAt, idleBaseline, d.states.lastHookAt(handle.id) ?? 0),
              lastOutputAt: handle.lastOutputAt,
              ...(claude ? { claude } : {}),
            });
            if (settled) return;
            // With hooks the agent reports its own failures (StopFailure): the transcript does not act twice.
            if (live.apiError && !d.sessions.get(handle.id)?.state) {
              idleBaseline = now;
              act(this.onError.next() ?? 'escalate', `API error: ${live.apiError.reason}`);
              return;
            }
            if (live.idleMs < idleMs) {
              // Busy for a good while since the last recovery step: it recovered, so a
              // later stall starts the chain from its first step again.
              if (lastActionAt !== null && now - lastActionAt > 3 * idleMs) {
                this.stuck.reset();
                lastActionAt = null;
              }
              return;
            }
            if (this.escalated) return; // a human has it
            idleBaseline = now;
            lastActionAt = now;
            this.emit('session:stuck', { idleMs: live.idleMs }, handle.id);
            act(this.stuck.next(), `idle for ${Math.round(live.idleMs / 1000)}s`);
      };
      timers.push(setInterval(() => void check(), tick));
      if (agent.timeout) {
        // Each step of on_timeout gets one whole timeout period; output never resets it.
        // When the chain is exhausted the phase fails (an empty chain abandons at once).
        const period = agent.timeout;
        const t = setInterval(() => {
          if (settled || this.escalated || d.now() < this.timeoutDeadline) return;
          this.timeoutDeadline += period.ms;
          const action = this.onTimeout.next();
          act(action ?? (agent.on_timeout.length === 0 ? 'abandon' : null), `ran past its timeout of ${period.text}`);
        }, Math.min(1000, Math.max(100, Math.floor(period.ms / 10))));
        timers.push(t);
      }
    });
  }
}
