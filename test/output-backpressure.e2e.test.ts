/**
 * Issue 16 item 9: phase output reaches followers flow-controlled, with
 * bounded memory in ojd and its spawner at any output rate; a follower that
 * does not read is told it is too slow; `oj run --follow` and
 * `oj pipeline logs -f` print every line once, in order.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { processStats } from './helpers/crash-kit.js';

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const MB = 1024 * 1024;
const END = 'END-OF-OUTPUT';

/** A pipeline whose one phase prints `bytes` of 100-column lines as fast as it can, then the end marker. */
function bigRunbook(bytes: number): string {
  return `
[command.big]
run = { pipeline = "big" }

[pipeline.big]
[[pipeline.big.phase]]
name = "print"
run = '''head -c ${bytes} /dev/zero | tr '\\0' x | fold -w 100; echo ${END}'''
`;
}

interface Update {
  kind: string;
  data?: string;
  reason?: string;
  pipeline?: { status: string };
}

/** A raw follower: counts the output it gets, keeps its last bytes and every other update. */
class Follower {
  readonly socket: net.Socket;
  bytes = 0;
  tail = '';
  readonly others: Update[] = [];
  private buffer = '';

  constructor(path: string, id: string, from?: { run: number; offset: number }) {
    this.socket = net.connect(path);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => {
      this.buffer += d;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const msg = JSON.parse(line) as { method?: string; params?: { update: Update } };
        const u = msg.params?.update;
        if (!u) continue;
        if (u.kind === 'output') {
          this.bytes += Buffer.byteLength(u.data!);
          this.tail = (this.tail + u.data!).slice(-200);
        } else this.others.push(u);
      }
    });
    const params = { id, ...(from ? { from } : {}) };
    this.socket.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'pipelines.follow', params }) + '\n');
  }

  ended(): boolean {
    return this.others.some((u) => u.kind === 'status' && ['done', 'failed', 'cancelled'].includes(u.pipeline!.status));
  }
}

type Procs = { ojd: number; spawner: number };
const PROCS = ['ojd', 'spawner'] as const;

/** Samples the peak RSS of ojd and its spawner; `stop` says by how many bytes each grew over its start. */
function rssPeaks(pids: Procs): { stop(): Procs } {
  const base: Procs = { ojd: processStats(pids.ojd).rssKb, spawner: processStats(pids.spawner).rssKb };
  const peak: Procs = { ...base };
  const timer = setInterval(() => {
    for (const k of PROCS) {
      try {
        peak[k] = Math.max(peak[k], processStats(pids[k]).rssKb);
      } catch {
        // gone: the assertions say so
      }
    }
  }, 25);
  return {
    stop() {
      clearInterval(timer);
      return { ojd: (peak.ojd - base.ojd) * 1024, spawner: (peak.spawner - base.spawner) * 1024 };
    },
  };
}

async function pids(ojdPid: number): Promise<Procs> {
  const s = await t.ojJson<{ spawnerPid: number | null }>(['daemon', 'status']);
  expect(s.spawnerPid).toBeGreaterThan(0);
  return { ojd: ojdPid, spawner: s.spawnerPid! };
}

describe('phase output to followers', () => {
  it('a follower reading as fast as it can gets all of 300 MB printed at full speed; ojd and the spawner grow by < 100 MB', async () => {
    const daemon = await t.startDaemon();
    const root = makeProject(t, 'proj', { r: bigRunbook(300_000_000) });
    const procs = await pids(daemon.pid!);
    const sampling = rssPeaks(procs);
    const r = await t.oj(['run', 'big'], { cwd: root });
    const id = r.stdout.trim();
    const f = new Follower(t.socket, id, { run: 0, offset: 0 });
    await waitFor('the follower to get the pipeline end', () => f.ended(), 120_000);
    const growth = sampling.stop();
    console.log('fast follower: RSS growth MB', { ojd: growth.ojd / MB, spawner: growth.spawner / MB });
    f.socket.destroy();
    // fold ends its last line without a newline: the marker goes on it.
    expect(f.bytes).toBe(300_000_000 + 2_999_999 + END.length + 1);
    expect(f.tail.endsWith(`${END}\n`)).toBe(true);
    expect(f.others.filter((u) => u.kind === 'output_stopped')).toEqual([]);
    expect(growth.ojd).toBeLessThan(100 * MB);
    expect(growth.spawner).toBeLessThan(100 * MB);
  }, 180_000);

  it('a follower that never reads is told it is too slow, while the daemon stays healthy and bounded', async () => {
    t.env.OJ_FOLLOW_STALL = '2s';
    const daemon = await t.startDaemon();
    const root = makeProject(t, 'proj', { r: bigRunbook(100_000_000) });
    const procs = await pids(daemon.pid!);
    const sampling = rssPeaks(procs);
    const id = (await t.oj(['run', 'big'], { cwd: root })).stdout.trim();
    const f = new Follower(t.socket, id, { run: 0, offset: 0 });
    f.socket.pause(); // reads nothing
    const log = join(t.stateDir, 'ojd.log');
    await waitFor('ojd to give up on the follower', () => readFileSync(log, 'utf8').includes('pipeline follower too slow'), 60_000);
    const ping = await t.oj(['daemon', 'status']);
    expect(ping.exitCode).toBe(0);
    await waitFor('the pipeline to end', async () => (await t.ojJson<{ pipeline: { status: string } }>(['pipeline', 'show', id])).pipeline.status === 'done', 60_000);
    const growth = sampling.stop();
    console.log('stalled follower: RSS growth MB', { ojd: growth.ojd / MB, spawner: growth.spawner / MB });
    // Reading again, it finds the notice in words, then the pipeline's end; the log has everything.
    f.socket.resume();
    await waitFor('the pipeline end on the follower', () => f.ended(), 30_000);
    f.socket.destroy();
    const stopped = f.others.find((u) => u.kind === 'output_stopped');
    expect(stopped?.reason).toMatch(/too slow/);
    expect(stopped?.reason).toContain(`oj pipeline logs ${id}`);
    expect(f.bytes).toBeLessThan(100_000_000);
    expect(growth.ojd).toBeLessThan(100 * MB);
    expect(growth.spawner).toBeLessThan(100 * MB);
  }, 180_000);
});

