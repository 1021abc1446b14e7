/** The append-only event log table. */
import type { EventRecord, JsonValue } from '@oj/protocol';
import type BetterSqlite3 from 'better-sqlite3';
import type { Selectable } from 'kysely';
import type { OpenedDatabase } from './database.js';
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

export class EventStore {
  constructor(
    private readonly store: OpenedDatabase,
    private readonly now: () => number,
  ) {}

  private insert: BetterSqlite3.Statement | null = null;

  /** Appends one event; call inside the transaction of the change it records. */
  append(e: NewEvent): EventRecord {
    const time = this.now();
    // A known secret value (log/redact.ts) is never stored, whoever emits it:
    // not in the name, the subject or the data.
    const name = scrubText(e.name);
    const subject = e.subject == null ? null : scrubText(e.subject);
    const project = e.project ?? null;
    const text = JSON.stringify(redactValue(e.data ?? {}));
    // Prepared once: it runs with every state change.
    this.insert ??= this.store.runner.sqlite.prepare('INSERT INTO events (name, subject, project, data, time) VALUES (?, ?, ?, ?, ?)');
    const id = Number(this.insert.run(name, subject, project, text, time).lastInsertRowid);
    // The record as stored (the data as it reads back from its JSON text).
    return { id, name, subject, project, data: JSON.parse(text) as Record<string, JsonValue>, time: new Date(time).toISOString() };
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
