/**
 * For the PostgreSQL shared-store tests: one throwaway PostgreSQL 15 per test
 * file (test/pg/pg-server.ts, started on first use), a fresh database per
 * call, and hosts: a PgSharedStore over a SQLite state of its own in a temp
 * dir. Call `pgStoreKit()` at the top of a test file: it registers the
 * afterEach (stores and their SQLite closed) and afterAll (server stopped,
 * temp dirs removed) itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { PgServer, skipWithoutPg } from '../../../../test/pg/pg-server.js';
import { silentLogger } from '../log/logger.js';
import { Storage } from '../storage/storage.js';
import { PgSharedStore, type PgStoreOptions } from './pg-shared-store.js';
import type { ProjectNames } from './project-names.js';

export interface KitHost {
  store: PgSharedStore;
  storage: Storage;
  /** The host's temp dir (its SQLite state is `state.db` in it). */
  dir: string;
}

export interface PgStoreKit {
  /** True when this machine has no PostgreSQL binaries (describe.skipIf). */
  readonly skip: boolean | string;
  readonly logger: ReturnType<typeof silentLogger>;
  /** The file's server (started by the first `database` call). */
  server(): PgServer;
  /** A fresh database on the file's server; its URL. */
  database(name: string): Promise<string>;
  /**
   * A host on `url`: its store opened (the schema migrated) and, unless
   * `start` is false, started. `prepare` runs between the two (listeners to
   * add before the first beat). Closed after the test.
   */
  host(
    url: string,
    o: Pick<PgStoreOptions, 'hostId' | 'leaseMs'> &
      Partial<Pick<PgStoreOptions, 'pollMs'>> & {
        /** The host's project names; a function: of the host's temp dir (projects checked out in it). */
        names: ProjectNames | ((dir: string) => ProjectNames);
        now?: () => number;
        start?: boolean;
        prepare?: (h: KitHost) => void;
      },
  ): Promise<KitHost>;
  /** Stops tracking a host whose store the test closed itself. */
  forget(h: KitHost): void;
  /** The tracked host of a store. */
  tracked(store: PgSharedStore): KitHost | undefined;
  /** Tracks a host the test made itself (a store opened again on a kit host's storage): closed after the test. */
  adopt(h: KitHost): void;
}

export function pgStoreKit(prefix: string): PgStoreKit {
  const logger = silentLogger();
  let server: PgServer | null = null;
  const dirs: string[] = [];
  const open: KitHost[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) {
      await h.store.close();
      h.storage.close();
    }
  });
  afterAll(() => {
    server?.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const kit: PgStoreKit = {
    skip: skipWithoutPg(),
    logger,
    server: () => (server ??= PgServer.start()),
    database: (name) => kit.server().createDatabase(name),
    async host(url, o) {
      const dir = mkdtempSync(join(tmpdir(), `oj-${prefix}-`));
      dirs.push(dir);
      const storage = Storage.open(join(dir, 'state.db'), o.now);
      const { start, prepare, now: _now, names, ...options } = o;
      const store = await PgSharedStore.open({ url, storage, logger, names: typeof names === 'function' ? names(dir) : names, ...options });
      const h: KitHost = { store, storage, dir };
      open.push(h);
      prepare?.(h);
      if (start !== false) await store.start();
      return h;
    },
    forget(h) {
      const i = open.indexOf(h);
      if (i >= 0) open.splice(i, 1);
    },
    tracked: (store) => open.find((h) => h.store === store),
    adopt(h) {
      open.push(h);
    },
  };
  return kit;
}
