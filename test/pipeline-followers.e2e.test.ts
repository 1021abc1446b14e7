/**
 * Issue 17: label, archive and prune go through the pipeline service, which
 * writes the row with its event in one transaction and tells followers after
 * the commit: an events follower (`oj events --follow`) hears each of them,
 * and a follower of the pipeline (`pipelines.follow`) hears its new label.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RawClient, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const RUNBOOK = `
[command.one]
args = "<name>"
run = { pipeline = "one" }

[command.hold]
args = "<name>"
run = { pipeline = "hold" }

[pipeline.one]
inputs = ["name"]

[[pipeline.one.phase]]
name = "work"
run = "true"

[pipeline.hold]
inputs = ["name"]

[[pipeline.hold.phase]]
name = "wait"
run = "while [ ! -f release-{name} ]; do sleep 0.05; done"
`;

type Event = { id: number; name: string; subject: string | null; data: Record<string, unknown> };

/** `oj events --follow --json` for pipeline events, attached (the daemon answered its follow). */
async function followEvents(): Promise<{ events: () => Event[]; stop: () => Promise<void> }> {
  const before = (await t.ojJson<{ counts: { connections: number } }>(['daemon', 'status'])).counts.connections;
  const follower = t.ojSpawn(['events', '--follow', '--json', '--name', 'pipeline:*']);
  let out = '';
  follower.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the events follower to attach', async () => {
    const s = await t.ojJson<{ counts: { connections: number } }>(['daemon', 'status']);
    return s.counts.connections > before;
  }, 30_000);
  return {
    events: () =>
      out
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Event),
    stop: async () => {
      follower.kill('SIGINT');
      await follower;
    },
  };
}

describe('followers hear label, archive and prune', () => {
  it('oj events --follow shows pipeline:labelled, pipeline:archived and pipeline:pruned, in that order', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RUNBOOK });
    const done = await t.oj(['run', 'one', 'x', '--wait'], { cwd: root });
    expect(done.exitCode).toBe(0);
    const f = await followEvents();
    const heard = (name: string) => waitFor(`${name} on the follower`, () => f.events().find((e) => e.name === name), 30_000);

    expect((await t.oj(['pipeline', 'label', 'one-x', 'urgent'], { cwd: root })).exitCode).toBe(0);
    const labelled = await heard('pipeline:labelled');
    expect(labelled).toMatchObject({ subject: 'one-x', data: { pipeline: 'one-x', label: 'urgent', previous: null } });

    expect((await t.oj(['pipeline', 'archive', 'one-x'], { cwd: root })).exitCode).toBe(0);
    const archived = await heard('pipeline:archived');
    expect(archived).toMatchObject({ subject: 'one-x', data: { pipeline: 'one-x', status: 'done' } });

    expect((await t.oj(['pipeline', 'prune'], { cwd: root })).stdout).toMatch(/pruned 1: one-x/);
    const pruned = await heard('pipeline:pruned');
    expect(pruned).toMatchObject({ subject: 'one-x', data: { pipeline: 'one-x', status: 'done' } });

    expect([labelled.id < archived.id, archived.id < pruned.id]).toEqual([true, true]);
    // Saying the same again changes nothing and tells nobody anything.
    expect((await t.oj(['run', 'one', 'y', '--wait'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'label', 'one-y', 'same'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'label', 'one-y', 'same'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'archive', 'one-y'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'archive', 'one-y'], { cwd: root })).exitCode).toBe(0);
    // The follower hears events in id order: once the last one is there, any repeat would be before it.
    await t.oj(['emit', 'pipeline:marker'], { cwd: root });
    await heard('pipeline:marker');
    const aboutY = f.events().filter((e) => e.subject === 'one-y' && /labelled|archived/.test(e.name)).map((e) => e.name);
    expect(aboutY).toEqual(['pipeline:labelled', 'pipeline:archived']);
    await f.stop();
  });

  it('a follower of a running pipeline (pipelines.follow) hears its new label', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RUNBOOK });
    const created = await t.oj(['run', 'hold', 'a'], { cwd: root });
    expect(created.stdout.split('\n')[0]).toBe('hold-a');
    const c = await RawClient.connect(t.socket);
    try {
      c.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'pipelines.follow', params: { id: 'hold-a', project: root, output: false } }) + '\n');
      await c.next(1, 30_000);
      expect((await t.oj(['pipeline', 'label', 'hold-a', 'urgent'], { cwd: root })).exitCode).toBe(0);
      type Note = { method?: string; params?: { update: { kind: string; pipeline?: { label: string | null; status: string } } } };
      const update = await waitFor(
        'the label on the follower',
        () => (c.all as Note[]).find((m) => m.method === 'pipelines.update' && m.params?.update.pipeline?.label === 'urgent'),
        30_000,
      );
      expect(update.params?.update).toMatchObject({ kind: 'status', pipeline: { status: 'running', label: 'urgent' } });
      writeFileSync(join(root, 'release-a'), '');
      await waitFor(
        'the end on the follower',
        () => (c.all as Note[]).find((m) => m.params?.update.pipeline?.status === 'done'),
        30_000,
      );
    } finally {
      c.close();
    }
  });
});
