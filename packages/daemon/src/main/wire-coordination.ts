/**
 * Plugs the coordination capability into the daemon: locks and semaphores
 * (stores, coordinator, RPC handlers), guards and strategies (phase steps),
 * and the reconciliation of their durable state at start.
 *
 * Two things come from other capabilities, through the options:
 * - `runAgentAttempt`: runs `{ agent = "x" }` strategy attempts (agents);
 *   without it such attempts fail with a clear message.
 * - `orphanWork`: `on_orphan_work = "requeue"` for the queue item of a
 *   pipeline whose semaphore slot was reclaimed (queues); without it the
 *   `semaphore:orphan-work` event is all that happens.
 */
import { join } from 'node:path';
import { coordinationSteps } from '../coordination/coordination-steps.js';
import type { CoordinatorDeps, ResourcePolicy } from '../coordination/coordinator-deps.js';
import { ResourceCoordinator } from '../coordination/resource-coordinator.js';
import { logLine } from '../coordination/step-shell.js';
import type { AgentAttemptRunner } from '../coordination/strategy-work.js';
import { registerCoordinationHandlers } from '../handlers/coordination-handlers.js';
import { coordinationInfo, coordinationOverview } from '../handlers/coordination-info.js';
import { ResourceRequests } from '../coordination/resource-requests.js';
import { createContext } from '../runbook/interpolation-context.js';
import { duration } from '../runbook/duration.js';
import { LOCK_DEFAULTS, SEMAPHORE_DEFAULTS, builtinChain, type Action, type Guard, type Lock, type Semaphore, type Strategy } from '../runbook/model.js';
import { interpolateShell } from '../runbook/shell-interpolate.js';
import { GuardStore } from '../storage/guard-store.js';
import type { ResourceKey } from '../storage/resource-store.js';
import { StrategyStore } from '../storage/strategy-store.js';
import { phaseActionRunner } from './phase-action.js';
import type { Capability, WiringContext } from './wiring.js';

export interface CoordinationOptions {
  runAgentAttempt?: AgentAttemptRunner;
  orphanWork?: CoordinatorDeps['orphanWork'];
}

export interface CoordinationCapability extends Capability {
  readonly coordinator: ResourceCoordinator;
}

/** How long a runbook action run for a stale lock or an orphaned slot may take. */
const ACTION_TIMEOUT_MS = 10 * 60_000;

