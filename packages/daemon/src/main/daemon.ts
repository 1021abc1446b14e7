/**
 * The daemon's composition root: takes the pid lock, opens storage, wires the
 * handlers and listens. `stop()` is idempotent; each cleanup step runs on its
 * own so one failure does not leave the rest undone.
 */
import { dirname } from 'node:path';
import { OJ_VERSION, checkStateEntries, ensurePrivateDir, socketPathProblem, statePaths, type DaemonStatus, type ProjectStatus } from '@oj/protocol';
import { removeWorktree } from '../adapters/git-worktree.js';
import { installOjShim } from '../adapters/oj-shim.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';
import { PipelineService } from '../engine/pipeline-service.js';
import { WorkspaceService } from '../workspaces/workspace-service.js';
import { CommandService } from '../commands/command-service.js';
import { PipelineRuntime } from '../engine/pipeline-runtime.js';
import { registerCommandHandlers } from '../handlers/command-handlers.js';
import { registerPipelineHandlers } from '../handlers/pipeline-handlers.js';
import { registerStatusHandlers } from '../handlers/status-handlers.js';
import { registerWorkspaceHandlers } from '../handlers/workspace-handlers.js';
import { ProjectRegistry } from '../projects/project-registry.js';
import { CronTickHooks } from '../crons/cron-tick-hooks.js';
import { wireAgents } from './wire-agents.js';
import { wireCoordination } from './wire-coordination.js';
import { wireEscalations } from './wire-escalations.js';
import { wireMaintenance } from './wire-maintenance.js';
import { wireMonitors } from './wire-monitors.js';
import { wireQueues } from './wire-queues.js';
import type { Capability, WiringContext } from './wiring.js';
import type { Logger } from 'winston';
import { EventLog } from '../events/event-log.js';
import { registerDaemonHandlers } from '../handlers/daemon-handlers.js';
import { registerEventHandlers } from '../handlers/event-handlers.js';
import { registerUiHandlers } from '../handlers/ui-handlers.js';
import { UiRegistry } from '../ui/ui-registry.js';
import { closeLogger, createLogger } from '../log/logger.js';
import { RpcRouter } from '../rpc/rpc-router.js';
import { SocketServer } from '../rpc/socket-server.js';
import type { ProcessSpawner } from '../spawner/process-spawner.js';
import { createProcessSpawner, type SpawnerChoice } from '../spawner/spawner-choice.js';
import { ShellRunner } from '../adapters/shell-runner.js';
import { isDiskFull } from '../storage/disk-full.js';
import { ChildEnvironment } from '../adapters/child-env.js';
import { Storage } from '../storage/storage.js';
import { StrategyStore } from '../storage/strategy-store.js';
import type { DaemonContext } from '../handlers/daemon-context.js';
import { PidLock } from './pid-lock.js';
import { awaitPreviousSpawner, recordSpawner } from '../spawner/previous-spawner.js';

/** How long a starting daemon waits for a dead daemon's spawner to end the children only it knew. */
const PREVIOUS_SPAWNER_WAIT_MS = 10_000;
import { clearStaleSocket } from './stale-socket.js';
import { loadDaemonConfig } from '../maintenance/daemon-config.js';
import type { ClusterConfig } from '../maintenance/cluster-config.js';
import type { SharedStore } from '../storage/shared-store.js';
import { clusterStatus, openSharedStore } from './shared-store-open.js';
import { V8Compilers, type CompilerMode } from './v8-compilers.js';

export interface DaemonOptions {
  socketPath: string;
  stateDir: string;
  /** Also log readable lines to stderr. */
  logToStderr: boolean;
  now?: () => number;
  /**
   * How this process started V8's compilers (bin/ojd.js: OJ_COMPILERS):
   * `on-demand` (off until the daemon is busy) or `eager` (the default here: on).
   */
  compilers?: CompilerMode;
}

