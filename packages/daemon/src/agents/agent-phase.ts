/**
 * The work of an agent phase: render the prompt, run the agent in a session
 * (a pty held by a detached host, so it outlives the daemon), and supervise
 * it until it ends: exit 0 or `oj done` succeed; `oj done --error` or a
 * non-zero exit fail (after `on_exit` restarts, if any); `oj done --restart`
 * starts a fresh session. Idle past `idle_timeout` emits `session:stuck` and
 * takes the next `on_stuck` step (nudge, restart[:N], escalate, abandon, a
 * runbook action); past `timeout`, `on_timeout`. The chains are walked and
 * their steps narrowed to what an agent runs by core/recovery. A restarted
 * daemon adopts the running session instead of starting another.
 */
import type { Logger } from 'winston';
import type { EventLog } from '../events/event-log.js';
import { PhaseEscalation, PhaseFailure, handedToHuman, type PhaseRunContext, type PhaseStep } from '../engine/phase-runner.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { Agent } from '../runbook/index.js';
import { startAgentSession } from './agent-session-start.js';
import { DEFAULT_NUDGE, IDLE_NUDGE, RESUME_NUDGE } from './nudges.js';
import { answerFromData, keysFor } from './prompt-keys.js';
import { unauthorizedAtExit } from './unauthorized-at-exit.js';
import { walkOnExit } from './on-exit.js';
import { assessLiveness, classifyClaudeLog, readClaudeStatus, readLastLines, type SessionEnd, type SessionHandle, type SessionSupervisor } from '../sessions/index.js';
import { isAgentState, isFailureReason, type AgentPrompt, type PromptKind } from '@oj/protocol';
import type { AgentStates } from './agent-states.js';
import { judgeState } from './state-liveness.js';
import { promptOf, type SessionStore } from '../storage/session-store.js';
import type { Storage } from '../storage/storage.js';
import type { DoneSignal, DoneSignals } from './done-signals.js';
import {
  START,
  actionIn,
  builtinStep,
  escalateData,
  takeStep,
  withPrompt,
  unreachable,
  type ChainStep,
  type Cursor,
  type RecoveryContext,
} from '../core/recovery/index.js';

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
  /** Runs a runbook `[action.x]` a chain names, in the phase's context; resolves true on success. */
  runAction(ctx: PhaseRunContext, actionId: string, extra: Record<string, unknown>): Promise<boolean>;
}

/** The recovery chains of an agent, each walked with its own cursor. */
type AgentChain = 'on_stuck' | 'on_timeout' | 'on_exit' | 'on_error' | 'on_idle';

