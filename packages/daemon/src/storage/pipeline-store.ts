/** Pipelines, their phase runs and checkpoints. */
import type { CheckpointInfo, JsonValue, PhaseRunInfo, PhaseRunStatus, PipelineInfo } from '@oj/protocol';
import type { SelectQueryBuilder } from 'kysely';
import type { PipelineDefinition } from '../core/pipeline-definition.js';
import { ACTIVE_STATUSES, type PipelineState, type PipelineStatus, type WaitReason } from '../core/pipeline-state.js';
import { redactValue } from '../log/redact.js';
import { sql } from './kysely.js';
import type { OpenedDatabase } from './database.js';
import type { Database } from './schema.js';
import { PipelineStatements, type PipelineSaveRow, type PipelineStateRow, type PipelineStepRow } from './pipeline-statements.js';

export interface PipelineRecord {
  state: PipelineState;
  project: string;
  runbook: string;
  name: string;
  definition: PipelineDefinition;
  vars: Record<string, JsonValue>;
  workspace: string | null;
  label: string | null;
  archived: boolean;
  owner: Record<string, JsonValue> | null;
  /** The agent session of the current phase, while one runs. */
  session?: string | null;
}

/** A pipeline's names: its key (across projects), its id in its project, and the project. */
export interface PipelineRef {
  key: string;
  handle: string;
  project: string;
}

export interface PipelineFilter {
  project?: string | undefined;
  statuses?: readonly PipelineStatus[] | undefined;
  phases?: string[] | undefined;
  archived?: boolean | undefined;
  /** Only pipelines whose current phase has an agent session (true) or has none (false). */
  hasSession?: boolean | undefined;
  /** At most this many, newest first; absent or 0: all. */
  limit?: number | undefined;
}

/** What listInfo reads: every column but the definition and the engine's bookkeeping. */
const INFO_COLUMNS = [
  'id',
  'handle',
  'project',
  'runbook',
  'name',
  'status',
  'phase',
  'waiting_for',
  'error',
  'failure_count',
  'workspace',
  'label',
  'archived',
  'vars',
  'owner',
  'created_at',
  'updated_at',
  'phase_started_at',
  'finished_at',
  'session',
] as const;

/** Parsed definitions of recently read pipelines (see get()). */
const DEFINITION_CACHE_SIZE = 256;

export class PipelineStore {
  /** Parsed definitions by key, with the creation time of the row they were read from (see get()). */
  private readonly definitions = new Map<string, { createdAt: number; definition: PipelineDefinition }>();
  private readonly q: PipelineStatements;

  constructor(private readonly store: OpenedDatabase) {
    this.q = new PipelineStatements(store);
  }

  insert(r: PipelineRecord): void {
    this.store.runner.run(this.store.db.insertInto('pipelines').values(stateRow(r)));
    this.q.insertDefinition.run({ pipeline_id: r.state.id, definition: JSON.stringify(r.definition) });
  }

  /**
   * Stores a record whose state only has changed since `before` (a step of
   * its machine, which never changes a pipeline's key, id or creation time):
   * its state's columns, and its status only if it changed (see
   * PipelineStatements.saveStep).
   */
  saveState(r: PipelineRecord, before: PipelineState): void {
    const s = r.state;
    const row = stepRow(s);
    if (s.status === before.status) this.q.saveStep.run(row);
    else this.q.saveStatus.run({ ...row, status: s.status });
  }

  /** Stores a changed record. The definition is a snapshot taken at insert and never rewritten. */
  save(r: PipelineRecord): void {
    this.q.save.run(stateRow(r));
  }

  /**
   * One pipeline. The engine reads the running pipeline at every event, so
   * its definition (a snapshot taken at insert, never rewritten, and
   * possibly large: 200 phases are ~20 KB of JSON; kept in a table of its
   * own, see migrations/v19) is read and parsed once, and reused while the
   * row is the one it came from. A key is never handed out twice (the key
   * counters outlive deleted pipelines, pipeline-id-store.ts), and the row's
   * creation time tells a row deleted and inserted again anyway (a test, a
   * restore).
   */
  get(id: string): PipelineRecord | undefined {
    const row = this.q.stateOf.first({ id });
    return row && this.withDefinition(row);
  }

  private withDefinition(row: PipelineStateRow): PipelineRecord | undefined {
    const id = row.id;
    const cached = this.definitions.get(id);
    if (cached && cached.createdAt === row.created_at) return fromRow(row, cached.definition);
    const text = this.q.definitionOf.first({ id })?.definition;
    if (text === undefined) return undefined;
    const definition = JSON.parse(text) as PipelineDefinition;
    if (this.definitions.size >= DEFINITION_CACHE_SIZE) this.definitions.delete(this.definitions.keys().next().value as string);
    this.definitions.set(id, { createdAt: row.created_at, definition });
    return fromRow(row, definition);
  }

