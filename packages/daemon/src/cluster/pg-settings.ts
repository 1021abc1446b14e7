/**
 * Cluster-wide settings in PostgreSQL (cluster mode): a worker's
 * started/stopped and a cron's enabled/disabled per project (its cluster
 * identity). A change bumps the row's version and is told to every host
 * (`pg_notify` inside the transaction); each host follows what it hears
 * for the projects it serves, ignoring a version older than one it has.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'winston';
import { sql } from '../storage/kysely.js';
import type { SettingKind, SharedSetting, SharedSettings } from '../storage/shared-store.js';
import type { PgDatabase } from './pg-schema.js';
import type { ProjectNames } from './project-names.js';

export const SETTING_CHANNEL = 'oj_setting';

export interface PgSettingsDeps {
  db: Kysely<PgDatabase>;
  hostId: string;
  names: ProjectNames;
  logger: Logger;
  guard<T>(fn: () => Promise<T>): Promise<T>;
  committed(): void;
}

export class PgSettings implements SharedSettings {
  private readonly listeners = new Set<(s: SharedSetting | null) => void>();

  constructor(private readonly d: PgSettingsDeps) {}

  async set(kind: SettingKind, project: string, name: string, value: string, now: number): Promise<number> {
    const identity = this.d.names.identity(project);
    const host = this.d.hostId;
    const version = await this.d.guard(() =>
      this.d.db.transaction().execute(async (trx) => {
        const r = await trx
          .insertInto('settings')
          .values({ kind, project: identity, name, value, version: 1, changed_at: now, host })
          .onConflict((oc) => oc.columns(['kind', 'project', 'name']).doUpdateSet((eb) => ({ value, version: eb('settings.version', '+', 1), changed_at: now, host })))
          .returning('version')
          .executeTakeFirstOrThrow();
        const payload = JSON.stringify({ h: host, k: kind, p: identity, n: name, v: value, ver: r.version, at: now });
        await sql`SELECT pg_notify(${SETTING_CHANNEL}, ${payload})`.execute(trx);
        return r.version;
      }),
    );
    this.d.committed();
    return version;
  }

  async list(project: string): Promise<SharedSetting[]> {
    const rows = await this.d.guard(() => this.d.db.selectFrom('settings').selectAll().where('project', '=', this.d.names.identity(project)).orderBy('kind').orderBy('name').execute());
    return rows.map((r) => ({ kind: r.kind, project, name: r.name, value: r.value, version: r.version, changedAt: r.changed_at, host: r.host }));
  }

  onChange(cb: (s: SharedSetting | null) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** A notice on SETTING_CHANNEL (another host's change), or null when notices may have been missed. */
  heard(payload: string | undefined | null): void {
    if (payload === null) return this.tell(null);
    const s = parseSetting(payload);
    if (!s || s.host === this.d.hostId) return;
    const project = this.d.names.root(s.identity);
    if (project === undefined) return;
    this.tell({ kind: s.kind, project, name: s.name, value: s.value, version: s.version, changedAt: s.at, host: s.host });
  }

  private tell(s: SharedSetting | null): void {
    for (const l of this.listeners) {
      try {
        l(s);
      } catch (err) {
        this.d.logger.warn('cluster setting listener failed', { error: String(err) });
      }
    }
  }
}

/** A setting as another host told it, or null when the payload is not one. */
export function parseSetting(payload: string | undefined): { host: string; kind: SettingKind; identity: string; name: string; value: string; version: number; at: number } | null {
  try {
    const o = JSON.parse(payload ?? '') as { h?: unknown; k?: unknown; p?: unknown; n?: unknown; v?: unknown; ver?: unknown; at?: unknown };
    if (typeof o.h !== 'string' || (o.k !== 'worker' && o.k !== 'cron') || typeof o.p !== 'string' || typeof o.n !== 'string' || typeof o.v !== 'string') return null;
    if (typeof o.ver !== 'number' || typeof o.at !== 'number') return null;
    return { host: o.h, kind: o.k, identity: o.p, name: o.n, value: o.v, version: o.ver, at: o.at };
  } catch {
    return null;
  }
}
