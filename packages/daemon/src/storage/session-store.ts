/** Agent session rows: which session belongs to which pipeline phase, and how it ended. */
import { isPromptKind, type AgentPrompt, type SessionMethods } from '@oj/protocol';
import type { Selectable } from 'kysely';
import type { OpenedDatabase } from './database.js';
import type { SessionsTable } from './schema-sessions.js';

export type SessionRow = Selectable<SessionsTable>;

/** A new row: the state a session reports comes later, from its hooks. */
export type NewSessionRow = Omit<SessionRow, 'state' | 'state_since' | 'state_message' | 'state_prompt' | 'state_reason' | 'state_until' | 'transcript_path' | 'blocked'>;

/** What a session last reported: its state, since when, with what message (for failed: why, and until when it waits). */
export interface SessionStateUpdate {
  state: string;
  since: number;
  message: string | null;
  prompt?: AgentPrompt | null;
  reason?: string | null;
  until?: number | null;
}

export interface BlockedToolUse {
  at: string;
  tool: string;
  path: string;
  reason: string;
}

const MAX_BLOCKED = 20;

export class SessionStore {
  constructor(private readonly store: OpenedDatabase) {}

  insert(row: NewSessionRow): void {
    this.store.runner.run(this.store.db.insertInto('sessions').values({ ...row, blocked: '[]' }));
  }

  setState(id: string, update: SessionStateUpdate): void {
    this.store.runner.run(
      this.store.db
        .updateTable('sessions')
        .set({
          state: update.state,
          state_since: update.since,
          state_message: update.message,
          state_prompt: update.prompt ? JSON.stringify(update.prompt) : null,
          state_reason: update.reason ?? null,
          state_until: update.until ?? null,
        })
        .where('id', '=', id),
    );
  }

  setTranscript(id: string, path: string): void {
    this.store.runner.run(this.store.db.updateTable('sessions').set({ transcript_path: path }).where('id', '=', id));
  }

  addBlocked(id: string, entry: BlockedToolUse): void {
    const row = this.get(id);
    if (!row) return;
    const list = [...blockedOf(row), entry].slice(-MAX_BLOCKED);
    this.store.runner.run(this.store.db.updateTable('sessions').set({ blocked: JSON.stringify(list) }).where('id', '=', id));
  }

  get(id: string): SessionRow | undefined {
    return this.store.runner.first(this.store.db.selectFrom('sessions').selectAll().where('id', '=', id));
  }

  /** The running session of a pipeline's phase, if any (a restarted daemon adopts it). */
  runningFor(pipelineId: string, phase: string): SessionRow | undefined {
    return this.store.runner.first(
      this.store.db
        .selectFrom('sessions')
        .selectAll()
        .where('pipeline_id', '=', pipelineId)
        .where('phase', '=', phase)
        .where('status', '=', 'running')
        .orderBy('started_at', 'desc'),
    );
  }

  latestFor(pipelineId: string): SessionRow | undefined {
    return this.store.runner.first(
      this.store.db.selectFrom('sessions').selectAll().where('pipeline_id', '=', pipelineId).orderBy('started_at', 'desc'),
    );
  }

  ended(id: string, status: Exclude<SessionMethods.SessionStatus, 'running'>, exitCode: number | null, now: number): void {
    this.store.runner.run(
      this.store.db
        .updateTable('sessions')
        .set({ status, exit_code: exitCode, ended_at: now })
        .where('id', '=', id)
        .where('status', '=', 'running'),
    );
  }

  list(filter: { project?: string | undefined; running?: boolean } = {}): SessionRow[] {
    let q = this.store.db.selectFrom('sessions').selectAll();
    if (filter.project) q = q.where('project', '=', filter.project);
    if (filter.running) q = q.where('status', '=', 'running');
    return this.store.runner.all(q.orderBy('started_at', 'desc').limit(500));
  }

  idsWithPrefix(prefix: string): string[] {
    return this.store.runner
      .all(this.store.db.selectFrom('sessions').select('id').where('id', '>=', prefix).where('id', '<', prefix + '\uffff').limit(20))
      .map((r) => r.id);
  }

  /** Running sessions whose id starts with `prefix` (they win a prefix over ended ones). */
  runningIdsWithPrefix(prefix: string): string[] {
    return this.store.runner
      .all(
        this.store.db
          .selectFrom('sessions')
          .select('id')
          .where('id', '>=', prefix)
          .where('id', '<', prefix + '\uffff')
          .where('status', '=', 'running')
          .limit(20),
      )
      .map((r) => r.id);
  }

  allIds(): string[] {
    return this.store.runner.all(this.store.db.selectFrom('sessions').select('id')).map((r) => r.id);
  }

  exists(id: string): boolean {
    return this.get(id) !== undefined;
  }
}

/** The tool uses a session's safety hook blocked (oldest first). */
export function blockedOf(row: SessionRow): BlockedToolUse[] {
  try {
    const v = JSON.parse(row.blocked) as unknown;
    return Array.isArray(v) ? (v as BlockedToolUse[]) : [];
  } catch {
    return [];
  }
}

/** The prompt a session in needs_permission waits at (its kind read from the message for rows without one). */
export function promptOf(row: Pick<SessionRow, 'state' | 'state_message' | 'state_prompt'>): AgentPrompt | null {
  if (row.state !== 'needs_permission') return null;
  try {
    const v = row.state_prompt ? (JSON.parse(row.state_prompt) as Partial<AgentPrompt>) : null;
    if (v && isPromptKind(v.kind) && typeof v.text === 'string') {
      return { kind: v.kind, text: v.text, choices: Array.isArray(v.choices) ? v.choices.filter((c): c is string => typeof c === 'string') : [] };
    }
  } catch {
    // an unreadable prompt: read from the message below
  }
  const message = row.state_message ?? '';
  const m = /^(plan|question): ([\s\S]*)$/.exec(message);
  return m ? { kind: m[1] as 'plan' | 'question', text: m[2]!, choices: [] } : { kind: 'permission', text: message, choices: [] };
}