export class Daemon implements DaemonContext {
  readonly logger: Logger;
  readonly paths: ReturnType<typeof statePaths>;
  readonly now: () => number;
  private readonly pidLock: PidLock;
  /** Starts every shell child, for the daemon's one ShellRunner (made with the engine, handed to whatever starts children). */
  private readonly spawner: ProcessSpawner;
  /** Which spawner, and why not the native one when it was not asked for (spawner-choice.ts). */
  private readonly spawnerChoice: SpawnerChoice;
  /** Turns V8's compilers on once the daemon is busy (v8-compilers.ts). */
  private readonly compilers: V8Compilers;
  private storageOrNull: Storage | null = null;
  private eventsOrNull: EventLog | null = null;
  private server: SocketServer | null = null;
  private readonly startedAt: number;
  private stopping: Promise<void> | null = null;
  private readonly stoppedCallbacks: (() => void)[] = [];
  private projects: ProjectRegistry | null = null;
  private engine: PipelineEngine | null = null;
  private capabilities: Capability[] = [];
  private startedFlag = false;
  private shared: SharedStore | null = null;
  private cluster: ClusterConfig | null = null;
  /** The dashboard server (`oj ui`) while one is connected. */
  private readonly ui: UiRegistry;

  /** True once start() has finished (signals before that are deferred). */
  get started(): boolean {
    return this.startedFlag;
  }

  constructor(readonly options: DaemonOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.ui = new UiRegistry(this.now);
    // A socket path too long to bind fails late with a confusing error: refuse it first, clearly.
    const socketProblem = socketPathProblem(options.socketPath);
    if (socketProblem) throw new Error(socketProblem);
    // Before anything in it is used: the log, the database, bin/ (first on every child's PATH).
    ensurePrivateDir(options.stateDir);
    checkStateEntries(options.stateDir);
    this.paths = statePaths(options.stateDir);
    this.logger = createLogger(this.paths.log, { stderr: options.logToStderr });
    this.pidLock = new PidLock(this.paths.pidFile);
    // The spawner process itself starts in start() (warm) or with the first child.
    const chosen = createProcessSpawner(
      (message, detail) => this.logger.error(message, detail),
      (pid) => recordSpawner(this.paths.spawnerFile, pid),
    );
    this.spawner = chosen.spawner;
    this.spawnerChoice = chosen.choice;
    this.compilers = new V8Compilers(options.compilers ?? 'eager', this.logger);
  }

  get storage(): Storage {
    if (!this.storageOrNull) throw new Error('storage is not open');
    return this.storageOrNull;
  }

  get events(): EventLog {
    if (!this.eventsOrNull) throw new Error('event log is not open');
    return this.eventsOrNull;
  }

  get clusterEvents() {
    return this.shared?.events ?? null;
  }

  /**
   * A daemon killed a moment after starting a child leaves that child to its
   * spawner, which ends it on seeing the daemon gone; reconciling before then
   * would start the phase again beside it (previous-spawner.ts).
   */
  private async awaitPreviousSpawner(): Promise<void> {
    const waited = await awaitPreviousSpawner(this.paths.spawnerFile, PREVIOUS_SPAWNER_WAIT_MS);
    if (waited?.outcome === 'exited') this.logger.info('waited for the previous daemon\'s process spawner to end its children', { pid: waited.pid });
    if (waited?.outcome === 'still running') {
      this.logger.warn('the previous daemon\'s process spawner is still running; going on without it', { pid: waited.pid });
    }
  }

