/**
 * The shared store of a daemon on its own (the default): the daemon's own
 * SQLite, through the same QueueStore as always. Every method does its work
 * synchronously when called (the promise only carries the answer), so a
 * call made inside a write joins it as before: an item settled inside the
 * transaction that ends its pipeline, a hand-off that creates the pipeline
 * and takes the item in one transaction. One exception: an item change
 * asked for outside any write waits for the end of the event loop's turn
 * and shares one transaction with the others asked for in it (group
 * commit: Storage.writeSoon).
 */
import type { JsonValue } from '@oj/protocol';
import { faultPoint } from '../fault-point.js';
import type { PreparedQuery } from './prepared-query.js';
import { orderClause } from './queue-order.js';
import { QueueStore, type QueueItemRow } from './queue-store.js';
import type { ResourceKey } from './resource-store.js';
import type {
  Gone,
  HostInfo,
  ItemDecision,
  ItemNotice,
  ItemTarget,
  ItemTargets,
  ItemWrite,
  LocalEventFeed,
  KnownRows,
  Leadership,
  NewEntry,
  PullPlan,
  SharedCrons,
  SharedQueues,
  SharedSettings,
  SharedStore,
} from './shared-store.js';
import type { Storage } from './storage.js';
import { SqliteSharedResources } from './sqlite-shared-resources.js';

export class SqliteSharedStore implements SharedStore {
  readonly kind = 'sqlite' as const;
  readonly queues: SqliteSharedQueues;
  readonly crons: SqliteCronSlots;
  readonly resources: SqliteSharedResources;
  /** On its own a daemon always leads: it runs every sweep. */
  readonly leader: Leadership = { leads: () => true, leadsAny: () => true, lookEveryMs: null, onChange: () => () => {}, info: () => Promise.resolve([]) };
  /** On its own a daemon's settings are its own (its SQLite rows): nothing to share. */
  readonly settings: SharedSettings = { set: () => Promise.resolve(null), list: () => Promise.resolve([]), onChange: () => () => {} };
  private readonly startedAt: number;

  constructor(
    private readonly storage: Storage,
    readonly hostId: string,
  ) {
    this.queues = new SqliteSharedQueues(storage);
    this.crons = new SqliteCronSlots(storage);
    this.resources = new SqliteSharedResources(storage);
    this.startedAt = storage.now();
  }

  identity(root: string): string {
    return root;
  }

  /** On its own, the daemon's event log is the whole story. */
  readonly events = null;

  shareEvents(_feed: LocalEventFeed): void {}

  onRemoteGrant(_cb: (key: ResourceKey, holder: string) => void): () => void {
    return () => {};
  }

  readonly reachable = true;

  onRemoteChange(_cb: (n: ItemNotice | null) => void): () => void {
    return () => {};
  }

