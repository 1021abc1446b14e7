/** Records that travel over the wire, shared by daemon and client. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One entry of the append-only event log. */
export interface EventRecord {
  /** Monotonic, assigned by the daemon; never reused. */
  id: number;
  /** e.g. "pipeline:complete", "bug:created". */
  name: string;
  /** The thing the event is about (`oj emit --id`), if any. */
  subject: string | null;
  /** Project root the event belongs to, or null for daemon-wide events. */
  project: string | null;
  data: Record<string, JsonValue>;
  /** ISO 8601 time the daemon recorded it. */
  time: string;
}

/** An event as the cluster shares it (cluster mode, `oj events --cluster`): `id` is its id in its host's own log. */
export interface ClusterEventRecord extends EventRecord {
  /** Its place in the cluster's shared log (the order events reached the database). */
  seq: number;
  /** The host (`OJ_HOST_ID`) that recorded it. */
  host: string;
}

/** Every status a pipeline can have (`oj pipeline list --status` takes these). */
export const PIPELINE_STATUSES = ['pending', 'running', 'waiting', 'escalated', 'done', 'failed', 'cancelled'] as const;
