/**
 * The built-in recovery actions, as a monitor applies them to one item's
 * targets (its pipeline, session, queue item, lock, semaphore slot, worker
 * or workspace; see monitor-items.ts). Each goes through the daemon's own
 * RPC methods, the pipeline engine's public requests, or the git adapter,
 * the way `oj` would. An action that has nothing to act on for this item
 * says so (`skip`), and the chain moves on to its next step in the same tick.
 */
import {
  LockMethods,
  QueueMethods,
  SemaphoreMethods,
  SessionMethods,
  WorkerMethods,
  WorkspaceMethods,
} from '@oj/protocol';
import { rollbackWorkTree } from '../adapters/git-rollback.js';
import { DEFAULT_NUDGE } from '../agents/nudges.js';
import type { ActOutcome } from '../core/monitor/index.js';
import { escalateData, unreachable, type BuiltinAction } from '../core/recovery/index.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { TERMINAL } from '../core/pipeline-state.js';
import type { EventLog } from '../events/event-log.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import type { Storage } from '../storage/storage.js';
import type { LocalCall } from './local-rpc.js';
import type { ItemTargets } from './monitor-items.js';

export interface BuiltinDeps {
  call: LocalCall;
  engine: PipelineEngine;
  events: EventLog;
  /** For the escalate event and the hold it puts on a running pipeline: one transaction. */
  storage: Pick<Storage, 'write'>;
  /** The commit of the strategy checkpoint a pipeline last took, if any. */
  lastCheckpoint(pipeline: string): string | null;
}

export interface BuiltinRequest {
  project: string;
  /** `monitor:<name>`: who acts, for escalations and reasons. */
  source: `monitor:${string}`;
  /** Waiting-for name set on a pipeline this monitor escalates (so it can be released again). */
  waitName: string;
  key: string;
  targets: ItemTargets;
  reason: string;
}

const done = (detail: string): ActOutcome => ({ kind: 'done', detail });
const skip = (why: string): ActOutcome => ({ kind: 'skip', why });

export async function runBuiltin(d: BuiltinDeps, action: BuiltinAction, r: BuiltinRequest): Promise<ActOutcome> {
  try {
    switch (action) {
      case 'nudge':
        return await nudge(d, r);
      case 'restart':
        return await restart(d, r);
      case 'requeue':
        return await requeue(d, r);
      case 'dead':
        return await dead(d, r);
      case 'escalate':
        return escalate(d, r);
      case 'abandon':
        return await abandon(d, r);
      case 'rollback':
        return rollback(d, r);
      case 'release':
        return await release(d, r, false);
      case 'reclaim':
        return await release(d, r, true);
      default:
        return unreachable(action);
    }
  } catch (err) {
    return { kind: 'failed', error: (err as Error).message };
  }
}

/** The item's pipeline, when it names one of this project. */
function pipelineOf(d: BuiltinDeps, r: BuiltinRequest): PipelineRecord | null {
  const id = r.targets.pipeline;
  if (!id) return null;
  // An item names a pipeline by its id in the project (pipeline lists) or by its key (holders, sessions' rows...).
  return d.engine.store.inProject(r.project, id) ?? null;
}

async function nudge(d: BuiltinDeps, r: BuiltinRequest): Promise<ActOutcome> {
  const session = r.targets.session;
  if (!session) return skip('the item has no agent session');
  await d.call(SessionMethods.Send, { id: session, text: DEFAULT_NUDGE, enter: true });
  return done(`nudged session ${session}`);
}

