import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildSpawner, NativeSpawner, type HelperSpawner } from '../spawner/helper-spawner.js';
import { InlineSpawner } from '../spawner/process-spawner.js';
import { ChildEnvironment } from './child-env.js';
import { ShellRunner } from './shell-runner.js';

/** The compiled spawner script (npm test builds before it runs the tests). */
const ENTRY = resolve(import.meta.dirname, '../../dist/spawner/spawner-process.js');
const dir = mkdtempSync(join(tmpdir(), 'oj-shell-'));
const environment = new ChildEnvironment({ stateDir: dir, socketPath: join(dir, 'ojd.sock'), ojBinDir: null }, { PATH: process.env.PATH ?? '/usr/bin:/bin' });
const env = environment.of({ project: dir });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const helpers: [string, () => HelperSpawner][] = [
  ['the node spawner process', () => new ChildSpawner(() => {}, ENTRY)],
  ['the native spawner', () => new NativeSpawner(() => {})],
];

describe.each(helpers)('ShellRunner through %s', (_name, make) => {
  it('runs a script again, once, when the spawner dies under it, recording each process group', async () => {
    const spawner = make();
    const shell = new ShellRunner(spawner, environment);
    const tag = make().kind;
    const runs = join(dir, `runs-${tag}`);
    const go = join(dir, `go-${tag}`);
    const log = join(dir, `lost-${tag}.log`);
    const groups: number[] = [];
    const run = shell.run({
      script: `echo run >> ${runs}; while [ ! -e ${go} ]; do sleep 0.02; done`,
      cwd: dir,
      env,
      logFile: log,
      onStarted: (pgid) => groups.push(pgid),
    });
    // The script can write before its start has reached us: wait for both, so the group is known.
    await until('the first run', () => existsSync(runs) && groups.length === 1);
    const first = spawner.pid();
    process.kill(first!, 'SIGKILL');
    await until('the second run', () => readFileSync(runs, 'utf8') === 'run\nrun\n');
    writeFileSync(go, '');
    const o = await run.done;
    expect(o).toMatchObject({ exitCode: 0, stoppedBecause: null });
    expect(groups).toHaveLength(2);
    expect(groups[0]).not.toBe(groups[1]);
    expect(spawner.pid()).not.toBe(first);
    expect(readFileSync(log, 'utf8')).toMatch(/\[oj\] oj's process spawner exited \(SIGKILL\) while this ran; running it again/);
    await spawner.close();
  });

  it('gives up with the reason when the spawner dies a second time', async () => {
    const spawner = make();
    const shell = new ShellRunner(spawner, environment);
    const groups: number[] = [];
    const run = shell.run({ script: 'sleep 30', cwd: dir, env, onStarted: (pgid) => groups.push(pgid) });
    for (let n = 1; n <= 2; n++) {
      await until(`start ${n}`, () => groups.length === n);
      process.kill(spawner.pid()!, 'SIGKILL');
    }
    const o = await run.done;
    expect(o.exitCode).toBeNull();
    expect(o.stoppedBecause).toMatch(/process spawner exited/);
    await spawner.close();
  });

  it('does not start a run again when ojd itself closes the spawner', async () => {
    const spawner = make();
    const shell = new ShellRunner(spawner, environment);
    const groups: number[] = [];
    const run = shell.run({ script: 'sleep 30', cwd: dir, env, onStarted: (pgid) => groups.push(pgid) });
    await until('the start', () => groups.length === 1);
    await spawner.close();
    const o = await run.done;
    expect(o.stoppedBecause).toBe('ojd stopped its process spawner');
    expect(groups).toHaveLength(1);
    expect(spawner.pid()).toBeNull();
  });
});

describe('ShellRunner: process groups', () => {
  it('each runner knows and stops only the groups it started', async () => {
    const a = new ShellRunner(new InlineSpawner(), environment);
    const b = new ShellRunner(new InlineSpawner(), environment);
    const run = a.run({ script: 'sleep 30', cwd: dir, env });
    const pgid = await run.started;
    expect(pgid).toBeGreaterThan(0);
    expect(a.liveGroups()).toBe(1);
    expect(b.liveGroups()).toBe(0);
    expect(await b.stopAll(100)).toBe(0);
    expect(() => process.kill(-pgid, 0)).not.toThrow();
    expect(await a.stopAll(2000)).toBe(1);
    expect((await run.done).exitCode).toBeNull();
    expect(a.liveGroups()).toBe(0);
  });
});