  async start(): Promise<void> {
    ensurePrivateDir(dirname(this.options.socketPath));
    this.pidLock.acquire();
    try {
      await this.awaitPreviousSpawner();
      this.storageOrNull = Storage.open(this.paths.database, this.now);
      this.storage.onCommit(this.compilers.note);
      if (this.storage.database.applied.length > 0) {
        this.logger.info('database migrated', { versions: this.storage.database.applied });
      }
      this.storage.diskFull.onChange(({ full, refused }) => {
        if (full) this.logger.warn('disk full: writes are refused until there is room', { stateDir: this.options.stateDir });
        else this.logger.info('disk space is back: writes succeed again', { refused });
      });
      this.eventsOrNull = new EventLog(this.storage);
      const { connections, cluster } = loadDaemonConfig(this.options.stateDir);
      this.cluster = cluster;
      this.projects = new ProjectRegistry(this.logger);
      this.shared = await openSharedStore(cluster, this.storage, this.projects, this.logger);
      // Who leads a project in the cluster, as this host saw it change (cluster:leader, cluster:resigned).
      this.shared.leader.onChange((c) => {
        for (const e of c.events) {
          try {
            this.events.emit({ name: e.name, subject: e.data.host === undefined ? undefined : String(e.data.host), project: c.project, data: e.data });
          } catch (err) {
            this.logger.warn('leadership event not recorded', { event: e.name, error: String(err) });
          }
        }
      });
      const router = new RpcRouter(this.logger);
      const shared = this.shared;
      router.durable = () => shared.makeDurable();
      router.onRequest = this.compilers.note;
      registerDaemonHandlers(router, this);
      registerEventHandlers(router, this);
      registerUiHandlers(router, this.ui);
      this.wireEngine(router, connections.followStallMs, this.shared);
      this.shared.shareEvents(this.events);
      await this.shared.start();
      // Before anything is answered and before pipelines re-run.
      for (const c of this.capabilities) await c.prepare?.();
      if ((await clearStaleSocket(this.options.socketPath)) === 'removed') {
        this.logger.warn('removed a stale socket left by a daemon that did not stop cleanly', {
          socket: this.options.socketPath,
        });
      }
      this.server = new SocketServer(router, this.logger, this.options.socketPath, () => this.storage.whenDurable() ?? undefined,
        connections.idleMs,
        () => this.projects?.inputSeen(),
      );
      await this.server.listen();
    } catch (err) {
      await this.shared?.close().catch(() => {});
      this.storageOrNull?.close();
      this.pidLock.release();
      throw err;
    }
    try {
      this.events.emit({ name: 'daemon:started', data: { pid: process.pid, version: OJ_VERSION } });
    } catch (err) {
      // A daemon must start on a full disk too (to answer, and to say why writes fail).
      if (!isDiskFull(err)) throw err;
      this.logger.warn('daemon:started not recorded: the disk is full');
    }
    this.spawner.warm();
    this.engine?.reconcile();
    for (const c of this.capabilities) await c.start?.();
    this.logger.info('ojd started', {
      pid: process.pid,
      version: OJ_VERSION,
      socket: this.options.socketPath,
      stateDir: this.options.stateDir,
      spawner: this.spawner.kind,
    });
    if (this.spawnerChoice.fallback) this.logger.warn(`shell children are started by the ${this.spawner.kind} spawner: ${this.spawnerChoice.fallback}`);
    this.startedFlag = true;
  }

  private wireEngine(router: RpcRouter, followStallMs: number, shared: SharedStore): void {
    const projects = this.projects ?? new ProjectRegistry(this.logger);
    this.projects = projects;
    const ojBinDir = installOjShim(this.options.stateDir);
    const shellRunner = new ShellRunner(this.spawner, new ChildEnvironment({ stateDir: this.options.stateDir, socketPath: this.options.socketPath, ojBinDir }));
    const strategies = new StrategyStore(this.storage.database);
    const lastCheckpoint = (id: string): string | null => strategies.runsOf(id).filter((x) => x.checkpoint).pop()?.checkpoint ?? null;
    const runtime = new PipelineRuntime({
      stateDir: this.options.stateDir,
      logger: this.logger,
      events: this.events,
      shellRunner,
      lastCheckpoint,
      project: (root) => {
        const p = projects.current(root);
        if (!p) return null;
        return {
          maxPhaseVisits: p.config.pipeline.max_phase_visits,
          fileHooks: (runbook) => p.files.find((f) => f.name === runbook)?.events ?? {},
          action: (name, fromRunbook) => {
            try {
              const a = p.find('action', name, fromRunbook);
              return a?.run ? a.run : null;
            } catch {
              return null;
            }
          },
        };
      },
    });
    const engine = new PipelineEngine(this.storage, this.events, this.logger, this.paths.logsDir, runtime);
    this.engine = engine;
    const pipelines = new PipelineService({
      engine,
      storage: this.storage,
      events: this.events,
      projects,
      logsDir: this.paths.logsDir,
      removeWorkspace: (root, path) => removeWorktree(root, path),
    });
    registerPipelineHandlers(router, {
      engine,
      pipelines,
      storage: this.storage,
      logsDir: this.paths.logsDir,
      followStallMs,
      logger: this.logger,
    });
    registerCommandHandlers(router, new CommandService({ projects, engine, shellRunner }));
    const ctx: WiringContext = {
      router,
      storage: this.storage,
      shared,
      events: this.events,
      engine,
      runtime,
      projects,
      logger: this.logger,
      stateDir: this.options.stateDir,
      shellRunner,
      cronTicks: new CronTickHooks(),
      lastCheckpoint,
      now: this.now,
    };
    registerWorkspaceHandlers(router, new WorkspaceService(this.storage, this.options.stateDir));
    const agents = wireAgents(ctx);
    const queues = wireQueues(ctx);
    const coordination = wireCoordination(ctx, {
      // Strategy attempts with `{ agent = ... }` run the agent like an agent phase does.
      runAgentAttempt: (phaseCtx, agentId) =>
        agents.agentWork(agentId)(phaseCtx).then(
          () => ({ ok: true }),
          (err: unknown) => ({ ok: false, error: (err as Error).message }),
        ),
      // on_orphan_work: the orphan's pipeline is cancelled, which fails its queue item back to its queue.
      orphanWork: (action, pipeline, info) => {
        try {
          engine.request(pipeline.state.id, { type: 'cancel', reason: `orphaned ${info.semaphore} slot (${info.reason}): ${action}` });
        } catch (err) {
          this.logger.warn('orphan work not requeued', { pipeline: pipeline.state.id, error: String(err) });
        }
      },
    });
    const escalations = wireEscalations(ctx, agents.send);
    this.capabilities = [queues, coordination, agents, escalations, wireMaintenance(ctx), wireMonitors(ctx)];
    registerStatusHandlers(router, {
      daemon: this,
      pipelines,
      projects,
      capabilities: () => this.capabilities,
      sessions: (project) => agents.sessions(project),
      openEscalations: (project) => escalations.open(project),
    });
  }