/** A running pipeline's current phase starts afresh (an agent phase: a new session); a failed or escalated one resumes. */
async function restart(d: BuiltinDeps, r: BuiltinRequest): Promise<ActOutcome> {
  const p = pipelineOf(d, r)?.state;
  if (p && p.phase) {
    if (p.status === 'failed' || p.status === 'escalated') {
      d.engine.request(p.id, { type: 'resume' }, r.project);
      return done(`resumed pipeline ${p.id} at phase ${p.phase}`);
    }
    if (p.status === 'running' || p.status === 'waiting') {
      d.engine.request(p.id, { type: 'transition', phase: p.phase }, r.project);
      return done(`restarted phase ${p.phase} of pipeline ${p.id}${r.targets.session ? ` (session ${r.targets.session} replaced)` : ''}`);
    }
  }
  if (r.targets.worker) {
    await d.call(WorkerMethods.Restart, { project: r.project, name: r.targets.worker });
    return done(`restarted worker ${r.targets.worker}`);
  }
  return skip(p ? `pipeline ${p.id} is ${p.status}` : 'the item has no pipeline or worker to restart');
}

function ownerItem(p: PipelineRecord | null): { queue: string; id: string } | null {
  const o = p?.owner;
  if (o && o.kind === 'queue_item' && typeof o.queue === 'string' && typeof o.item === 'string') return { queue: o.queue, id: o.item };
  return null;
}

async function requeue(d: BuiltinDeps, r: BuiltinRequest): Promise<ActOutcome> {
  const qi = r.targets.queueItem ?? ownerItem(pipelineOf(d, r));
  if (!qi) return skip('the item has no queue item');
  await d.call(QueueMethods.Requeue, { project: r.project, queue: qi.queue, id: qi.id });
  return done(`requeued ${qi.queue}/${qi.id}`);
}

/**
 * One atomic bury (queues.bury): the item goes to the dead letters whatever
 * retries are left and whatever the queue's on_exhaust says, and the pipeline
 * holding it is cancelled. An item already dead counts as done.
 */
async function dead(d: BuiltinDeps, r: BuiltinRequest): Promise<ActOutcome> {
  const p = pipelineOf(d, r);
  const qi = r.targets.queueItem ?? ownerItem(p);
  if (!qi) return skip('the item has no queue item');
  const { item } = await d.call(QueueMethods.Show, { project: r.project, queue: qi.queue, id: qi.id });
  if (item.status === 'dead') return done(`${qi.queue}/${qi.id} is dead`);
  if (item.status !== 'pending' && item.status !== 'taken') return { kind: 'failed', error: `${qi.queue}/${qi.id} ended ${item.status}` };
  await d.call(QueueMethods.Bury, { project: r.project, queue: qi.queue, id: qi.id, reason: `${r.source}: ${r.reason}`.slice(0, 2000) });
  // The item's holder was cancelled by the bury; a pipeline of this item that did not hold it is ended too.
  const after = pipelineOf(d, r)?.state;
  if (after && !TERMINAL.has(after.status)) d.engine.request(after.id, { type: 'cancel', reason: `${r.source}: work moved to the dead letters` }, r.project);
  return done(`${qi.queue}/${qi.id} is dead`);
}

/**
 * Records an escalation (the `escalate` event does) and has a running
 * pipeline wait for the human, held under the monitor's name (both in one
 * transaction); releaseEscalation lets it go once its item has recovered.
 */
function escalate(d: BuiltinDeps, r: BuiltinRequest): ActOutcome {
  const p = pipelineOf(d, r)?.state;
  d.storage.write(() => {
    d.events.emit({
      name: 'escalate',
      subject: p?.id ?? r.key,
      project: r.project,
      data: escalateData({ source: r.source, reason: r.reason, pipeline: p?.handle, phase: p?.phase, session: r.targets.session, detail: { item: r.key } }),
    });
    if (p) d.engine.holdForHuman(p.id, r.waitName, r.reason);
  });
  return done(p ? `escalated pipeline ${p.id}` : `escalated ${r.key}`);
}

/** A pipeline this monitor escalated goes back to running once its item has recovered. */
export function releaseEscalation(d: BuiltinDeps, project: string, pipeline: string | null, waitName: string): boolean {
  if (!pipeline) return false;
  const rec = d.engine.store.inProject(project, pipeline);
  return rec ? d.engine.releaseHuman(rec.state.id, waitName) : false;
}

