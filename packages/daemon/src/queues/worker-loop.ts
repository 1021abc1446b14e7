/**
 * The loop of each started worker: no polling; it looks for work (a
 * "fill") when something may have changed: an item added or released in
 * its queue, one of its pipelines ended (a slot freed), a `wake_on` event,
 * `oj worker wake`, or, for a queue with a source, its idle timer
 * (`idle_action = "wait:30s"`), which re-pulls the source; a worker on a
 * queue without one costs nothing while idle. core/queue/worker-fill.ts decides when to
 * pull and when the worker is idle; concurrency is counted from the
 * database (its pipelines under way), so it holds across restarts. In a
 * cluster each host's worker keeps to its own `concurrency`, and another
 * host's notices (or, while they are lost, polling) wake it too.
 */
import type { Logger } from 'winston';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import { planPull, planRest } from '../core/queue/worker-fill.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { Pipeline, Queue, Worker } from '../runbook/model.js';
import type { WorkerStore } from '../storage/worker-store.js';
import type { ItemChange, QueueService } from './queue-service.js';
import { wakePatterns } from './wake-patterns.js';
import { tryFind } from '../projects/find-primitive.js';

interface Runner {
  project: string;
  name: string;
  kickPending: boolean;
  /** A fill is under way (fills are asynchronous): a kick meanwhile asks for another after it. */
  filling: boolean;
  again: boolean;
  pullRequested: boolean;
  /** The last fill started a pull: do not start another until something else happens. */
  justPulled: boolean;
  idle: boolean;
  idleTimer: LongTimer | null;
  follows: (() => void)[];
  followKey: string;
  missingLogged: boolean;
}

/** After an unexpected error in the loop, look again this much later. */
const RETRY_AFTER_ERROR_MS = 5_000;

/** Pending items all locked by other takers: look again this much later. */
const LOCKED_RETRY_MS = 1_000;

/** How many items in a row may fail to start before a fill gives up for now. */
const MAX_START_FAILURES_PER_FILL = 100;

export interface WorkerLoopDeps {
  store: WorkerStore;
  events: EventLog;
  projects: ProjectRegistry;
  queues: QueueService;
  logger: Logger;
  /** The worker took work after being idle. */
  busy(project: string, worker: Worker): void;
  /** The worker found nothing to do. */
  idle(project: string, worker: Worker): void;
  stop(project: string, name: string, reason: string): void;
  /** Runs a worker hook (on_take). */
  hook(project: string, worker: Worker, hook: string, extra: Record<string, unknown>): void;
}

export class WorkerLoop {
  private readonly runners = new Map<string, Runner>();
  private stopped = false;

  constructor(private readonly d: WorkerLoopDeps) {
    d.queues.onChange((c) => this.itemChanged(c));
    d.projects.onReload((root) => this.reloaded(root));
  }

  /** Runs the worker's loop (if it is not running) and has it look for work. `fresh`: it has just been started. */
  run(project: string, name: string, opts: { pull: boolean; fresh?: boolean }): void {
    const r = this.attach(project, name);
    if (opts.fresh) r.idle = false;
    this.kick(r, opts.pull);
  }

  /** Ends the worker's loop (its work under way goes on). */
  detach(project: string, name: string): void {
    const key = this.key(project, name);
    const r = this.runners.get(key);
    if (!r) return;
    this.release(r);
    this.runners.delete(key);
  }

  stopAll(): void {
    this.stopped = true;
    for (const r of this.runners.values()) this.release(r);
    this.runners.clear();
  }

  private key(project: string, name: string): string {
    return `${project}\0${name}`;
  }

  private attach(project: string, name: string): Runner {
    const key = this.key(project, name);
    let r = this.runners.get(key);
    if (!r) {
      r = { project, name, kickPending: false, filling: false, again: false, pullRequested: false, justPulled: false, idle: false, idleTimer: null, follows: [], followKey: '', missingLogged: false };
      this.runners.set(key, r);
    }
    this.follow(r);
    return r;
  }

  private release(r: Runner): void {
    r.idleTimer?.cancel();
    r.idleTimer = null;
    for (const off of r.follows) off();
    r.follows = [];
    r.followKey = '';
  }

  /** (Re)subscribes the worker's wake_on patterns. */
  private follow(r: Runner): void {
    const w = tryFind(this.d.projects, r.project, 'worker', r.name);
    const q = w ? this.d.projects.peek(r.project)?.deref('queue', w.queue) : undefined;
    const patterns = w ? wakePatterns(w.wake_on, { worker: w.name, queue: q?.name ?? '' }) : [];
    const key = patterns.join('\n');
    if (key === r.followKey) return;
    for (const off of r.follows) off();
    r.followKey = key;
    r.follows = patterns.map((name) =>
      this.d.events.follow({
        name,
        // In a cluster, another host's event wakes this host's worker too.
        remote: true,
        deliver: (e) => {
          if (e.project !== null && e.project !== r.project) return;
          this.d.logger.debug('worker woken by event', { worker: r.name, event: e.name });
          this.kick(r, true);
        },
      }),
    );
  }

