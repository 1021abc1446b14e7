import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LaunchRequest } from './launch.js';
import { ChildSpawner, NativeSpawner, nativeDialect, nodeDialect, type SpawnerDialect } from './helper-spawner.js';
import type { NativeEvent } from './native-frames.js';
import { InlineSpawner, NATIVE_SPAWNER, type ProcessSpawner } from './process-spawner.js';
import { startTimesKnown } from './process-start.js';

/** The compiled Node spawner script and the native helper (npm test builds both before it runs the tests). */
const ENTRY = resolve(import.meta.dirname, '../../dist/spawner/spawner-process.js');
const dir = mkdtempSync(join(tmpdir(), 'oj-spawner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the native helper is built (npm run build builds it; without it these tests would cover only the Node spawner)', () => {
  expect(existsSync(NATIVE_SPAWNER)).toBe(true);
});

interface Outcome {
  pid: number;
  out: string;
  code: number | null;
  signal: string | null;
  error: string | null;
  lost: string | null;
}

function run(s: ProcessSpawner, r: Partial<LaunchRequest> & { script: string }, onStart?: (pid: number) => void, onOut?: (text: string) => void): Promise<Outcome> {
  return new Promise((res) => {
    const o: Outcome = { pid: 0, out: '', code: null, signal: null, error: null, lost: null };
    s.launch(
      { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, pipeOutput: true, ...r },
      {
        started: (pid) => {
          o.pid = pid;
          onStart?.(pid);
        },
        output: (_stream, text) => {
          o.out += text;
          onOut?.(text);
        },
        exited: (code, signal, error) => res({ ...o, code, signal, error: error ?? null }),
        lost: (reason) => res({ ...o, lost: reason }),
      },
    );
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const groupAlive = (pgid: number) => alive(-pgid);

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const spawners: [string, () => ProcessSpawner][] = [
  ['inline', () => new InlineSpawner()],
  ['node spawner process', () => new ChildSpawner(() => {}, ENTRY)],
  ['native spawner', () => new NativeSpawner(() => {})],
];

describe.each(spawners)('%s', (name, make) => {
  const s = make();
  afterAll(() => s.close());

  it('runs a script in its own process group and hands back its output and exit code', async () => {
    const o = await run(s, { script: 'echo "out $(ps -o pgid= -p $$ | tr -d " ") $(ps -o sid= -p $$ | tr -d " ")"; echo err >&2; exit 3' });
    expect(o.pid).toBeGreaterThan(0);
    expect(o.out).toContain(`out ${o.pid} ${o.pid}`); // its own group and session
    expect(o.out).toContain('err');
    expect(o.code).toBe(3);
  });

  it('passes exactly the given environment and cwd, and nothing on stdin', async () => {
    const o = await run(s, { script: 'echo "$OJ_X|$HOME|$(pwd)"; cat; echo end', env: { OJ_X: 'a b;$(no)', PATH: process.env.PATH ?? '' } });
    expect(o.out).toBe(`a b;$(no)||${dir}\nend\n`);
  });

  it.runIf(startTimesKnown())('starts children with no signal ignored or blocked', async () => {
    const o = await run(s, { script: 'grep -E "^Sig(Ign|Blk):" /proc/$$/status' });
    expect(o.out).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  // Inline and through the Node spawner, a child gets whatever Node lets it inherit; the native helper passes on only these.
  it.runIf(startTimesKnown() && name === 'native spawner')('starts children with stdin, stdout and stderr open and nothing else, while other runs are in flight', async () => {
    const other = run(s, { script: 'sleep 0.5', logFile: join(dir, `${name}-other.log`) });
    for (const pipeOutput of [true, false]) {
      let pid = 0;
      const o = run(s, { script: 'exec sleep 30', pipeOutput, logFile: join(dir, `${name}-fds.log`) }, (p) => (pid = p));
      // Asleep, so done starting up (the loader and locale files it opens are closed again).
      await until('sleep to sleep', () => pid > 0 && readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('sleep'));
      expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(['0', '1', '2']);
      process.kill(-pid, 'SIGKILL');
      await o;
    }
    await other;
  });

  it('appends to the log file without pipes when nobody listens', async () => {
    const log = join(dir, 'sub', `${name}.log`);
    const a = await run(s, { script: 'echo one', logFile: log, pipeOutput: false });
    const b = await run(s, { script: 'echo two >&2', logFile: log, pipeOutput: false });
    expect([a.code, b.code, a.out]).toEqual([0, 0, '']);
    expect(readFileSync(log, 'utf8')).toBe('one\ntwo\n');
  });

  it('opens the log O_APPEND: runs writing one log at once lose no line, and what was there stays', async () => {
    const log = join(dir, `${name}-append.log`);
    writeFileSync(log, 'before\n');
    const lines = (tag: string) => `for i in $(seq 300); do echo ${tag}$i; done`;
    const [a, b, c] = await Promise.all([
      run(s, { script: lines('a'), logFile: log, pipeOutput: false }),
      run(s, { script: lines('b'), logFile: log, pipeOutput: false }),
      run(s, { script: lines('c'), logFile: log, pipeOutput: true }),
    ]);
    expect([a.code, b.code, c.code]).toEqual([0, 0, 0]);
    const text = readFileSync(log, 'utf8').split('\n');
    expect(text[0]).toBe('before');
    for (const tag of ['a', 'b', 'c']) expect(text.filter((l) => new RegExp(`^${tag}\\d+$`).test(l))).toHaveLength(300);
    expect(c.out.split('\n').filter(Boolean)).toHaveLength(300); // handed back too
  });

  it('reports a signal, a missing cwd and a script with a NUL byte as failed runs', async () => {
    const killed = await run(s, { script: 'kill -TERM $$' });
    expect(killed.signal).toBe('SIGTERM');
    expect(killed.code).toBeNull();
    const log = join(dir, `${name}-nocwd.log`);
    const noCwd = await run(s, { script: 'true', cwd: join(dir, 'missing'), logFile: log });
    expect(noCwd).toMatchObject({ pid: -1, code: null, signal: null });
    expect(noCwd.error).toContain('does not exist');
    expect(readFileSync(log, 'utf8')).toContain(`[oj] ${noCwd.error}`);
    const nul = await run(s, { script: 'echo a\0b' });
    expect(nul).toMatchObject({ pid: -1, code: null });
    const noLog = await run(s, { script: 'echo never', logFile: dir, pipeOutput: false }); // a directory
    expect(noLog).toMatchObject({ pid: -1, code: null, signal: null });
    expect(noLog.error).toMatch(/^the command could not be started: .*(EISDIR|Is a directory)/);
  });

  it('keeps multibyte characters whole across output chunks', async () => {
    const o = await run(s, { script: `printf '\\xe2\\x82'; sleep 0.05; printf '\\xac\\n'` });
    expect(o.out).toBe('€\n');
  });

  it('killing the process group ends the children the script started in the background', async () => {
    let grandchild = 0;
    let pgid = 0;
    const o = run(s, { script: 'sleep 300 & echo $!; wait' }, (pid) => (pgid = pid), (t) => (grandchild ||= Number(t.trim())));
    await until('the grandchild', () => grandchild > 0);
    expect(alive(grandchild)).toBe(true);
    process.kill(-pgid, 'SIGKILL'); // as the shell runner stops a run
    const end = await o;
    expect(end.signal).toBe('SIGKILL');
    await until('the grandchild to be gone', () => !alive(grandchild));
  });
});

const helpers: [string, () => ProcessSpawner & { pid(): number | null }][] = [
  ['node spawner process', () => new ChildSpawner(() => {}, ENTRY)],
  ['native spawner', () => new NativeSpawner(() => {})],
];

describe.each(helpers)('the %s', (_name, make) => {
  it('dying with runs in flight kills their process groups and reports them lost; the next run starts a new one', async () => {
    const s = make();
    let pgid = 0;
    let lost: Outcome | null = null;
    const started = new Promise<void>((res) => {
      void run(s, { script: 'sleep 30 & sleep 30' }, (pid) => {
        pgid = pid;
        res();
      }).then((o) => (lost = o));
    });
    await started;
    const first = s.pid();
    expect(first).not.toBeNull();
    process.kill(first!, 'SIGKILL');
    await until('the run to be lost and its group gone', () => lost !== null && !groupAlive(pgid));
    expect(lost).toMatchObject({ lost: expect.stringContaining('spawner exited') });
    const again = await run(s, { script: 'echo again' });
    expect(again.out).toBe('again\n');
    expect(s.pid()).not.toBe(first);
    await s.close();
  });

  it('ignores terminal signals and exits when its input ends', async () => {
    const s = make();
    expect((await run(s, { script: 'true' })).code).toBe(0); // up and listening
    const pid = s.pid()!;
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.kill(pid, sig);
    expect((await run(s, { script: 'echo still here' })).out).toBe('still here\n');
    await s.close();
    expect(alive(pid)).toBe(false);
  });
});

/** A helper driven over its own protocol, as ojd drives it. */
function rawHelper(dialect: SpawnerDialect) {
  const child = spawn(dialect.file, dialect.args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const events: NativeEvent[] = [];
  child.stdout.on('data', dialect.reader((e) => events.push(e), (what) => events.push({ t: 'exit', id: -1, code: null, signal: null, error: `bad: ${what}` })));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const send = (q: Parameters<SpawnerDialect['encode']>[0]) => child.stdin.write(dialect.encode(q));
  const started = (id: number) => events.find((e) => e.t === 'started' && e.id === id) as { pid: number } | undefined;
  return { child, events, exited, send, started };
}

const sleeper = (id: number) => ({ t: 'run' as const, id, r: { script: 'sleep 30', cwd: dir, env: { PATH: process.env.PATH ?? '' }, pipeOutput: false } });

describe.each([
  ['node spawner process', () => nodeDialect(ENTRY)],
  ['native spawner', () => nativeDialect(NATIVE_SPAWNER)],
] as const)('the %s when ojd goes away', (_name, dialect) => {
  it('kills the groups whose start ojd had not acknowledged, leaves the others, and exits', async () => {
    const h = rawHelper(dialect());
    h.send(sleeper(1));
    h.send(sleeper(2));
    await until('both to start', () => h.started(1) !== undefined && h.started(2) !== undefined);
    h.send({ t: 'recorded', id: 1 });
    h.child.stdin.end();
    await h.exited;
    const [one, two] = [h.started(1)!.pid, h.started(2)!.pid];
    await until('the unacknowledged group to be gone', () => !groupAlive(two));
    expect(groupAlive(one)).toBe(true);
    process.kill(-one, 'SIGKILL');
  });
});

describe('the native spawner protocol', () => {
  it('kills a run\'s process group on request, grandchildren included, and reports the signal', async () => {
    const h = rawHelper(nativeDialect(NATIVE_SPAWNER));
    h.send({ t: 'run', id: 7, r: { script: 'sleep 300 & echo $!; wait', cwd: dir, env: { PATH: process.env.PATH ?? '' }, pipeOutput: true } });
    await until('the grandchild', () => h.events.some((e) => e.t === 'out'));
    const grandchild = Number((h.events.find((e) => e.t === 'out') as { d: string }).d.trim());
    h.child.stdin.write(nativeDialect(NATIVE_SPAWNER).encode({ t: 'recorded', id: 7 }));
    const { encodeRequest } = await import('./native-frames.js');
    h.child.stdin.write(encodeRequest({ t: 'kill', id: 7, signal: 'SIGTERM' }));
    await until('the run to end', () => h.events.some((e) => e.t === 'exit' && e.id === 7));
    expect(h.events.find((e) => e.t === 'exit')).toMatchObject({ code: null, signal: 'SIGTERM' });
    await until('the grandchild to be gone', () => !alive(grandchild));
    h.child.stdin.end();
    await h.exited;
  });

  it('exits at once on a frame no ojd would send, killing what only it knew', async () => {
    const h = rawHelper(nativeDialect(NATIVE_SPAWNER));
    h.send(sleeper(1));
    await until('the start', () => h.started(1) !== undefined);
    h.child.stdin.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x52]));
    await h.exited;
    await until('its group to be gone', () => !groupAlive(h.started(1)!.pid));
  });
});
