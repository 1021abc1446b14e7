/**
 * Escalations: every `escalate` event, whoever emits it (a pipeline's on_fail
 * chain, an agent's on_stuck, a guard, a strategy, a monitor), gets a record
 * in the same transaction, a desktop notification after it commits, and a set
 * of numbered options fitting its cause. Resolving one acts on its pipeline;
 * a pipeline that moves on by other means resolves its open escalations.
 *
 * An agent's prompt is a decision (prompt-options.ts): allow / deny, approve /
 * reject a plan, one of a question's choices. A new escalation of a stronger
 * prompt supersedes the open one of its session; a weaker one (a generic
 * permission, an agent's stall) never supersedes an open plan or question.
 */
import { ErrorCode, OjError, type EscalationInfo, type EscalationMethods, type EscalationOption, type EventRecord } from '@oj/protocol';
import type { Logger } from 'winston';
import { notifyDesktop } from '../adapters/desktop-notify.js';
import type { PipelineEvent } from '../core/pipeline-machine.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { EventLog } from '../events/event-log.js';
import { EscalationStore, type EscalationRow } from '../storage/escalation-store.js';
import type { Storage } from '../storage/storage.js';
import { answerOf, pickOption, promptOptions, promptFromData, promptOfRow, supersedes } from './prompt-options.js';

export interface EscalationDeps {
  storage: Storage;
  events: EventLog;
  engine: PipelineEngine;
  logger: Logger;
  now(): number;
  /** Types a message into a running session (for the `message` option). */
  sendToSession(session: string, text: string): Promise<void>;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

export class EscalationService {
  readonly store: EscalationStore;

  constructor(private readonly d: EscalationDeps) {
    this.store = new EscalationStore(d.storage.database);
    d.events.onAppend('escalate', (e) => this.record(e));
    // A pipeline that moves on (a step of its machine) supersedes its open escalations; a new label does not.
    d.engine.subscribe((id, update, cause) => {
      if (update.kind !== 'status' || cause !== 'step') return;
      const p = update.pipeline;
      if (p.status === 'escalated' || (p.status === 'waiting' && p.waitingFor?.kind === 'human')) return;
      const open = this.store.openFor(id);
      if (open.length === 0) return;
      d.storage.write(() => {
        for (const o of open) this.store.resolve(o.id, `superseded: the pipeline is now ${p.status}${p.phase ? ` in ${p.phase}` : ''}`, null, d.now());
      });
    });
  }

  /** In the transaction appending an `escalate` event: a new record, or a bump of the same open one. */
  private record(e: EventRecord): void {
    // The stored key: the subject of events about a pipeline; else a `pipeline` field (its id in the event's project, or its key).
    const named = str(e.data.pipeline);
    const pipeline =
      (e.subject && this.d.storage.pipelines.exists(e.subject) ? e.subject : null) ??
      (named ? (e.project ? this.d.storage.pipelines.inProject(e.project, named)?.state.id : undefined) ?? (this.d.storage.pipelines.exists(named) ? named : null) : null);
    const session = str(e.data.session);
    const phase = str(e.data.phase);
    const reason = str(e.data.reason) ?? str(e.data.error) ?? 'needs a human';
    const source = str(e.data.source) ?? (session ? 'agent' : phase ? 'pipeline' : 'event');
    const now = this.d.now();
    const prompt = promptFromData(e.data.prompt);
    const same = pipeline ? this.store.openFor(pipeline).find((o) => o.phase === phase && o.session_id === session) : undefined;
    if (same && supersedes(prompt, promptOfRow(same))) {
      this.store.resolve(same.id, `superseded by the agent's ${prompt?.kind ?? source} prompt`, null, now);
    }
    if (same && !supersedes(prompt, promptOfRow(same))) {
      this.store.bump(same.id, now);
    } else {
      this.store.insert({
        project: e.project ?? '',
        pipeline_id: pipeline,
        session_id: session,
        phase,
        source,
        reason,
        status: 'open',
        event_id: e.id,
        created_at: now,
        bumped_at: null,
        bumps: 0,
        resolved_at: null,
        resolution: null,
        note: null,
        prompt: prompt ? JSON.stringify(prompt) : null,
      });
    }
    this.d.storage.afterCommit(() => this.notify(pipeline ?? e.subject ?? 'oj', reason));
  }

  private notify(what: string, reason: string): void {
    notifyDesktop(`oj: ${what} needs you`, reason).then(
      (r) => this.d.logger.info('escalation notification', { what, reason, notification: r }),
      (err: unknown) => this.d.logger.error('escalation notification failed', { what, reason, error: String(err) }),
    );
  }

  options(row: EscalationRow): EscalationOption[] {
    const list: Omit<EscalationOption, 'number'>[] = [];
    // An agent's prompt (permission, plan, question) is a decision: its answers come first.
    if (row.session_id && row.status === 'open') list.push(...promptOptions(row.source, promptOfRow(row)));
    if (row.pipeline_id && row.status === 'open') {
      list.push({ choice: 'retry', label: row.session_id ? 'retry: start the agent afresh' : `retry the phase${row.phase ? ` "${row.phase}"` : ''}` });
      list.push({ choice: 'done', label: `mark the phase${row.phase ? ` "${row.phase}"` : ''} done and go on` });
      list.push({ choice: 'goto', label: 'go to another phase (--phase NAME)' });
      list.push({ choice: 'cancel', label: 'cancel the pipeline' });
      if (row.session_id) list.push({ choice: 'message', label: 'send the agent a message (-m TEXT)' });
    }
    if (row.status === 'open') list.push({ choice: 'dismiss', label: 'dismiss (do nothing)' });
    return list.map((o, i) => ({ number: i + 1, ...o }));
  }