/** The chains that act on a live session. */
type LiveChain = Extract<RecoveryContext, 'agent.on_stuck' | 'agent.on_timeout' | 'agent.on_error' | 'agent.on_idle'>;

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
  private readonly cursors: Record<AgentChain, Cursor> = { on_stuck: START, on_timeout: START, on_exit: START, on_error: START, on_idle: START };
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
    // An adopted run keeps its start: a daemon restart does not buy an agent more time.
    this.timeoutDeadline = (ctx.record.state.phaseStartedAt ?? d.now()) + (agent.timeout?.ms ?? 0);
    // Adopted after a restart while a human had it: it stays theirs.
    this.escalated = handedToHuman(ctx);
  }

  /** The chain's next step (its cursor moves), or null once it is exhausted. */
  private nextStep(chain: AgentChain): ChainStep | null {
    const taken = takeStep(this.agent[chain], this.cursors[chain]);
    if (!taken) return null;
    this.cursors[chain] = taken.cursor;
    return taken.step;
  }

  /** The escalate event of this phase; `session` only while there is a live one a human can message. */
  private escalate(reason: string, session: string | null, source: 'agent' | PromptKind = 'agent', prompt?: AgentPrompt): void {
    const r = this.ctx.record;
    const facts = { source, reason, pipeline: r.state.handle, phase: this.ctx.phase.name, session, detail: { agent: this.agent.name } };
    this.d.events.emit({ name: 'escalate', subject: r.state.id, project: r.project, data: prompt ? withPrompt(escalateData(facts), prompt) : escalateData(facts) });
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
          const unauthorized = await unauthorizedAtExit(this.d.sessions, id, this.d.now());
          this.record(id, end);
          if (end.kind === 'exited' && end.exitCode === 0) return;
          const why = end.kind === 'vanished' ? 'its session vanished' : `it exited with ${end.exitCode ?? end.signal}`;
          this.emit('session:exit', { exitCode: end.kind === 'exited' ? (end.exitCode ?? -1) : -1, reason: why }, id);
          // It said why (a StopFailure hook): an agent that is not logged in is a human's job, never a restart loop.
          if (unauthorized) {
            if (!this.escalated) this.escalate(`agent ${this.agent.name} failed (unauthorized): ${unauthorized}`, null);
            throw new PhaseEscalation(`agent ${this.agent.name} is not authorized: ${unauthorized}`);
          }
          await this.onExit(id, why, end.kind === 'exited' ? end.exitCode : null);
          current = await this.startLive();
          continue;
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

  /** The session ended without a result: `on_exit` decides (on-exit.ts). */
  private onExit(id: string, why: string, exitCode: number | null): Promise<void> {
    return walkOnExit(
      {
        agentName: this.agent.name,
        logger: this.d.logger,
        nextStep: () => this.nextStep('on_exit'),
        emit: (name, data, session) => this.emit(name, data, session),
        escalate: (reason) => this.escalate(reason, null),
        runAction: (actionId, extra) => this.d.runAction(this.ctx, actionId, extra),
      },
      id,
      why,
      exitCode,
    );
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
    const handle = await startAgentSession(this.d, this.ctx, this.agent, this.restarts++);
    this.emit('session:started', { agent: this.agent.name }, handle.id);
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
          // A prompt answered (allow/deny, approve/reject, a question's choice): the keys the agent
          // expects, each on its own; the next hook moves the state on.
          const answer = answerFromData(e.data.answer);
          if (answer) {
            void handle.typeKeys(keysFor(agent, answer)).catch(() => undefined);
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
      // What the agent reports (hooks): a prompt escalated once (adopted while a human has it:
      // escalated already), a failure acted on once.
      let permissionEscalated = this.escalated;
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
          // A failure, or a plan or question (a decision to take at once), is judged now.
          if (e.data.state === 'failed' || e.data.state === 'needs_permission') void check();
        },
      });
      void handle.exited().then((end) => finish({ kind: 'exit', end }));
      void signal.promise.then((s) => finish({ kind: 'signal', signal: s }));
      void ctx.stopSignal.then((reason) => finish({ kind: 'stopped', reason }));

      /** The session goes to a human: an escalation a human can answer (message it, or allow/deny a prompt). */
      const handOver = (why: string, source: 'agent' | PromptKind, prompt?: AgentPrompt): void => {
        this.escalated = true;
        this.escalate(why, handle.id, source, prompt);
        ctx.waiting({ kind: 'human', name: 'escalation', detail: why });
      };
      /** Takes one step of a chain that acts on the live session. */
      const act = (context: LiveChain, step: ChainStep | null, why: string, nudge = DEFAULT_NUDGE): void => {
        if (step === null) {
          finish({ kind: 'give-up', why: `${why}, and its recovery chain is exhausted` });
          return;
        }
        const action = actionIn(context, step);
        this.emit(`action:${action.name}`, { reason: why }, handle.id);
        switch (action.kind) {
          case 'runbook':
            // Runs beside the session (in the phase's log; stopped with the phase).
            d.runAction(ctx, action.id, { session: handle.id }).catch((err: unknown) =>
              d.logger.warn('recovery action failed', { action: action.id, session: handle.id, error: String(err) }),
            );
            return;
          case 'unsupported':
            // Loading rejects these (core/recovery's table).
            d.logger.warn('recovery action not applicable to an agent session', { action: action.name, session: handle.id });
            return;
          case 'builtin':
            switch (action.name) {
              case 'nudge':
                void handle.nudge(nudge).catch(() => undefined);
                return;
              case 'restart':
                finish({ kind: 'restart', why });
                return;
              case 'escalate':
                handOver(why, 'agent');
                return;
              case 'abandon':
                finish({ kind: 'give-up', why: `${why} (abandon)` });
                return;
              default:
                return unreachable(action);
            }
          default:
            return unreachable(action);
        }
      };

      const idleMs = agent.idle_timeout.ms;
      const tick = Math.min(Math.max(Math.floor(Math.min(idleMs, agent.permission_timeout.ms) / 5), 100), 5000);
      /** With hooks, a state other than starting/working decides alone (true: it did). */
      const byState = (now: number): boolean => {
        const row = agent.heartbeat === 'claude' ? d.sessions.get(handle.id) : undefined;
        const state = row && isAgentState(row.state) ? row.state : null;
        if (!row || state === null || state === 'starting' || state === 'working') return false;
        const prompt = promptOf(row);
        const v = judgeState({
          state,
          since: row.state_since ?? now,
          message: row.state_message,
          prompt: prompt?.kind ?? null,
          reason: isFailureReason(row.state_reason) ? row.state_reason : null,
          until: row.state_until,
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
          act('agent.on_idle', this.nextStep('on_idle'), `idle for ${Math.round(v.idleMs / 1000)}s without oj done`, IDLE_NUDGE);
        } else if (v.kind === 'permission-timeout' && !this.escalated) {
          permissionEscalated = true;
          const why = `waiting for permission for ${Math.round(v.waitedMs / 1000)}s: ${row.state_message ?? ''}`.trim();
          this.emit('action:escalate', { reason: why }, handle.id);
          handOver(why, 'permission', prompt ?? undefined);
        } else if (v.kind === 'decision' && prompt) {
          // A plan to approve or a question to answer: a human's decision, asked for at once.
          permissionEscalated = true;
          const why = `agent ${agent.name} asks: ${row.state_message ?? prompt.kind}`;
          this.emit('action:escalate', { reason: why }, handle.id);
          handOver(why, prompt.kind, prompt);
        } else if (v.kind === 'resume' && !this.escalated) {
          // Its rate limit has reset: its turn is over, so the next on_idle step (a nudge resumes it).
          idleBaseline = now;
          this.emit('session:resume', { sinceResetMs: v.sinceResetMs }, handle.id);
          act('agent.on_idle', this.nextStep('on_idle'), `its rate limit reset ${Math.round(v.sinceResetMs / 1000)}s ago`, RESUME_NUDGE);
        } else if (v.kind === 'failed') {
          failureHandled = true;
          // Unauthorized: a restart cannot help; a human must log the agent in.
          const step = v.reason === 'unauthorized' ? builtinStep('escalate') : (this.nextStep('on_error') ?? builtinStep('escalate'));
          act('agent.on_error', step, `agent failed (${v.reason}): ${v.message}`);
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
        // The transcript ends in an API error no hook reported (none yet, or ojd was down when
        // StopFailure ran): the state catches up, and the failure is judged by state (a rate
        // limit waits, unauthorized escalates, others take on_error).
        if (live.apiError && claude?.state === 'api_error') {
          const row = d.sessions.get(handle.id);
          if (row && row.state !== 'failed' && (row.state_since === null || (claude.since ?? now) >= row.state_since)) {
            d.states.failedInTranscript(handle.id, live.apiError);
            return;
          }
        }
        if (live.idleMs < idleMs) {
          // Busy for a good while since the last recovery step: it recovered, so a
          // later stall starts the chain from its first step again.
          if (lastActionAt !== null && now - lastActionAt > 3 * idleMs) {
            this.cursors.on_stuck = START;
            lastActionAt = null;
          }
          return;
        }
        if (this.escalated) return; // a human has it
        idleBaseline = now;
        lastActionAt = now;
        this.emit('session:stuck', { idleMs: live.idleMs }, handle.id);
        act('agent.on_stuck', this.nextStep('on_stuck'), `idle for ${Math.round(live.idleMs / 1000)}s`);
      };
      timers.push(setInterval(() => void check(), tick));
      if (agent.timeout) {
        // Each step of on_timeout gets one whole timeout period; output never resets it.
        // When the chain is exhausted the phase fails (an empty chain abandons at once).
        const period = agent.timeout;
        const t = setInterval(() => {
          if (settled || this.escalated || d.now() < this.timeoutDeadline) return;
          this.timeoutDeadline += period.ms;
          const step = this.nextStep('on_timeout') ?? (agent.on_timeout.length === 0 ? builtinStep('abandon') : null);
          act('agent.on_timeout', step, `ran past its timeout of ${period.text}`);
        }, Math.min(1000, Math.max(100, Math.floor(period.ms / 10))));
        timers.push(t);
      }
    });
  }
}