  /**
   * Pipelines whose id in their project (`column` 'handle') or whose key
   * (`column` 'id') is `value`, or starts with it (`prefix`), in `project`
   * when given: at most `limit`, as (key, handle, project).
   */
  lookup(
    column: 'handle' | 'id',
    value: string,
    o: { project?: string | undefined; prefix?: boolean; limit?: number } = {},
  ): PipelineRef[] {
    let q = this.store.db.selectFrom('pipelines').select(['id', 'handle', 'project']);
    q = o.prefix ? q.where(column, '>=', value).where(column, '<', value + '\uffff') : q.where(column, '=', value);
    if (o.project) q = q.where('project', '=', o.project);
    return this.store.runner
      .all(q.orderBy(column).limit(o.limit ?? 20))
      .map((r) => ({ key: r.id, handle: r.handle, project: r.project }));
  }

  /** Ids of a project's pipelines (their handles), or every key when no project is given (for did-you-mean). */
  allIds(project?: string): string[] {
    if (project) {
      return this.store.runner.all(this.store.db.selectFrom('pipelines').select('handle').where('project', '=', project)).map((r) => r.handle);
    }
    return this.store.runner.all(this.store.db.selectFrom('pipelines').select('id')).map((r) => r.id);
  }

  /** A pipeline of `project` by its id there or by its key; undefined when it has none such. */
  inProject(project: string, idOrKey: string): PipelineRecord | undefined {
    const [ref] = this.lookup('handle', idOrKey, { project, limit: 1 });
    if (ref) return this.get(ref.key);
    const r = this.get(idOrKey);
    return r && r.project === project ? r : undefined;
  }

  /** The id in its project of the pipeline stored under `key` (the key itself when there is none). */
  handleOf(key: string): string {
    const row = this.store.runner.first(this.store.db.selectFrom('pipelines').select('handle').where('id', '=', key));
    return row?.handle ?? key;
  }

  exists(id: string): boolean {
    return this.store.runner.first(this.store.db.selectFrom('pipelines').select('id').where('id', '=', id)) !== undefined;
  }

  list(f: PipelineFilter = {}): PipelineRecord[] {
    let q = matching(this.store.db.selectFrom('pipelines').selectAll(), f).orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (f.limit) q = q.limit(f.limit);
    return this.store.runner.all(q).flatMap((row) => this.withDefinition(row) ?? []);
  }

  /**
   * The same listing as PipelineInfo, for `pipelines.list` and status: only
   * the columns an info shows are read, and the phase names come from
   * SQLite's JSON functions, so the (possibly large) definitions are never
   * copied into JavaScript or parsed.
   */
  listInfo(f: PipelineFilter = {}): PipelineInfo[] {
    let q = matching(
      this.store.db
        .selectFrom('pipelines')
        .select(INFO_COLUMNS)
        .select(sql<string>`(select json_group_array(json_extract(value, '$.name')) from pipeline_definitions d, json_each(d.definition, '$.phases') where d.pipeline_id = pipelines.id)`.as('phase_names')),
      f,
    ).orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (f.limit) q = q.limit(f.limit);
    return this.store.runner.all(q).map((row) => shown({
      id: row.handle,
      key: row.id,
      project: row.project,
      runbook: row.runbook,
      name: row.handle,
      kind: row.name,
      status: row.status,
      phase: row.phase,
      waitingFor: row.waiting_for ? (JSON.parse(row.waiting_for) as WaitReason) : null,
      error: row.error,
      failureCount: row.failure_count,
      workspace: row.workspace,
      label: row.label,
      archived: row.archived === 1,
      vars: JSON.parse(row.vars) as Record<string, JsonValue>,
      owner: row.owner ? (JSON.parse(row.owner) as Record<string, JsonValue>) : null,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      phaseStartedAt: row.phase_started_at === null ? null : iso(row.phase_started_at),
      finishedAt: row.finished_at === null ? null : iso(row.finished_at),
      phases: JSON.parse(row.phase_names) as string[],
      session: row.session,
    }));
  }

  /** How many pipelines match the filter; its limit is ignored (the total a page of listInfo is out of). */
  count(f: PipelineFilter = {}): number {
    const q = matching(this.store.db.selectFrom('pipelines').select((eb) => eb.fn.countAll<number>().as('n')), f);
    return Number(this.store.runner.first(q)?.n ?? 0);
  }

  active(): PipelineRecord[] {
    return this.list({ statuses: ACTIVE_STATUSES });
  }

