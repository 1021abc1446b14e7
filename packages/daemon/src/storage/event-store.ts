/** The append-only event log table. */
import type { EventRecord, JsonValue } from '@oj/protocol';
import type { Insertable, Selectable } from 'kysely';
import type { OpenedDatabase } from './database.js';
import type { PreparedQuery } from './prepared-query.js';
import type { EventsTable } from './schema.js';
import { sql } from './kysely.js';
import { redactValue, scrubText } from '../log/redact.js';

export interface NewEvent {
  name: string;
  subject?: string | null;
  project?: string | null;
  data?: Record<string, JsonValue>;
}

export interface EventFilter {
  since?: number;
  name?: string;
  project?: string;
  subject?: string;
  limit?: number;
}

type EventRow = Selectable<EventsTable>;

type NewEventRow = Insertable<EventsTable>;

export class EventStore {
  /** What every event runs: built and compiled once (prepared-query.ts). */
  private readonly insert: PreparedQuery<Required<Omit<NewEventRow, 'id'>>, unknown>;

  constructor(
    private readonly store: OpenedDatabase,
    private readonly now: () => number,
  ) {
    this.insert = store.runner.prepared((row: Required<Omit<NewEventRow, 'id'>>) => store.db.insertInto('events').values(row), {
      name: true,
      subject: true,
      project: true,
      data: true,
      time: true,
    });
  }

  /** Appends one event; call inside the transaction of the change it records. */
  append(e: NewEvent): EventRecord {
    const time = this.now();
    // A known secret value (log/redact.ts) is never stored, whoever emits it:
    // not in the name, the subject or the data.
    const data = redactValue(e.data ?? {});
    const row = {
      name: scrubText(e.name),
      subject: e.subject == null ? null : scrubText(e.subject),
      project: e.project ?? null,
      data: JSON.stringify(data),
      time,
    };
    const { lastInsertRowid } = this.insert.run(row);
    // The data as stored, without parsing back what was just written (JSON values: the same thing).
    return { id: lastInsertRowid, name: row.name, subject: row.subject, project: row.project, data, time: new Date(time).toISOString() };
  }

  /** Events with id > since, oldest first. Without `since`, the newest `limit`. */
  list(filter: EventFilter = {}): EventRecord[] {
    const { runner, db } = this.store;
    const limit = filter.limit ?? 100;
    let q = db.selectFrom('events').selectAll();
    // Patterns are restricted to [A-Za-z0-9_.:/*-], so GLOB (case-sensitive, `*` = any run) matches them exactly.
    if (filter.name) q = q.where(sql<boolean>`name glob ${filter.name}`);
    if (filter.project) q = q.where('project', '=', filter.project);
    if (filter.subject) q = q.where('subject', '=', filter.subject);
    if (filter.since !== undefined) {
      const rows = runner.all(q.where('id', '>', filter.since).orderBy('id', 'asc').limit(limit)) as EventRow[];
      return rows.map(toRecord);
    }
    const rows = runner.all(q.orderBy('id', 'desc').limit(limit)) as EventRow[];
    return rows.reverse().map(toRecord);
  }

  lastId(): number {
    const { runner, db } = this.store;
    const row = runner.first(db.selectFrom('events').select((eb) => eb.fn.max('id').as('max')));
    return Number(row?.max ?? 0);
  }

  count(): number {
    const { runner, db } = this.store;
    const row = runner.first(db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')));
    return Number(row?.n ?? 0);
  }
}

function toRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    name: row.name,
    subject: row.subject,
    project: row.project,
    data: JSON.parse(row.data) as Record<string, JsonValue>,
    time: new Date(row.time).toISOString(),
  };
}