  hosts(): Promise<HostInfo[]> {
    const now = this.storage.now();
    const { db, runner } = this.storage;
    const count = (q: { n: number } | undefined) => q?.n ?? 0;
    const items = count(runner.first(db.selectFrom('queue_items').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'taken')));
    const holds = count(runner.first(db.selectFrom('resource_holds').select((eb) => eb.fn.countAll<number>().as('n'))));
    return Promise.resolve([{ host: this.hostId, startedAt: this.startedAt, heartbeatAt: now, gone: false, items, holds }]);
  }

  makeDurable(): Promise<void> {
    return Promise.resolve();
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Runs fn now; its result or error becomes the promise's. */
function now<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

export class SqliteSharedQueues implements SharedQueues {
  readonly items: QueueStore;
  private settler: ((row: QueueItemRow | undefined, payload: JsonValue) => ItemDecision<void>) | null = null;

  constructor(private readonly storage: Storage) {
    this.items = new QueueStore(storage.database);
  }

  live(project: string, queue: string, id: string): Promise<QueueItemRow | undefined> {
    return now(() => this.items.live(project, queue, id));
  }
  latest(project: string, queue: string, id: string): Promise<QueueItemRow | undefined> {
    return now(() => this.items.latest(project, queue, id));
  }
  bySeq(seq: number): Promise<QueueItemRow | undefined> {
    return now(() => this.items.bySeq(seq));
  }
  list(...[f, order]: Parameters<SharedQueues['list']>): Promise<QueueItemRow[]> {
    return now(() => this.items.list(f, order ? orderClause(order.text, order.terms) : null));
  }
  countByStatus(project: string | null, queue?: string) {
    return now(() => this.items.countByStatus(project, queue));
  }
  pendingCount(project: string, queue: string) {
    return now(() => this.items.pendingCount(project, queue));
  }
  hasPending(project: string, queue: string) {
    return now(() => this.items.hasPending(project, queue));
  }
  takenByWorker(project: string, worker: string): Promise<QueueItemRow[]> {
    return now(() => this.items.takenByWorker(project, worker));
  }
  projectsWithLiveItems() {
    return now(() => this.items.projectsWithLiveItems());
  }
  heldHere(): Promise<QueueItemRow[]> {
    return now(() => this.items.allTaken());
  }
  overdue(at: number, only?: readonly string[]): Promise<QueueItemRow[]> {
    return now(() => this.items.overdue(at, only));
  }
  nextVisibleAt(only?: readonly string[]) {
    return now(() => this.items.nextVisibleAt(only));
  }
  nextExpiry() {
    return now(() => this.items.nextExpiry());
  }
  attempts(seq: number): ReturnType<SharedQueues['attempts']> {
    return now(() => this.items.attempts(seq));
  }
  source(project: string, queue: string) {
    return now(() => this.items.source(project, queue));
  }

  add(...[project, queue, entries, at, local]: Parameters<SharedQueues['add']>): ReturnType<SharedQueues['add']> {
    return now(() =>
      this.storage.write(() => {
        const added: QueueItemRow[] = [];
        const duplicates: string[] = [];
        for (const e of entries) {
          if (e.id !== null && this.items.live(project, queue, e.id)) {
            duplicates.push(e.id);
            continue;
          }
          added.push(this.items.insert({ project, queue, id: e.id, data: e.data, origin: 'added', now: at, seenPull: null }));
        }
        local(added, duplicates);
        return { added, duplicates };
      }),
    );
  }

  /** Inside a write: part of it, at once. Otherwise it shares one transaction with the changes asked for in the same turn (Storage.writeSoon). */
  change<T>(target: ItemTarget, decide: (row: QueueItemRow | undefined) => ItemDecision<T>): Promise<T> {
    // writeSoon runs it in a write of its own (or a savepoint of the shared one): no further savepoint.
    return this.storage.writeSoon(() => this.decideAndWrite(target, decide));
  }

  private changeNow<T>(target: ItemTarget, decide: (row: QueueItemRow | undefined) => ItemDecision<T>): T {
    return this.storage.write(() => this.decideAndWrite(target, decide));
  }

  /** One transaction for them all (shared with the changes asked for in the same turn, as a savepoint of its own: a decide that throws rolls them all back). */
  changeMany<T>(targets: ItemTargets, decide: (row: QueueItemRow | undefined, index: number) => ItemDecision<T>): Promise<T[]> {
    return this.storage.writeSoon(() => {
      const rows =
        'seqs' in targets
          ? targets.seqs.map((seq) => this.items.bySeq(seq))
          : this.items.nextPendingMany(targets.next.project, targets.next.queue, orderClause(targets.next.order.text, targets.next.order.terms), targets.count);
      return rows.map((row, i) => this.write(row, decide(row, i)));
    });
  }

  /** Loads the target, decides, writes (inside a write). */
  private decideAndWrite<T>(target: ItemTarget, decide: (row: QueueItemRow | undefined) => ItemDecision<T>): T {
    const row =
      'seq' in target
        ? this.items.bySeq(target.seq)
        : this.items.nextPending(target.next.project, target.next.queue, orderClause(target.next.order.text, target.next.order.terms));
    return this.write(row, decide(row));
  }

  /** Writes a decision on `row` and its local part (inside a write). */
  private write<T>(row: QueueItemRow | undefined, d: ItemDecision<T>): T {
    if (row && d.write) writeItem(this.items, row.seq, d.write);
    d.local?.();
    return d.result;
  }

  settle(seq: number, payload: JsonValue): void {
    const settler = this.settler;
    if (!settler) throw new Error('no settler registered');
    this.changeNow({ seq }, (row) => settler(row, payload));
  }

  setSettler(decide: (row: QueueItemRow | undefined, payload: JsonValue) => ItemDecision<void>): void {
    this.settler = decide;
  }

  prune(at: number, only: readonly string[] | undefined, local: (gone: Gone[]) => void): Promise<Gone[]> {
    return now(() =>
      this.storage.write(() => {
        const gone = this.items.prune(at, only);
        local(gone);
        return gone;
      }),
    );
  }

  recordPull(...[project, queue, ids, at, decide, local]: Parameters<SharedQueues['recordPull']>): Promise<QueueItemRow[]> {
    return now(() =>
      this.storage.write(() => {
        const prev = this.items.source(project, queue).pull_gen;
        const gen = prev + 1;
        const known = new Map<string, KnownRows>();
        for (const id of ids) {
          const live = this.items.live(project, queue, id);
          known.set(id, { live, latest: live ? undefined : this.items.latest(project, queue, id) });
        }
        const plan: PullPlan = decide(known, prev);
        for (const s of plan.seen) {
          this.items.markSeen(s.seq, gen);
          if (s.data !== null) this.items.update(s.seq, { data: s.data, updated_at: at });
        }
        const added = plan.insert.map((e: NewEntry) => this.items.insert({ project, queue, id: e.id, data: e.data, origin: 'source', now: at, seenPull: gen }));
        this.items.saveSource(project, queue, gen, at, null);
        local(added, gen);
        return added;
      }),
    );
  }

  sourceFailed(project: string, queue: string, at: number, error: string, local: () => void): Promise<void> {
    return now(() =>
      this.storage.write(() => {
        const s = this.items.source(project, queue);
        this.items.saveSource(project, queue, s.pull_gen, at, error);
        local();
      }),
    );
  }
}

/** Writes one item's decided change (inside the caller's write). */
export function writeItem(items: QueueStore, seq: number, w: ItemWrite): void {
  if (w.remove) items.delete(seq);
  else if (w.set) items.update(seq, w.set);
  for (const a of w.attempts) {
    if (a.type === 'start') {
      items.startAttempt({ item_seq: seq, attempt: a.attempt, taken_at: a.at, taken_by: a.takenBy, worker: a.worker, ended_at: null, outcome: 'running', error: null });
    } else {
      items.endAttempt(seq, a.attempt, a.outcome, a.error, a.at);
    }
  }
}

/**
 * A daemon on its own claims a cron's slots in order, each in the
 * transaction of the step that runs it (CronScheduler): a slot is this
 * daemon's to run when it is newer than the last one claimed, which is all
 * that is kept (one row per cron, however often the cron runs).
 */
class SqliteCronSlots implements SharedCrons {
  readonly claimGraceMs = 0;

  /** The statements of every tick's claim: built and compiled once (prepared-query.ts). */
  private readonly last: PreparedQuery<{ project: string; cron: string }, { slot_at: number | null }>;
  private readonly forget: PreparedQuery<{ project: string; cron: string }, unknown>;
  private readonly insert: PreparedQuery<{ project: string; cron: string; slot_at: number; claimed_at: number }, unknown>;

  constructor(private readonly storage: Storage) {
    const { db, runner } = storage;
    this.last = runner.prepared((a: { project: string; cron: string }) =>
      db
        .selectFrom('cron_slots')
        .where('project', '=', a.project)
        .where('cron', '=', a.cron)
        .select((eb) => eb.fn.max('slot_at').as('slot_at')),
    );
    this.forget = runner.prepared((a: { project: string; cron: string }) => db.deleteFrom('cron_slots').where('project', '=', a.project).where('cron', '=', a.cron));
    this.insert = runner.prepared((a: { project: string; cron: string; slot_at: number; claimed_at: number }) => db.insertInto('cron_slots').values(a), {
      project: true,
      cron: true,
      slot_at: true,
      claimed_at: true,
    });
  }

  claimSlot<T>(project: string, cron: string, slotAt: number, at: number, step: (mine: boolean) => T): Promise<T> {
    return now(() =>
      this.storage.write(() => {
        // One row per cron: the newest slot claimed (a slot at or before it is claimed already).
        const last = this.last.first({ project, cron })?.slot_at ?? null;
        const mine = last === null || last < slotAt;
        if (mine) {
          this.forget.run({ project, cron });
          this.insert.run({ project, cron, slot_at: slotAt, claimed_at: at });
        }
        // The step joins this transaction: the claim commits with it or not at all.
        faultPoint('cron:slot-claimed');
        return step(mine);
      }),
    );
  }

  claimedElsewhere(): Promise<number[]> {
    return Promise.resolve([]);
  }
}
