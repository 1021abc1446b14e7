/**
 * A bounded soak: OJ_SOAK_SECONDS (default 60) of mixed load on one daemon
 * (a worker draining a steadily fed queue, pipelines contending for a lock,
 * shell commands, agent sessions, event followers, short-lived connections,
 * integrity checks, retention pruning). At the end, once the load has
 * drained, the daemon's open file descriptors and resident memory are
 * compared with what they were after warm-up: nothing may grow without bound,
 * and no child process may be left running.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rpc, killHard, processStats, startOjd, type Ojd } from './helpers/crash-kit.js';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { CommandMethods, DaemonMethods, EventMethods, MaintenanceMethods, PipelineMethods, QueueMethods, WorkerMethods } from '@oj/protocol';

const SECONDS = Number(process.env.OJ_SOAK_SECONDS ?? 60);
let t: TestEnv;
let ojd: Ojd;
const report: string[] = [];

beforeAll(async () => {
  t = new TestEnv();
  ojd = await startOjd(t, { OJ_RETENTION_EVENTS_MAX: '3000', OJ_RETENTION_EVERY: '2s', OJ_LOG_LEVEL: 'info' });
});
afterAll(async () => {
  console.log(`soak: ${report.join('; ')}`);
  await t.cleanup();
  if (ojd) await killHard(ojd);
});

const fake = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;
const RUNBOOK = `
[worker.crunch]
queue = "work"
handler = "pipeline.crunch"
concurrency = 3
idle_action = "wait:30s"
wake_on = ["work:added"]

[queue.work]
[queue.work.dead]
retention = "1s"

[pipeline.crunch]
inputs = ["job"]
[[pipeline.crunch.phase]]
name = "work"
run = "echo {job.id} > /dev/null; sleep 0.05"
[[pipeline.crunch.phase]]
name = "merge"
lock = "main"
run = "true"

[lock.main]

[command.solo]
args = "<n>"
run = { pipeline = "solo" }

[pipeline.solo]
inputs = ["n"]
[[pipeline.solo.phase]]
name = "merge"
lock = "main"
run = "echo merging {n}"

[command.shout]
args = "<n>"
run = "for i in 1 2 3; do echo line $i of {n}; done"

[command.agent]
args = "<n>"
run = { pipeline = "withagent" }

[pipeline.withagent]
inputs = ["n"]
[[pipeline.withagent.phase]]
name = "work"
agent = "a"

[agent.a]
command = "${fake}"
prompt_file = "prompts/a.md"
`;

describe('soak', () => {
  it(`${SECONDS}s of mixed load: fds and memory back where they were, no child left running`, async () => {
    const root = makeProject(t, 'proj', { r: RUNBOOK });
    mkdirSync(join(root, 'prompts'));
    writeFileSync(join(root, 'prompts', 'a.md'), `Work.\n\`\`\`fake-agent\n${JSON.stringify([{ print: 'working' }, { sleep: 0.2 }, { oj: ['done'] }, { quiet: true }])}\n\`\`\`\n`);
    const rpc = await Rpc.connect(t.socket);
    await rpc.call(WorkerMethods.Start, { project: root, name: 'crunch' });
    const counts = { items: 0, pipelines: 0, shells: 0, agents: 0, events: 0, connections: 0, checks: 0 };
    const errors: string[] = [];
    const guard = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        if (errors.length < 10) errors.push(`${what}: ${(err as Error).message}`);
      }
    };
    let n = 0;
    const round = async () => {
      const i = ++n;
      await guard('queue', () => rpc.call(QueueMethods.Add, { project: root, queue: 'work', items: [{ id: `i${i}a` }, { id: `i${i}b` }] }));
      counts.items += 2;
      await guard('emit', () => rpc.call(EventMethods.Emit, { name: 'work:added', project: root, data: { i } }));
      counts.events++;
      if (i % 3 === 0) {
        await guard('solo', () => rpc.call(CommandMethods.Run, { project: root, command: 'solo', args: [String(i)] }));
        counts.pipelines++;
      }
      // A short-lived client: connects, runs a shell command (streamed output), follows events briefly, leaves.
      await guard('client', async () => {
        const c = await Rpc.connect(t.socket);
        counts.connections++;
        await c.call(CommandMethods.Run, { project: root, command: 'shout', args: [String(i)] });
        counts.shells++;
        await c.call(EventMethods.Follow, { name: 'work:*' });
        c.close();
      });
      if (i % 10 === 0) {
        await guard('agent', () => rpc.call(CommandMethods.Run, { project: root, command: 'agent', args: [String(i)] }));
        counts.agents++;
      }
      if (i % 15 === 0) {
        await guard('check', () => rpc.call(MaintenanceMethods.Check, { quick: true }));
        counts.checks++;
      }
    };

    const run = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await round();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const settle = async () => {
      await waitFor(
        'the load to drain',
        async () => {
          const { pipelines } = await rpc.call(PipelineMethods.List, { project: root, active: true });
          const s = await rpc.call(DaemonMethods.Status);
          return pipelines.length === 0 && (s.counts['shells.running'] ?? 0) === 0 && (s.counts['sessions.running'] ?? 0) === 0;
        },
        60_000,
        200,
      );
    };

    // Warm-up: every code path once, then the baseline.
    await run(Math.min(10_000, (SECONDS * 1000) / 4));
    await settle();
    const start = processStats(ojd.pid);
    await run(SECONDS * 1000);
    await settle();
    const end = processStats(ojd.pid);
    // Retention keeps the event log bounded under steady load: the next prune (every 2s; later on a
    // loaded machine) brings it back to the cap, plus the few events written since.
    const status = await waitFor(
      'retention to prune the event log to its cap',
      async () => {
        const s = await rpc.call(DaemonMethods.Status);
        return (s.counts.events ?? 0) < 3000 + 100 ? s : null;
      },
      60_000,
      200,
    );
    rpc.close();

    report.push(
      `${SECONDS}s, ${counts.items} items, ${counts.pipelines} lock pipelines, ${counts.shells} shell commands, ${counts.agents} agent sessions, ` +
        `${counts.connections} connections, ${counts.checks} checks`,
      `fds ${start.fds} -> ${end.fds}`,
      `RSS ${Math.round(start.rssKb / 1024)} -> ${Math.round(end.rssKb / 1024)} MiB`,
      `events kept ${status.counts.events}`,
    );
    expect(errors).toEqual([]);
    expect(end.fds, 'open fds after the soak vs after warm-up').toBeLessThanOrEqual(start.fds + 4);
    expect(end.rssKb - start.rssKb, 'RSS growth (KiB)').toBeLessThan(64 * 1024);
    expect(status.counts['shells.running'] ?? 0).toBe(0);
  }, (SECONDS + 120) * 1000);
});