  async status(): Promise<DaemonStatus> {
    const counts: Record<string, number> = {};
    for (const c of this.capabilities) Object.assign(counts, (await c.counts?.()) ?? {});
    return {
      version: OJ_VERSION,
      pid: process.pid,
      spawnerPid: this.spawner.pid(),
      spawner: { kind: this.spawner.kind, pid: this.spawner.pid(), fallback: this.spawnerChoice.fallback },
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeMs: this.now() - this.startedAt,
      socket: this.options.socketPath,
      stateDir: this.options.stateDir,
      database: this.paths.database,
      log: this.paths.log,
      counts: {
        events: this.storage.events.count(),
        connections: this.server?.connectionCount ?? 0,
        ...prefixed('pipelines.', this.storage.pipelines.countByStatus()),
        ...counts,
      },
      projects: this.projects?.status() ?? [],
      diskFull: this.storage.diskFull.state,
      cluster: this.shared && this.cluster ? await clusterStatus(this.shared, this.cluster) : null,
      ui: this.ui.info(),
    };
  }

  reload(): ProjectStatus[] {
    this.logger.info('reload requested');
    return this.projects?.reloadAll() ?? [];
  }

  /** Resolves once the daemon has fully stopped. */
  onStopped(cb: () => void): void {
    this.stoppedCallbacks.push(cb);
  }

  stop(reason: string, options: { killSessions?: boolean } = {}): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.logger.info('ojd stopping', { reason });
        await step(this.logger, 'close socket', () => this.server?.close());
        // Phases first: an agent phase then leaves its session running for the next daemon to adopt.
        await step(this.logger, 'stop phases', () => this.engine?.stopAll());
        for (const c of this.capabilities) await step(this.logger, 'stop capability', () => c.stop?.(options));
        await step(this.logger, 'stop watching runbooks', () => this.projects?.close());
        await step(this.logger, 'stop the process spawner', () => this.spawner.close());
        await step(this.logger, 'close the shared store', () => this.shared?.close());
        await step(this.logger, 'record stop', () => {
          this.eventsOrNull?.emit({ name: 'daemon:stopped', data: { pid: process.pid, reason } });
        });
        await step(this.logger, 'close storage', () => this.storageOrNull?.close());
        await step(this.logger, 'release pid lock', () => this.pidLock.release());
        this.logger.info('ojd stopped', { reason });
        await closeLogger(this.logger);
        for (const cb of this.stoppedCallbacks) cb();
      })();
    }
    return this.stopping;
  }
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [prefix + k, v]));
}

async function step(logger: Logger, what: string, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (err) {
    logger.error(`stop step failed: ${what}`, { error: String(err) });
  }
}