export function wireCoordination(ctx: WiringContext, options: CoordinationOptions = {}): CoordinationCapability {
  const db = ctx.storage.database;
  const resources = ctx.shared.resources;
  const strategies = new StrategyStore(db);
  const guards = new GuardStore(db);
  let stopping = false;

  const primitive = <T>(project: string, id: string, kind: string): T | undefined => {
    const p = ctx.projects.peek(project)?.get(id);
    return p && p.kind === kind ? (p as T) : undefined;
  };

  const policy = (key: ResourceKey): ResourcePolicy => {
    const name = key.resource.split('.').pop() ?? key.resource;
    if (key.kind === 'lock') {
      const l = primitive<Lock>(key.project, key.resource, 'lock');
      return {
        kind: 'lock',
        id: key.resource,
        name: l?.name ?? name,
        project: key.project,
        defined: l !== undefined,
        max: 1,
        heartbeatMs: (l?.heartbeat ?? duration(LOCK_DEFAULTS.heartbeat)).ms,
        timeoutMs: l?.timeout?.ms ?? null,
        onStale: l?.on_stale ?? builtinChain(LOCK_DEFAULTS.on_stale),
        onOrphanWork: [],
      };
    }
    const s = primitive<Semaphore>(key.project, key.resource, 'semaphore');
    return {
      kind: 'semaphore',
      id: key.resource,
      name: s?.name ?? name,
      project: key.project,
      defined: s !== undefined,
      max: s?.max ?? 1,
      heartbeatMs: (s?.slot_heartbeat ?? duration(SEMAPHORE_DEFAULTS.slot_heartbeat)).ms,
      timeoutMs: s?.slot_timeout?.ms ?? null,
      onStale: s?.on_orphan ?? builtinChain(SEMAPHORE_DEFAULTS.on_orphan),
      onOrphanWork: s?.on_orphan_work ?? [],
    };
  };

  const actionLog = join(ctx.stateDir, 'logs', 'coordination.log');

  /** A runbook action for a stale lock or orphaned slot: no pipeline, so it runs in the project root. */
  const runResourceAction = (project: string, actionId: string, values: Record<string, string>) => {
    const action = primitive<Action>(project, actionId, 'action');
    if (!action) {
      ctx.logger.warn('action not run: not defined', { project, action: actionId });
      return;
    }
    let script: string;
    try {
      script = interpolateShell(action.run, createContext({ name: 'runtime', values: { project_root: project, ...values } }));
    } catch (err) {
      ctx.logger.warn('action not run', { project, action: actionId, error: (err as Error).message });
      return;
    }
    logLine(actionLog, `${new Date().toISOString()} [${action.id}] ${script}`);
    const run = ctx.shellRunner.run({ script, cwd: project, env: ctx.shellRunner.env({ project }), logFile: actionLog, timeoutMs: ACTION_TIMEOUT_MS });
    run.done.then(
      (o) => {
        if (o.exitCode !== 0) ctx.logger.warn('action failed', { action: action.id, exitCode: o.exitCode, signal: o.signal });
      },
      () => {},
    );
  };

  /** A runbook action in a guard's or strategy's chain: runs in the phase's context. */
  const runPhaseAction = phaseActionRunner(ctx.projects);

  const coordinator = new ResourceCoordinator({
    storage: ctx.storage,
    shared: resources,
    // Only other hosts make remote grants (the daemon's own SQLite has none to tell).
    ...(ctx.shared.kind === 'postgres' ? { remote: ctx.shared } : {}),
    leader: ctx.shared.leader,
    events: ctx.events,
    logger: ctx.logger,
    now: ctx.now,
    policy,
    pipeline: (id) => ctx.storage.pipelines.get(id),
    escalatePipeline: (id, reason, source) => ctx.engine.escalateRun(id, null, reason, source),
    runAction: runResourceAction,
    orphanWork: (action, pipeline, info) => {
      if (options.orphanWork) options.orphanWork(action, pipeline, info);
      else ctx.logger.info('orphaned work not requeued: no queue capability plugged in', { pipeline: pipeline.state.id, action, ...info });
    },
  });

  const common = { storage: ctx.storage, events: ctx.events, logger: ctx.logger, now: ctx.now, stopping: () => stopping, runAction: runPhaseAction };
  ctx.runtime.addSteps(
    coordinationSteps({
      coordinator,
      guards: { ...common, guards, guard: (project, id) => primitive<Guard>(project, id, 'guard') },
      strategies: {
        ...common,
        strategies,
        live: new Map(),
        strategy: (project, id) => primitive<Strategy>(project, id, 'strategy'),
        get runAgentAttempt() {
          return options.runAgentAttempt;
        },
      },
    }),
  );
  const requests = new ResourceRequests(coordinator, resources, ctx.projects);
  registerCoordinationHandlers(ctx.router, { coordinator, requests });
  const info = coordinationInfo(coordinator, requests);

  return {
    coordinator,
    // Before the engine re-runs pipelines: drop what belongs to pipelines that moved on.
    prepare: () => reconcileAtStart(ctx, coordinator, strategies, guards),
    start() {
      stopping = false;
      coordinator.start();
    },
    stop() {
      stopping = true;
      coordinator.stop();
    },
    async overview(project) {
      try {
        return await coordinationOverview(info, requests, project, ctx.now);
      } catch {
        // the shared database is away: oj daemon status says so
        return {};
      }
    },
    async counts() {
      const out: Record<string, number> = { 'strategies.active': strategies.allActive().length };
      try {
        for (const kind of ['lock', 'semaphore'] as const) {
          const holds = await resources.allHolds({ kind });
          const waiters = await resources.allWaiters({ kind });
          out[kind === 'lock' ? 'locks.held' : 'semaphores.units'] = holds.reduce((n, h) => n + h.weight, 0);
          out[kind === 'lock' ? 'locks.waiting' : 'semaphores.waiting'] = waiters.length;
        }
      } catch {
        // the shared database is away: oj daemon status says so
      }
      return out;
    },
  };
}

/**
 * Holds and places in line are reconciled by the coordinator; strategy runs
 * and guard waits of pipelines that are no longer in that phase are closed,
 * so a later visit to the phase starts afresh.
 */
async function reconcileAtStart(ctx: WiringContext, coordinator: ResourceCoordinator, strategies: StrategyStore, guards: GuardStore): Promise<void> {
  try {
    await coordinator.reconcile();
    const inPhase = (pipelineId: string, phase: string) => {
      const p = ctx.storage.pipelines.get(pipelineId);
      return p !== undefined && (p.state.status === 'running' || p.state.status === 'waiting') && p.state.phase === phase;
    };
    ctx.storage.write(() => {
      for (const r of strategies.allActive()) {
        if (!inPhase(r.pipelineId, r.phase)) strategies.update(r.id, { status: 'stopped' }, ctx.now());
      }
      for (const g of guards.all()) if (!inPhase(g.pipelineId, g.phase)) guards.delete(g);
    });
  } catch (err) {
    ctx.logger.error('coordination reconcile failed', { error: String(err) });
  }
}
