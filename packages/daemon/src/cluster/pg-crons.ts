/**
 * Cron slots in PostgreSQL (cluster mode): each slot (a cron's identity and
 * the slot's time) is claimed once cluster-wide, by the daemon whose timer
 * fires first; the step that runs it is written locally right after the
 * claim commits. A crash between the two leaves a claim with no step: the
 * same daemon claiming the slot again (its next start) gets it again, so
 * the slot is not lost. Claims older than a week are forgotten (the
 * leader's retention sweep).
 */
import type { Kysely } from 'kysely';
import { faultPoint } from '../fault-point.js';
import { sql } from '../storage/kysely.js';
import type { SharedCrons } from '../storage/shared-store.js';
import type { Storage } from '../storage/storage.js';
import type { PgDatabase } from './pg-schema.js';
import type { ProjectNames } from './project-names.js';

/** Slot claims older than this are forgotten (a slot is claimed when it is due, never days later). */
export const PG_SLOT_MEMORY_MS = 7 * 24 * 3600_000;

export interface PgCronsDeps {
  /** A host lease: how long after a slot's time a live daemon may still be claiming it. */
  leaseMs: number;
  db: Kysely<PgDatabase>;
  storage: Storage;
  hostId: string;
  names: ProjectNames;
  guard<T>(fn: () => Promise<T>): Promise<T>;
  /** A shared transaction committed (group commit: pg-durability.ts). */
  committed(): void;
}

export class PgCrons implements SharedCrons {
  readonly claimGraceMs: number;

  constructor(private readonly d: PgCronsDeps) {
    this.claimGraceMs = d.leaseMs;
  }

  async claimSlot<T>(project: string, cron: string, slotAt: number, now: number, step: (mine: boolean) => T): Promise<T> {
    const identity = this.d.names.identity(project);
    const mine = await this.d.guard(() =>
      // The slot runs as soon as this commits: the claim waits for the disk (another daemon must never claim it again).
      this.d.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL synchronous_commit = on`.execute(trx);
        const r = await trx
          .insertInto('cron_slots')
          .values({ project: identity, cron, slot_at: slotAt, host: this.d.hostId, claimed_at: now })
          // Another daemon's claim stands; this daemon's own is its own again.
          .onConflict((oc) =>
            oc
              .columns(['project', 'cron', 'slot_at'])
              .doUpdateSet((eb) => ({ claimed_at: eb.ref('cron_slots.claimed_at') }))
              .where('cron_slots.host', '=', this.d.hostId),
          )
          .returning('slot_at')
          .executeTakeFirst();
        return r !== undefined;
      }),
    );
    faultPoint('cron:slot-claimed');
    return this.d.storage.write(() => step(mine));
  }

  async claimedElsewhere(project: string, cron: string, slots: readonly number[]): Promise<number[]> {
    if (!slots.length) return [];
    const identity = this.d.names.identity(project);
    const rows = await this.d.guard(() =>
      this.d.db
        .selectFrom('cron_slots')
        .select('slot_at')
        .where('project', '=', identity)
        .where('cron', '=', cron)
        .where('slot_at', 'in', [...slots])
        .where('host', '<>', this.d.hostId)
        .execute(),
    );
    return rows.map((r) => r.slot_at);
  }

  /** Forgets claims older than PG_SLOT_MEMORY_MS (the leader's retention sweep); returns how many. */
  async prune(now: number): Promise<number> {
    const r = await this.d.guard(() => this.d.db.deleteFrom('cron_slots').where('slot_at', '<', now - PG_SLOT_MEMORY_MS).executeTakeFirst());
    return Number(r.numDeletedRows);
  }
}
