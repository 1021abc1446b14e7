/**
 * Events across hosts on a real PostgreSQL 15: two daemons' stores (each
 * with its own SQLite and event log, its project at its own path) on one
 * database.
 */
import { join } from 'node:path';
import pg from 'pg';
import type { ClusterEventRecord, EventRecord } from '@oj/protocol';
import { describe, expect, it } from 'vitest';
import { pgStoreKit } from './pg-store.test-kit.js';
import { EventLog } from '../events/event-log.js';
import type { Storage } from '../storage/storage.js';
import { PgSharedStore } from './pg-shared-store.js';
import type { ProjectNames } from './project-names.js';

const kit = pgStoreKit('events');
const skip = kit.skip;

interface Host {
  name: string;
  url: string;
  root: string;
  storage: Storage;
  log: EventLog;
  store: PgSharedStore;
  /** Other hosts' events this host's remote followers were told, in order. */
  heard: ClusterEventRecord[];
}

/** One project, `acme-web`, checked out at a path of each host's own. */
function names(root: string): ProjectNames {
  return { identity: (r) => (r === root ? 'acme-web' : r), root: (id) => (id === 'acme-web' ? root : undefined), served: () => [root] };
}

async function host(url: string, name: string, opts: { start?: boolean } = {}): Promise<Host> {
  let h: Host | undefined;
  await kit.host(url, {
    hostId: name,
    names: (dir) => names(join(dir, 'web')),
    leaseMs: 60_000,
    pollMs: 100,
    now: Date.now,
    start: opts.start,
    prepare: ({ store, storage, dir }) => {
      const log = new EventLog(storage);
      h = { name, url, root: join(dir, 'web'), storage, log, store, heard: [] };
      const host = h;
      // A remote follower hears this host's own events too: `host` tells another host's apart.
      log.follow({ remote: true, deliver: (e) => void ('host' in e && host.heard.push(e as ClusterEventRecord)) });
      store.shareEvents(log);
    },
  });
  return h!;
}

async function cluster(): Promise<[Host, Host]> {
  const url = await kit.database('events');
  return [await host(url, 'host-a'), await host(url, 'host-b')];
}

/** Polls until probe gives something (no fixed sleeps), failing after timeoutMs. */
async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const heard = (h: Host, name: string) => h.heard.filter((e) => e.name === name);

