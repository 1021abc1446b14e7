/** Table types for kysely. One interface per table; columns as SQLite stores them. */
import type { Generated } from 'kysely';

export interface EventsTable {
  id: Generated<number>;
  name: string;
  subject: string | null;
  project: string | null;
  /** JSON object text. */
  data: string;
  /** Unix epoch milliseconds. */
  time: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  events: EventsTable;
  meta: MetaTable;
}