  countByStatus(project?: string): Record<string, number> {
    let q = this.store.db.selectFrom('pipelines').select(['status', (eb) => eb.fn.countAll<number>().as('n')]);
    if (project) q = q.where('project', '=', project);
    const out: Record<string, number> = {};
    for (const r of this.store.runner.all(q.groupBy('status'))) out[r.status] = Number(r.n);
    return out;
  }

  /** Records (or clears) the agent session of a pipeline's current phase. */
  setSession(id: string, session: string | null): void {
    this.store.runner.run(this.store.db.updateTable('pipelines').set({ session }).where('id', '=', id));
  }

  delete(id: string): void {
    this.definitions.delete(id);
    this.store.runner.run(this.store.db.deleteFrom('pipelines').where('id', '=', id));
  }

  // phase runs

  startRun(pipelineId: string, run: number, phase: string, logPath: string | null, now: number): void {
    this.q.startRun.run({ pipeline_id: pipelineId, run, phase, log_path: logPath, started_at: now });
  }

  setRunPgid(pipelineId: string, run: number, pgid: number, start: number | null): void {
    this.q.setRunPgid.run({ pipeline_id: pipelineId, run, pgid, pgid_start: start });
  }

  /**
   * Ends a run. `keepProcessGroup`: its processes may still be there (a run
   * stopped by a step, whose processes are ended after the commit): its
   * process group stays recorded until they are gone (processGroupGone), so
   * a daemon killed in between ends them at its next start.
   */
  finishRun(
    pipelineId: string,
    run: number,
    status: PhaseRunStatus,
    exitCode: number | null,
    error: string | null,
    now: number,
    keepProcessGroup = false,
  ): void {
    if (!keepProcessGroup) {
      this.q.finishRun.run({ pipeline_id: pipelineId, run, status, exit_code: exitCode, error, finished_at: now });
      return;
    }
    // A stopped run (rare): its process group stays recorded.
    this.store.runner.run(
      this.store.db
        .updateTable('phase_runs')
        .set({ status, exit_code: exitCode, error, finished_at: now })
        .where('pipeline_id', '=', pipelineId)
        .where('run', '=', run)
        .where('status', '=', 'running'),
    );
  }

  runs(pipelineId: string): PhaseRunInfo[] {
    return this.store.runner
      .all(this.store.db.selectFrom('phase_runs').selectAll().where('pipeline_id', '=', pipelineId).orderBy('run'))
      .map((r) => ({
        run: r.run,
        phase: r.phase,
        status: r.status,
        exitCode: r.exit_code,
        error: r.error,
        startedAt: iso(r.started_at),
        finishedAt: r.finished_at === null ? null : iso(r.finished_at),
        logPath: r.log_path,
      }));
  }

  /**
   * Phase runs still marked running (the daemon that ran them is gone), with
   * their process groups (and the leaders' start times), each with the agent
   * session it recorded for that very run, if one is still marked running:
   * such a run is adopted, not re-run.
   */
  /** A stopped run's processes are gone: its process group is no longer recorded. */
  processGroupGone(pipelineId: string, run: number): void {
    this.store.runner.run(
      this.store.db
        .updateTable('phase_runs')
        .set({ pgid: null, pgid_start: null })
        .where('pipeline_id', '=', pipelineId)
        .where('run', '=', run)
        .where('status', '!=', 'running')
        .where('pgid', 'is not', null),
    );
  }

  /** Runs stopped by a step whose processes were not seen to end (the daemon died first): their process groups. */
  stoppedRunsWithProcesses(): { pipelineId: string; run: number; pgid: number; pgidStart: number | null }[] {
    return this.store.runner
      .all(
        this.store.db
          .selectFrom('phase_runs')
          .select(['pipeline_id', 'run', 'pgid', 'pgid_start'])
          .where('status', '!=', 'running')
          .where('pgid', 'is not', null),
      )
      .map((r) => ({ pipelineId: r.pipeline_id, run: r.run, pgid: r.pgid!, pgidStart: r.pgid_start }));
  }

  orphanedRuns(): { pipelineId: string; run: number; pgid: number | null; pgidStart: number | null; session: string | null }[] {
    return this.store.runner
      .all(
        this.store.db
          .selectFrom('phase_runs')
          .leftJoin('sessions', (j) =>
            j
              .onRef('sessions.pipeline_id', '=', 'phase_runs.pipeline_id')
              .onRef('sessions.run', '=', 'phase_runs.run')
              .onRef('sessions.phase', '=', 'phase_runs.phase')
              .on('sessions.status', '=', 'running'),
          )
          .select(['phase_runs.pipeline_id', 'phase_runs.run', 'phase_runs.pgid', 'phase_runs.pgid_start', 'sessions.id as session'])
          .where('phase_runs.status', '=', 'running'),
      )
      .map((r) => ({ pipelineId: r.pipeline_id, run: r.run, pgid: r.pgid, pgidStart: r.pgid_start, session: r.session ?? null }));
  }

