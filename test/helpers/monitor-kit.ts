/**
 * For monitor tests: run a cron once and wait for that run to finish, read
 * events, summarise `action:*` events. Through one RPC connection: polling
 * with the CLI would cost a process per probe.
 */
import type { Rpc } from './rpc-call.js';
import { waitFor } from './ojd-harness.js';
import { CronMethods, EventMethods } from '@oj/protocol';

export type CronState = { name: string; runs: number; lastOutcome: string | null; lastError: string | null };
export type Ev = { id: number; name: string; subject: string | null; data: Record<string, unknown>; time: string };

export async function cronState(rpc: Rpc, root: string, name: string): Promise<CronState> {
  const { crons } = await rpc.call(CronMethods.List, { project: root });
  const c = crons.find((x) => x.name === name);
  if (!c) throw new Error(`no cron ${name}`);
  return c;
}

/** `oj cron run` (its RPC), then wait until that run has finished. */
export async function tick(rpc: Rpc, root: string, name: string, timeoutMs = 20_000): Promise<CronState> {
  const before = (await cronState(rpc, root, name)).runs;
  await rpc.call(CronMethods.Run, { project: root, name });
  return waitFor(
    `cron ${name} run ${before + 1}`,
    async () => {
      const c = await cronState(rpc, root, name);
      return c.runs > before && c.lastOutcome !== 'running' ? c : null;
    },
    timeoutMs,
    50,
  );
}

/** Waits until the cron has run at least `runs` times in all (scheduled runs). */
export async function ranTimes(rpc: Rpc, root: string, name: string, runs: number, timeoutMs = 20_000): Promise<CronState> {
  return waitFor(
    `cron ${name} to run ${runs} times`,
    async () => {
      const c = await cronState(rpc, root, name);
      return c.runs >= runs && c.lastOutcome !== 'running' ? c : null;
    },
    timeoutMs,
    50,
  );
}

export async function events(rpc: Rpc, root: string, pattern: string): Promise<Ev[]> {
  const { events } = await rpc.call(EventMethods.List, { name: pattern, project: root, limit: 10_000 });
  return events;
}

/** `action:*` events as "<action> <item>[ <attempt>/<of>]". */
export async function actions(rpc: Rpc, root: string): Promise<string[]> {
  return (await events(rpc, root, 'action:*')).map(
    (e) =>
      `${e.name.slice('action:'.length)} ${String(e.data.item ?? '')}${Number(e.data.of ?? 1) > 1 ? ` ${String(e.data.attempt)}/${String(e.data.of)}` : ''}`,
  );
}
