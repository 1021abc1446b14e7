import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { LaunchRequest } from './launch.js';
import { ChildSpawner, InlineSpawner, type ProcessSpawner } from './process-spawner.js';

/** The compiled spawner script (npm test builds before it runs the tests). */
const ENTRY = resolve(import.meta.dirname, '../../dist/spawner/spawner-process.js');
const dir = mkdtempSync(join(tmpdir(), 'oj-spawner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  pid: number;
  out: string;
  code: number | null;
  signal: string | null;
  lost: string | null;
}

function run(s: ProcessSpawner, r: Partial<LaunchRequest> & { script: string }, onStart?: (pid: number) => void): Promise<Outcome> {
  return new Promise((res) => {
    const o: Outcome = { pid: 0, out: '', code: null, signal: null, lost: null };
    s.launch(
      { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, pipeOutput: true, ...r },
      {
        started: (pid) => {
          o.pid = pid;
          onStart?.(pid);
        },
        output: (_stream, text) => (o.out += text),
        exited: (code, signal) => res({ ...o, code, signal }),
        lost: (reason) => res({ ...o, lost: reason }),
      },
    );
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const spawners: [string, () => ProcessSpawner][] = [
  ['inline', () => new InlineSpawner()],
  ['spawner process', () => new ChildSpawner(() => {}, ENTRY)],
];

describe.each(spawners)('%s', (_name, make) => {
  const s = make();
  afterAll(() => s.close());

  it('runs a script in its own process group and hands back its output and exit code', async () => {
    const o = await run(s, { script: 'echo "out $(ps -o pgid= -p $$ | tr -d " ")"; echo err >&2; exit 3' });
    expect(o.pid).toBeGreaterThan(0);
    expect(o.out).toContain(`out ${o.pid}`);
    expect(o.out).toContain('err');
    expect(o.code).toBe(3);
  });

  it('passes exactly the given environment and cwd, and nothing on stdin', async () => {
    const o = await run(s, { script: 'echo "$OJ_X|$HOME|$(pwd)"; cat; echo end', env: { OJ_X: 'a b;$(no)', PATH: process.env.PATH ?? '' } });
    expect(o.out).toBe(`a b;$(no)||${dir}\nend\n`);
  });

  it('appends to the log file without pipes when nobody listens', async () => {
    const log = join(dir, 'sub', `${_name}.log`);
    const a = await run(s, { script: 'echo one', logFile: log, pipeOutput: false });
    const b = await run(s, { script: 'echo two >&2', logFile: log, pipeOutput: false });
    expect([a.code, b.code, a.out]).toEqual([0, 0, '']);
    expect(readFileSync(log, 'utf8')).toBe('one\ntwo\n');
  });

  it('reports a signal, a missing cwd and a script Node refuses as failed runs', async () => {
    const killed = await run(s, { script: 'kill -TERM $$' });
    expect(killed.signal).toBe('SIGTERM');
    const noCwd = await run(s, { script: 'true', cwd: join(dir, 'missing') });
    expect(noCwd).toMatchObject({ code: null, signal: null });
    const nul = await run(s, { script: 'echo a\0b' });
    expect(nul).toMatchObject({ pid: -1, code: null });
  });

  it('keeps multibyte characters whole across output chunks', async () => {
    const o = await run(s, { script: `printf '\\xe2\\x82'; sleep 0.05; printf '\\xac\\n'` });
    expect(o.out).toBe('€\n');
  });
});

describe('the spawner process', () => {
  it('dying with runs in flight kills their process groups and reports them lost; the next run starts a new one', async () => {
    const s = new ChildSpawner(() => {}, ENTRY);
    let pgid = 0;
    const started = new Promise<void>((res) => {
      void run(s, { script: 'sleep 30 & sleep 30' }, (pid) => {
        pgid = pid;
        res();
      }).then((o) => (lost = o));
    });
    let lost: Outcome | null = null;
    await started;
    const first = s.pid();
    expect(first).not.toBeNull();
    process.kill(first!, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while ((lost === null || groupAlive(pgid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(lost).toMatchObject({ lost: expect.stringContaining('spawner exited') });
    expect(groupAlive(pgid)).toBe(false);
    const again = await run(s, { script: 'echo again' });
    expect(again.out).toBe('again\n');
    expect(s.pid()).not.toBe(first);
    await s.close();
  });

  it('ignores terminal signals and exits when its input ends', async () => {
    const s = new ChildSpawner(() => {}, ENTRY);
    expect((await run(s, { script: 'true' })).code).toBe(0); // up and listening
    const pid = s.pid()!;
    process.kill(pid, 'SIGINT');
    process.kill(pid, 'SIGTERM');
    expect((await run(s, { script: 'echo still here' })).out).toBe('still here\n');
    await s.close();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('the spawner process when ojd goes away', () => {
  it('kills the groups whose start ojd had not acknowledged and leaves the others', async () => {
    const child = spawn(process.execPath, [ENTRY], { stdio: ['pipe', 'pipe', 'inherit'] });
    const pids = new Map<number, number>();
    const lines = createInterface({ input: child.stdout });
    const bothStarted = new Promise<void>((res) => {
      lines.on('line', (l) => {
        const e = JSON.parse(l) as { t: string; id: number; pid: number };
        if (e.t === 'started') pids.set(e.id, e.pid);
        if (pids.size === 2) res();
      });
    });
    const req = (id: number) => ({ t: 'run', id, r: { script: 'sleep 30', cwd: dir, env: { PATH: process.env.PATH ?? '' }, pipeOutput: false } });
    child.stdin.write(`${JSON.stringify(req(1))}\n${JSON.stringify(req(2))}\n`);
    await bothStarted;
    child.stdin.write(`${JSON.stringify({ t: 'recorded', id: 1 })}\n`);
    const exited = new Promise((res) => child.once('exit', res));
    child.stdin.end();
    await exited;
    const deadline = Date.now() + 10_000;
    while (groupAlive(pids.get(2)!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(groupAlive(pids.get(2)!)).toBe(false);
    expect(groupAlive(pids.get(1)!)).toBe(true);
    process.kill(-pids.get(1)!, 'SIGKILL');
  });
});
