/**
 * `oj queue fail` on an item a worker's pipeline holds: the attempt is over,
 * so that pipeline is cancelled (as requeue, bury and the visibility timeout
 * do). Before, it ran on while the retry's pipeline took the same item: two
 * pipelines working one item at once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';
import { PipelineMethods, QueueMethods, WorkerMethods } from '@oj/protocol';


let t: TestEnv;
let rpc: Rpc | null = null;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  rpc?.close();
  rpc = null;
  await t.cleanup();
});

/** Each run of the handler waits (up to 60 s) for a release file of its own attempt. */
const HOLD = `
[worker.w]
queue = "jobs"
handler = "pipeline.hold"
concurrency = 2

[queue.jobs]
max_retries = 2

[pipeline.hold]
inputs = ["job"]

[[pipeline.hold.phase]]
name = "work"
run = """
echo started >> {project_root}/runs
i=0
while [ ! -f {project_root}/release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
echo {job.id} >> {project_root}/done
"""
`;

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

describe('oj queue fail on an item a pipeline holds', () => {
  it('cancels the holding pipeline, so the retry is the only pipeline working the item', async () => {
    await t.startDaemon();
    rpc = await Rpc.connect(t.socket);
    const root = makeProject(t, 'proj', { hold: HOLD });
    const show = async () => rpc!.call(QueueMethods.Show, { project: root, queue: 'jobs', id: 'j1' });
    await rpc.call(QueueMethods.Add, { project: root, queue: 'jobs', items: [{ id: 'j1' }] });
    await rpc.call(WorkerMethods.Start, { project: root, name: 'w' });
    const first = await waitFor('taken and running', async () => {
      const { item } = await show();
      return item.status === 'taken' && lines(join(root, 'runs')).length === 1 ? item.takenBy : null;
    });

    const failed = await t.oj(['queue', 'fail', 'jobs', 'j1', '--error', 'wrong input'], { cwd: root });
    expect(failed.exitCode).toBe(0);

    // The retry takes the item (attempt 2) in a new pipeline; by then the first one has been cancelled.
    const retried = await waitFor('taken again', async () => {
      const x = await show();
      return x.item.status === 'taken' && x.item.attempts === 2 ? x : null;
    });
    expect(retried.item.takenBy).not.toBe(first);
    expect(retried.attempts.map((a) => [a.attempt, a.outcome, a.error])).toEqual([
      [1, 'failed', 'wrong input'],
      [2, 'running', null],
    ]);
    const p1 = await rpc.call(PipelineMethods.Show, { id: first, project: root });
    expect(p1.pipeline.status).toBe('cancelled');
    expect(p1.pipeline.error).toMatch(/item jobs\/j1 failed: wrong input/);
    // Its cancellation counted no second failure.
    expect(retried.item.failures).toBe(1);

    writeFileSync(join(root, 'release'), '');
    await waitFor('completed', async () => ((await show()).item.status === 'completed' ? true : null));
    expect(lines(join(root, 'done'))).toEqual(['j1']);
  });
});