describe.skipIf(skip)('events across hosts (PostgreSQL)', () => {
  it('an event recorded on one host reaches the followers of another that ask for other hosts\' events, with the project as that host names it', async () => {
    const [a, b] = await cluster();
    const local: EventRecord[] = [];
    b.log.follow({ deliver: (e) => local.push(e) });
    const e = a.log.emit({ name: 'bug:created', subject: 'BUG-1', project: a.root, data: { priority: 1 } });
    const got = await waitFor('bug:created on host-b', () => heard(b, 'bug:created')[0], 30_000);
    expect(got).toMatchObject({ id: e.id, host: 'host-a', name: 'bug:created', subject: 'BUG-1', project: b.root, data: { priority: 1 } });
    // Only remote followers hear it, and host-b's own log does not get it.
    expect(local).toEqual([]);
    expect(b.log.list({}).map((x) => x.name)).not.toContain('bug:created');
    // Its own events are not told back to the host that recorded them (as another host's).
    a.log.emit({ name: 'daemon:note', data: {} });
    await waitFor('host-b hears the next one', () => heard(b, 'daemon:note').length === 1, 30_000);
    expect(a.heard).toEqual([]);
  });

  it('nothing is lost while a host\'s listening connection is down: it reads what it missed when it is back', async () => {
    const [a, b] = await cluster();
    a.log.emit({ name: 'before', data: {} });
    await waitFor('the first event on host-b', () => heard(b, 'before').length === 1, 30_000);
    // End host-b's LISTEN connection (as a network blip would) and record events meanwhile.
    const admin = new pg.Client({ connectionString: kit.server().url('postgres') });
    await admin.connect();
    try {
      const r = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'oj-listen host-b'`);
      expect(r.rows).toHaveLength(1);
    } finally {
      await admin.end();
    }
    for (let i = 1; i <= 5; i++) a.log.emit({ name: `missed:${i}`, data: { i } });
    await waitFor('every event on host-b', () => b.heard.filter((e) => e.name.startsWith('missed:')).length >= 5, 30_000);
    // Each once, in the order host-a recorded them.
    expect(b.heard.filter((e) => e.name.startsWith('missed:')).map((e) => e.name)).toEqual(['missed:1', 'missed:2', 'missed:3', 'missed:4', 'missed:5']);
  });

  it('lists every host\'s events merged by time, each with its host and its id there; name and project filters', async () => {
    const [a, b] = await cluster();
    // Causally ordered: each is recorded once the other host has heard the one before.
    const a1 = a.log.emit({ name: 'step_one', project: a.root, data: {} });
    await waitFor('step_one on host-b', () => heard(b, 'step_one').length === 1, 30_000);
    const b1 = b.log.emit({ name: 'step:two', project: b.root, data: {} });
    await waitFor('step:two on host-a', () => heard(a, 'step:two').length === 1, 30_000);
    const a2 = a.log.emit({ name: 'step:three', subject: 'x', data: {} });
    await waitFor('step:three on host-b', () => heard(b, 'step:three').length === 1, 30_000);
    const { events, lastSeq } = await b.store.events.list({});
    expect(events.map((e) => [e.host, e.id, e.name])).toEqual([
      ['host-a', a1.id, 'step_one'],
      ['host-b', b1.id, 'step:two'],
      ['host-a', a2.id, 'step:three'],
    ]);
    expect(lastSeq).toBe(Math.max(...events.map((e) => e.seq)));
    // On each host, a project's events carry that host's root for it.
    expect(events.map((e) => e.project)).toEqual([b.root, b.root, null]);
    expect((await a.store.events.list({})).events.map((e) => e.project)).toEqual([a.root, a.root, null]);
    // `_` in a pattern is itself, `*` any run; the project is this host's root for it.
    expect((await a.store.events.list({ name: 'step_*' })).events.map((e) => e.name)).toEqual(['step_one']);
    expect((await a.store.events.list({ name: 'step*' })).events.map((e) => e.name)).toEqual(['step_one', 'step:two', 'step:three']);
    expect((await a.store.events.list({ project: a.root })).events.map((e) => e.name)).toEqual(['step_one', 'step:two']);
    expect((await a.store.events.list({ limit: 2 })).events.map((e) => e.name)).toEqual(['step:two', 'step:three']);
    expect((await a.store.events.list({ since: events[0]!.seq })).events.map((e) => e.name)).toEqual(['step:two', 'step:three']);
  });

  it('publishing again after a crash (the cursor not saved) adds nothing; prune by age and by count', async () => {
    const [a, b] = await cluster();
    for (let i = 0; i < 4; i++) a.log.emit({ name: `n:${i}`, data: {} });
    await waitFor('all four shared', async () => (await b.store.events.list({})).events.length === 4, 30_000);
    // As if the daemon died before saving its cursor: the same events go again.
    a.storage.write(() => a.storage.runner.run(a.storage.db.updateTable('meta').set({ value: '0' }).where('key', '=', 'cluster_events_published')));
    await a.store.close();
    kit.forget(kit.tracked(a.store)!);
    const store = await PgSharedStore.open({ url: a.url, hostId: 'host-a', storage: a.storage, names: names(a.root), logger: kit.logger, leaseMs: 60_000, pollMs: 100 });
    store.shareEvents(a.log);
    await store.start();
    kit.adopt({ store, storage: a.storage, dir: a.root });
    a.log.emit({ name: 'n:4', data: {} });
    await waitFor('the fifth shared', async () => (await b.store.events.list({})).events.length >= 5, 30_000);
    await store.events.publish();
    expect((await b.store.events.list({})).events.map((e) => e.name)).toEqual(['n:0', 'n:1', 'n:2', 'n:3', 'n:4']);
    expect(await b.store.events.prune(null, 3)).toBe(2);
    expect((await b.store.events.list({})).events.map((e) => e.name)).toEqual(['n:2', 'n:3', 'n:4']);
    expect(await b.store.events.prune(Date.now() + 1, null)).toBe(3);
    expect((await b.store.events.list({})).events).toEqual([]);
  });
});