async function abandon(d: BuiltinDeps, r: BuiltinRequest): Promise<ActOutcome> {
  const p = pipelineOf(d, r)?.state;
  if (p && !TERMINAL.has(p.status)) {
    d.engine.request(p.id, { type: 'cancel', reason: `abandoned by ${r.source}: ${r.reason}` }, r.project);
    return done(`cancelled pipeline ${p.id}`);
  }
  const qi = r.targets.queueItem;
  if (qi) {
    const { item } = await d.call(QueueMethods.Show, { project: r.project, queue: qi.queue, id: qi.id });
    if (item.status === 'pending' || item.status === 'taken') {
      await d.call(QueueMethods.Fail, { project: r.project, queue: qi.queue, id: qi.id, error: `abandoned by ${r.source}` });
      return done(`failed ${qi.queue}/${qi.id}`);
    }
  }
  if (r.targets.session && !p) {
    await d.call(SessionMethods.Kill, { id: r.targets.session });
    return done(`killed session ${r.targets.session}`);
  }
  // Nothing to end: giving up means the monitor leaves the item alone until it clears.
  return done('gave up on the item');
}

/** The item's pipeline's work tree back to its last checkpoint, or to its branch's start (the git adapter, git-rollback.ts). */
function rollback(d: BuiltinDeps, r: BuiltinRequest): ActOutcome {
  const p = pipelineOf(d, r);
  if (!p) return skip('the item has no pipeline');
  const id = p.state.id;
  const workspace = typeof p.vars.workspace === 'string' ? p.vars.workspace : p.workspace;
  const x = rollbackWorkTree({ workspace, projectRoot: p.project, checkpoint: d.lastCheckpoint(id) });
  if (!x.ok) return skip(`pipeline ${id}: ${x.reason}`);
  return done(`rolled ${x.workspace} back from ${x.from} to ${x.to} (${x.target})`);
}

/** release: the lock or the semaphore units the item names; reclaim: only stale ones, or an orphaned session/workspace. */
async function release(d: BuiltinDeps, r: BuiltinRequest, reclaim: boolean): Promise<ActOutcome> {
  const t = r.targets;
  if (t.lock) {
    if (reclaim) {
      const s = await d.call(LockMethods.IsStale, { project: r.project, name: t.lock });
      if (!s.stale) return done(`lock ${t.lock} is not stale`);
    }
    const x = await d.call(LockMethods.ForceRelease, { project: r.project, name: t.lock, reason: `${r.source}: ${r.reason}` });
    return done(x.released ? `released lock ${t.lock}${x.previous ? ` (held by ${x.previous.holder})` : ''}` : `lock ${t.lock} was free`);
  }
  if (t.semaphore) {
    const holders = t.holders.filter((h) => !reclaim || h.stale);
    if (!holders.length) return done(`no ${reclaim ? 'stale ' : ''}holders of ${t.semaphore}`);
    for (const h of holders) await d.call(SemaphoreMethods.Release, { project: r.project, name: t.semaphore, holder: h.holder });
    return done(`released ${holders.map((h) => h.holder).join(', ')} from ${t.semaphore}`);
  }
  if (reclaim && t.session) {
    const p = pipelineOf(d, r);
    if (p && !TERMINAL.has(p.state.status) && p.session === t.session) return skip(`session ${t.session} is the current session of pipeline ${p.state.id}`);
    await d.call(SessionMethods.Kill, { id: t.session });
    return done(`killed orphaned session ${t.session}`);
  }
  if (reclaim && t.workspace) {
    await d.call(WorkspaceMethods.Delete, { project: r.project, name: t.workspace });
    return done(`deleted workspace ${t.workspace}`);
  }
  return skip(`the item has no ${reclaim ? 'orphaned resource' : 'lock or semaphore slot'}`);
}