describe('shell command output to its caller', () => {
  it('a caller reading as fast as it can gets all of 300 MB; the child is paused, not buffered: ojd and the spawner grow by < 100 MB', async () => {
    const daemon = await t.startDaemon();
    const root = makeProject(t, 'proj', {
      r: `
[command.shout]
run = '''head -c 300000000 /dev/zero | tr '\\0' x | fold -w 100; echo ${END}'''
`,
    });
    const procs = await pids(daemon.pid!);
    const sampling = rssPeaks(procs);
    const socket = net.connect(t.socket);
    socket.setEncoding('utf8');
    let bytes = 0;
    let tail = '';
    let answer: { result?: { exitCode: number }; error?: unknown } | null = null;
    let buffer = '';
    socket.on('data', (d: string) => {
      buffer += d;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buffer.slice(0, nl)) as { id?: number; params?: { data: string } };
        buffer = buffer.slice(nl + 1);
        if (msg.id === 1) answer = msg as typeof answer;
        else if (msg.params?.data) {
          bytes += Buffer.byteLength(msg.params.data);
          tail = (tail + msg.params.data).slice(-200);
        }
      }
    });
    socket.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'commands.run', params: { project: root, command: 'shout', args: [] } }) + '\n');
    await waitFor('the command to end', () => answer, 120_000);
    const growth = sampling.stop();
    console.log('shell command caller: RSS growth MB', { ojd: growth.ojd / MB, spawner: growth.spawner / MB });
    socket.destroy();
    expect(answer!.result?.exitCode).toBe(0);
    expect(bytes).toBe(300_000_000 + 2_999_999 + END.length + 1);
    expect(tail.endsWith(`${END}\n`)).toBe(true);
    expect(growth.ojd).toBeLessThan(100 * MB);
    expect(growth.spawner).toBeLessThan(100 * MB);
  }, 180_000);
});

describe('following prints every line once, in order', () => {
  const numbers = (text: string) => text.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('oj run --follow: two phases, all of their output, then the end', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      r: `
[command.count]
run = { pipeline = "count" }

[pipeline.count]
[[pipeline.count.phase]]
name = "first"
run = "seq 1 100000"

[[pipeline.count.phase]]
name = "second"
run = "seq 100001 100500"
`,
    });
    const r = await t.oj(['run', 'count', '--follow'], { cwd: root, timeout: 60_000 });
    expect(r.exitCode).toBe(0);
    expect(numbers(r.stdout)).toEqual(upTo(100_500));
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(/done/);
  }, 90_000);

  it('oj pipeline logs -f goes on right after what it printed', async () => {
    await t.startDaemon();
    const gate = join(t.root, 'go');
    const root = makeProject(t, 'proj', {
      r: `
[command.gated]
run = { pipeline = "gated" }

[pipeline.gated]
[[pipeline.gated.phase]]
name = "print"
run = "seq 1 5000; while [ ! -e ${gate} ]; do sleep 0.05; done; seq 5001 10000"
`,
    });
    const id = (await t.oj(['run', 'gated'], { cwd: root })).stdout.trim();
    await waitFor('the first part in the log', async () => numbers((await t.oj(['pipeline', 'logs', id])).stdout).length === 5000, 30_000);
    const follow = t.ojSpawn(['pipeline', 'logs', '-f', id]);
    let out = '';
    follow.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('logs -f to print the first part', () => numbers(out).length === 5000, 30_000);
    writeFileSync(gate, '');
    const r = await follow;
    expect(r.exitCode).toBe(0);
    expect(numbers(String(r.stdout))).toEqual(upTo(10_000));
  }, 90_000);
});