  private kick(r: Runner, pull: boolean): void {
    if (this.stopped) return;
    if (pull) r.pullRequested = true;
    if (r.kickPending) return;
    r.kickPending = true;
    setImmediate(() => {
      r.kickPending = false;
      if (r.filling) {
        r.again = true;
        return;
      }
      r.filling = true;
      this.fill(r)
        .catch((err: unknown) => {
          this.d.logger.error('worker loop failed; trying again shortly', { project: r.project, worker: r.name, error: String(err) });
          this.armTimer(r, RETRY_AFTER_ERROR_MS, false);
        })
        .finally(() => {
          r.filling = false;
          if (r.again) {
            r.again = false;
            this.kick(r, false);
          }
        });
    });
  }

  private armTimer(r: Runner, ms: number, pull: boolean): void {
    if (r.idleTimer) return;
    r.idleTimer = setLongTimeout(
      () => {
        r.idleTimer = null;
        this.kick(r, pull);
      },
      ms,
      { unref: true },
    );
  }

  private definitions(r: Runner): { worker: Worker; queue: Queue; handler: Pipeline } | null {
    const project = this.d.projects.peek(r.project);
    const worker = tryFind(this.d.projects, r.project, 'worker', r.name);
    if (!project || !worker) return null;
    return { worker, queue: project.deref('queue', worker.queue), handler: project.deref('pipeline', worker.handler) };
  }

  private async fill(r: Runner): Promise<void> {
    if (this.stopped || this.runners.get(this.key(r.project, r.name)) !== r) return;
    if (this.d.store.get(r.project, r.name)?.status !== 'started') {
      this.detach(r.project, r.name);
      return;
    }
    const defs = this.definitions(r);
    if (!defs) {
      if (!r.missingLogged) this.d.logger.warn('started worker is not defined in the runbooks; it waits', { project: r.project, worker: r.name });
      r.missingLogged = true;
      return;
    }
    r.missingLogged = false;
    const { worker, queue, handler } = defs;
    const { items } = this.d.queues;
    let free = worker.concurrency - (await this.d.queues.inFlight(r.project, worker.name));
    const pull = planPull({
      source: queue.source !== null,
      free,
      pending: await items.hasPending(r.project, queue.name),
      pullingNow: queue.source !== null && this.d.queues.pulling(r.project, queue.name),
      pullRequested: r.pullRequested,
      justPulled: r.justPulled,
    });
    r.pullRequested = pull.pullRequested;
    r.justPulled = pull.justPulled;
    if (pull.startPull) {
      this.d.queues.pull(r.project, queue.name).then(
        () => this.kick(r, false),
        (err: unknown) => {
          this.d.logger.warn('queue pull failed', { queue: queue.name, error: String(err) });
          this.kick(r, false);
        },
      );
    }
    let took = 0;
    let failedStarts = 0;
    while (free > 0 && !this.stopped && (await items.hasPending(r.project, queue.name))) {
      // Every free slot at once: on one host the hand-offs share one transaction (Storage.writeSoon).
      const handed = await Promise.all(Array.from({ length: free }, () => this.d.queues.takeForWorker(r.project, worker, queue, handler)));
      let started = 0;
      for (const res of handed) {
        if (!res || res.pipeline === null) continue;
        started++;
        this.d.hook(r.project, worker, 'on_take', { item: JSON.parse(res.item.data) as unknown, item_id: res.item.id, pipeline: res.pipeline });
      }
      took += started;
      free -= started;
      failedStarts += handed.filter((res) => res !== null && res.pipeline === null).length;
      if (handed.every((res) => res === null)) {
        // Pending items another taker has locked (in a cluster): look again shortly, should its take roll back.
        this.armTimer(r, LOCKED_RETRY_MS, false);
        break;
      }
      if (failedStarts >= MAX_START_FAILURES_PER_FILL) {
        this.kick(r, false);
        break;
      }
      // Fewer pending than free slots: what is left was handed out.
      if (handed.some((res) => res === null)) break;
    }
    const rest = planRest({
      source: queue.source !== null,
      took,
      idle: r.idle,
      pending: await items.hasPending(r.project, queue.name),
      running: await this.d.queues.inFlight(r.project, worker.name),
      pulling: queue.source !== null && this.d.queues.pulling(r.project, queue.name),
      idleAction: worker.idle_action.type === 'wait' ? { type: 'wait', ms: worker.idle_action.duration.ms } : { type: 'stop' },
      idleTimerArmed: r.idleTimer !== null,
    });
    if (rest.busy) {
      r.idle = false;
      this.d.busy(r.project, worker);
    }
    if (rest.becameIdle) {
      r.idle = true;
      this.d.idle(r.project, worker);
    }
    if (rest.stop) this.d.stop(r.project, worker.name, 'idle (idle_action = "stop")');
    if (rest.armIdleTimer !== null) this.armTimer(r, rest.armIdleTimer, true);
  }

  private itemChanged(c: ItemChange): void {
    for (const r of this.runners.values()) {
      // Notices from other hosts may have been missed: every worker looks again.
      if (c.project === '*') {
        this.kick(r, false);
        continue;
      }
      if (r.project !== c.project) continue;
      if (c.worker === r.name) {
        this.kick(r, false);
        continue;
      }
      if (c.reason === 'finished') continue;
      const w = tryFind(this.d.projects, r.project, 'worker', r.name);
      const q = w ? this.d.projects.peek(r.project)?.deref('queue', w.queue) : undefined;
      if (q?.name === c.queue) this.kick(r, false);
    }
  }

  private reloaded(root: string): void {
    for (const r of this.runners.values()) {
      if (r.project !== root) continue;
      this.follow(r);
      this.kick(r, false);
    }
  }
}
