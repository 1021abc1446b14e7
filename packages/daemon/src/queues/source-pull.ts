/**
 * Source queues: a pull runs the queue's `source` command (60s at most) and
 * adds what it lists that is new (core/queue/source-pull.ts decides per
 * item), in one transaction. Concurrent pulls of one queue share one run.
 */
import { OjError } from '@oj/protocol';
import type { Logger } from 'winston';
import { addedRecords, EVENT_PER_ITEM_LIMIT } from '../core/queue/add.js';
import { parseSourceOutput, type SourceItem } from '../core/queue/source-items.js';
import { pullStep, type KnownRow } from '../core/queue/source-pull.js';
import type { EventLog } from '../events/event-log.js';
import { createContext, interpolateShell } from '../runbook/index.js';
import type { Queue } from '../runbook/model.js';
import type { QueueItemRow } from '../storage/queue-store.js';
import type { PullPlan, SharedQueues } from '../storage/shared-store.js';
import { appendLog, logFileFor, type ShellHost } from '../adapters/shell-host.js';

const SOURCE_TIMEOUT_MS = 60_000;

export interface PullResult {
  added: string[];
  listed: number;
  error: string | null;
}

export interface SourcePullDeps {
  items: SharedQueues;
  events: EventLog;
  logger: Logger;
  shell: ShellHost;
  now(): number;
  /** After a pull that added items has committed. */
  added(project: string, queue: string): void;
  /** Runs fn after the outermost local write commits. */
  storage: { afterCommit(fn: () => void): void };
}

export class SourcePuller {
  private readonly pulls = new Map<string, Promise<PullResult>>();
  private stopped = false;

  constructor(private readonly d: SourcePullDeps) {}

  /** Runs the queue's source command and adds what is new. Concurrent calls share one run. */
  pull(project: string, q: Queue): Promise<PullResult> {
    if (!q.source) {
      throw OjError.illegalState(`queue ${q.name} has no source command; its items are added with oj queue add`, {
        hint: `oj queue add ${q.name} key=value ...`,
      });
    }
    const key = `${project}\0${q.name}`;
    let p = this.pulls.get(key);
    if (!p) {
      p = this.run(project, q, q.source).finally(() => this.pulls.delete(key));
      this.pulls.set(key, p);
    }
    return p;
  }

  pulling(project: string, queue: string): boolean {
    return this.pulls.has(`${project}\0${queue}`);
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(project: string, q: Queue, source: string): Promise<PullResult> {
    const logFile = logFileFor(this.d.shell, project, 'queues', q.name);
    const fail = async (error: string): Promise<PullResult> => {
      this.d.logger.warn('queue source failed', { project, queue: q.name, error });
      appendLog(logFile, `[source] ${error}`);
      await this.d.items.sourceFailed(project, q.name, this.d.now(), error, () => {
        this.d.events.emit({ name: 'queue:source:failed', subject: q.name, project, data: { queue: q.name, error } });
      });
      return { added: [], listed: 0, error };
    };
    let script: string;
    try {
      script = interpolateShell(source, createContext({ name: 'runtime', values: { project_root: project, queue: q.name } }));
    } catch (err) {
      return fail(`cannot build the source command: ${(err as Error).message}`);
    }
    let stdout = '';
    let stderr = '';
    const run = this.d.shell.shellRunner.run({
      script,
      cwd: project,
      env: this.d.shell.shellRunner.env({ project, oj: { OJ_QUEUE: q.name } }),
      timeoutMs: SOURCE_TIMEOUT_MS,
      onOutput: (data, stream) => {
        if (stream === 'stdout') stdout += data;
        else stderr += data;
      },
    });
    const o = await run.done;
    if (this.stopped) return { added: [], listed: 0, error: 'daemon stopping' };
    if (o.timedOut) return fail(`source command timed out after ${SOURCE_TIMEOUT_MS / 1000}s`);
    if (o.exitCode !== 0) {
      const why = stderr.trim().split('\n').slice(-1)[0] ?? '';
      return fail(`source command exited ${o.exitCode ?? o.signal}${why ? `: ${why}` : ''}`);
    }
    const parsed = parseSourceOutput(stdout);
    if (!parsed.ok) return fail(parsed.message);
    for (const s of parsed.skipped) appendLog(logFile, `[source] skipped: ${s}`);
    const added = await this.record(project, q.name, parsed.items);
    return { added, listed: parsed.items.length, error: null };
  }

  /** One successful pull listing `listed`: returns the ids added. */
  private async record(project: string, queue: string, listed: SourceItem[]): Promise<string[]> {
    const byId = new Map(listed.map((i) => [i.id, i]));
    const rows = await this.d.items.recordPull(
      project,
      queue,
      [...byId.keys()],
      this.d.now(),
      (known, prev): PullPlan => {
        const plan: PullPlan = { seen: [], insert: [] };
        for (const item of listed) {
          const k = known.get(item.id);
          const step = pullStep(item, knownRow(k?.live), knownRow(k?.latest), prev);
          if (step.type === 'seen') plan.seen.push({ seq: step.seq, data: step.data });
          else plan.insert.push({ id: item.id, data: item.data });
        }
        return plan;
      },
      (added) => {
        const ids = added.map((r) => r.id);
        for (const e of addedRecords(queue, ids, ids.length > EVENT_PER_ITEM_LIMIT, 'source')) this.d.events.emit({ ...e, project });
        if (ids.length) this.d.storage.afterCommit(() => this.d.added(project, queue));
      },
    );
    return rows.map((r) => r.id);
  }
}

function knownRow(r: QueueItemRow | undefined): KnownRow | undefined {
  return r && { seq: r.seq, status: r.status, data: r.data, seenPull: r.seen_pull };
}