  addCheckpoint(pipelineId: string, phase: string | null, message: string, now: number): CheckpointInfo {
    this.store.runner.run(this.store.db.insertInto('checkpoints').values({ pipeline_id: pipelineId, phase, message, time: now }));
    return { phase, message, time: iso(now) };
  }

  checkpoints(pipelineId: string): CheckpointInfo[] {
    return this.store.runner
      .all(this.store.db.selectFrom('checkpoints').selectAll().where('pipeline_id', '=', pipelineId).orderBy('id'))
      .map((c) => ({ phase: c.phase, message: c.message, time: iso(c.time) }));
  }
}

/** The filter's conditions (all but the limit) on a query of the pipelines table. */
function matching<O>(q: SelectQueryBuilder<Database, 'pipelines', O>, f: PipelineFilter): SelectQueryBuilder<Database, 'pipelines', O> {
  if (f.project) q = q.where('project', '=', f.project);
  if (f.statuses?.length) q = q.where('status', 'in', f.statuses);
  if (f.phases?.length) q = q.where('phase', 'in', f.phases);
  if (f.archived !== undefined) q = q.where('archived', '=', f.archived ? 1 : 0);
  if (f.hasSession !== undefined) q = q.where('session', f.hasSession ? 'is not' : 'is', null);
  return q;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A pipeline's row (its definition goes to pipeline_definitions). */
function stateRow(r: PipelineRecord): PipelineSaveRow {
  const s = r.state;
  return {
    ...stepRow(s),
    handle: s.handle,
    project: r.project,
    runbook: r.runbook,
    name: r.name,
    status: s.status,
    vars: JSON.stringify(r.vars),
    workspace: r.workspace,
    label: r.label,
    archived: r.archived ? 1 : 0,
    owner: r.owner ? JSON.stringify(r.owner) : null,
    created_at: s.createdAt,
    session: r.session ?? null,
  };
}

/** The columns a step of the machine changes (all its state but the status). */
function stepRow(s: PipelineState): PipelineStepRow {
  return {
    id: s.id,
    phase: s.phase,
    run: s.run,
    visits: JSON.stringify(s.visits),
    recovery: JSON.stringify(s.recovery),
    waiting_for: s.waitingFor ? JSON.stringify(s.waitingFor) : null,
    error: s.error,
    failure_count: s.failureCount,
    updated_at: s.updatedAt,
    phase_started_at: s.phaseStartedAt,
    finished_at: s.finishedAt,
  };
}

function fromRow(row: PipelineStateRow, definition: PipelineDefinition): PipelineRecord {
  return {
    state: {
      id: row.id,
      handle: row.handle,
      status: row.status,
      phase: row.phase,
      run: row.run,
      visits: JSON.parse(row.visits) as Record<string, number>,
      recovery: JSON.parse(row.recovery) as PipelineState['recovery'],
      waitingFor: row.waiting_for ? (JSON.parse(row.waiting_for) as WaitReason) : null,
      error: row.error,
      failureCount: row.failure_count,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      phaseStartedAt: row.phase_started_at,
      finishedAt: row.finished_at,
    },
    project: row.project,
    runbook: row.runbook,
    name: row.name,
    definition,
    vars: JSON.parse(row.vars) as Record<string, JsonValue>,
    workspace: row.workspace,
    label: row.label,
    archived: row.archived === 1,
    owner: row.owner ? (JSON.parse(row.owner) as Record<string, JsonValue>) : null,
    session: row.session,
  };
}

export function toPipelineInfo(r: PipelineRecord): PipelineInfo {
  const s = r.state;
  return shown({
    id: s.handle,
    key: s.id,
    project: r.project,
    runbook: r.runbook,
    name: s.handle,
    kind: r.name,
    status: s.status,
    phase: s.phase,
    waitingFor: s.waitingFor,
    error: s.error,
    failureCount: s.failureCount,
    workspace: r.workspace,
    label: r.label,
    archived: r.archived,
    vars: r.vars,
    owner: r.owner,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    phaseStartedAt: s.phaseStartedAt === null ? null : iso(s.phaseStartedAt),
    finishedAt: s.finishedAt === null ? null : iso(s.finishedAt),
    phases: r.definition.phases.map((p) => p.name),
    session: r.session ?? null,
  });
}

/**
 * A pipeline as clients see it: known secret values (log/redact.ts) in its
 * vars, error, label, workspace... are redacted. The id stays as it is, to
 * be addressable: ids made from a secret input hold a hash instead
 * (engine/pipeline-ids.ts).
 */
function shown(info: PipelineInfo): PipelineInfo {
  const r = redactValue(info);
  return r === info ? info : { ...r, id: info.id, key: info.key, name: info.name };
}