  info(row: EscalationRow): EscalationInfo {
    const iso = (n: number | null) => (n === null ? null : new Date(n).toISOString());
    return {
      id: row.id,
      project: row.project,
      // The pipeline's id in its project (escalations are listed per project).
      pipeline: row.pipeline_id === null ? null : this.d.storage.pipelines.handleOf(row.pipeline_id),
      session: row.session_id,
      phase: row.phase,
      source: row.source,
      reason: row.reason,
      prompt: promptOfRow(row),
      status: row.status,
      options: this.options(row),
      createdAt: new Date(row.created_at).toISOString(),
      bumpedAt: iso(row.bumped_at),
      bumps: row.bumps,
      resolvedAt: iso(row.resolved_at),
      resolution: row.resolution,
      note: row.note,
    };
  }

  /** Escalations, by project and status. */
  list(f: { project?: string | undefined; status?: EscalationMethods.EscalationStatus | undefined } = {}): EscalationRow[] {
    return this.store.list(f);
  }

  get(id: number): EscalationRow {
    const row = this.store.get(id);
    if (!row) throw OjError.notFound('escalation', String(id));
    return row;
  }

  bump(id: number): EscalationRow {
    const row = this.get(id);
    if (row.status !== 'open') throw OjError.illegalState(`escalation ${id} is resolved`);
    this.d.storage.write(() => {
      this.store.bump(id, this.d.now());
      this.d.storage.afterCommit(() => this.notify(row.pipeline_id ?? `escalation ${id}`, row.reason));
    });
    return this.get(id);
  }

  async resolve(id: number, choice: number | string | undefined, opts: { message?: string; phase?: string; note?: string }): Promise<{ row: EscalationRow; action: string }> {
    const row = this.get(id);
    if (row.status !== 'open') throw OjError.illegalState(`escalation ${id} is already resolved (${row.resolution ?? ''})`);
    const options = this.options(row);
    const found = choice === undefined ? options.filter((o) => o.choice === 'dismiss') : pickOption(options, choice);
    const offered = options.map((o) => `${o.number} ${o.choice}`).join(', ');
    if (found.length > 1) {
      throw new OjError(ErrorCode.Ambiguous, `escalation ${id}: "${String(choice)}" names ${found.map((o) => o.number).join(' and ')}; give the number (offered: ${offered})`, {
        kind: 'ambiguous',
        offered: options.map((o) => o.choice),
      });
    }
    const picked = found[0];
    if (!picked) {
      throw new OjError(ErrorCode.BadArguments, `escalation ${id} does not offer "${String(choice)}"; offered: ${offered}`, {
        kind: 'bad_arguments',
        offered: options.map((o) => o.choice),
        hint: `oj escalation resolve ${id} <number or name>`,
      });
    }
    const answer = answerOf(row.source, promptOfRow(row), picked);
    const pipeline = row.pipeline_id;
    // oj's own choices; a prompt's answer (whatever its label) asks nothing of the pipeline.
    const own = answer ? null : picked.choice;
    const action = own === 'goto' ? `goto ${opts.phase ?? ''}` : answer?.prompt === 'question' ? `answer: ${picked.choice}` : picked.choice;
    if (own === 'goto' && !opts.phase) throw OjError.illegalState('goto needs --phase NAME');
    if (own === 'message') {
      if (!opts.message) throw OjError.illegalState('message needs -m TEXT');
      await this.d.sendToSession(row.session_id!, opts.message);
    }
    // One transaction: the resolution, what it asks of the pipeline and its event, or none of
    // them (then the escalation stays open). Resolved before the pipeline moves on, so that its
    // moving on does not count as "superseded".
    this.d.storage.write(() => {
      const current = this.get(id); // resolved meanwhile (while a message was being sent)?
      if (current.status !== 'open') throw OjError.illegalState(`escalation ${id} is already resolved (${current.resolution ?? ''})`);
      this.store.resolve(id, action, opts.note ?? null, this.d.now());
      const event = own ? this.pipelineEvent(own, id, opts.phase) : null;
      if (event) this.d.engine.request(pipeline!, event);
      this.d.events.emit({
        name: 'escalation:resolved',
        subject: pipeline ?? String(id),
        project: row.project,
        data: { escalation: id, action, ...(answer ? { answer: { ...answer } } : {}) },
      });
    });
    return { row: this.get(id), action };
  }

  /** What resolving with `choice` asks of the escalated pipeline (null: nothing). */
  private pipelineEvent(choice: string, id: number, phase: string | undefined): PipelineEvent | null {
    switch (choice) {
      case 'retry':
        return { type: 'resume' };
      case 'done':
        return { type: 'skip' };
      case 'goto':
        return { type: 'transition', phase: phase ?? '' };
      case 'cancel':
        return { type: 'cancel', reason: `cancelled while resolving escalation ${id}` };
      default:
        // message: sent before; a prompt's answer (allow, deny, approve, reject, a question's
        // choice): the supervising agent phase types the agent's keys for it (it follows
        // escalation:resolved); dismiss: nothing.
        return null;
    }
  }
}
