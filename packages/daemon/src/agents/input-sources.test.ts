import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildEnvironment } from '../adapters/child-env.js';
import { ShellRunner } from '../adapters/shell-runner.js';
import { InlineSpawner } from '../spawner/process-spawner.js';
import { createContext, evaluateAgentInputs } from '../runbook/index.js';
import { inputSourceExecutor, type InputSourceContext } from './input-sources.js';

const dir = mkdtempSync(join(tmpdir(), 'oj-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runner = new ShellRunner(new InlineSpawner(), new ChildEnvironment({ stateDir: dir, socketPath: join(dir, 'ojd.sock'), ojBinDir: null }));

/** Whether a pid is a live process (a zombie waiting for its reaper is not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A phase's side of a source run: its env, a stop signal the test fires, the groups it records. */
function phase(): { ctx: InputSourceContext; stop(reason: string): void; groups: number[] } {
  let stop: (reason: string) => void = () => {};
  const groups: number[] = [];
  const ctx: InputSourceContext = {
    shellRunner: runner,
    env: runner.env({ project: dir, oj: { OJ_PIPELINE: 'p-1' } }),
    stopSignal: new Promise<string>((r) => (stop = r)),
    processGroup: (pgid) => groups.push(pgid),
  };
  return { ctx, stop: (reason) => stop(reason), groups };
}

/** A source that starts a background process (its pid in `file`) and waits on it: it hangs. */
function hanging(file: string): string {
  return `sleep 600 & echo $! > ${file}; wait`;
}

describe('agent input sources', () => {
  it("run in the phase's environment and cwd, in a recorded process group; stdout, stderr and exit code come back", async () => {
    const p = phase();
    const run = inputSourceExecutor(p.ctx);
    const ok = await run('echo "$OJ_PIPELINE $(pwd)"; echo note >&2', dir);
    expect(ok).toEqual({ stdout: `p-1 ${dir}\n`, stderr: 'note\n', exitCode: 0 });
    expect(p.groups).toHaveLength(1);
    expect(await run('echo nope >&2; exit 3', dir)).toEqual({ stdout: '', stderr: 'nope\n', exitCode: 3 });
  });

  it('a source that hangs is killed at its timeout with everything it started, and the render fails naming the input', async () => {
    const p = phase();
    const pidFile = join(dir, 'timeout.pid');
    const inputs = [{ name: 'issues', source: hanging(pidFile) }];
    const render = evaluateAgentInputs(inputs, createContext(), inputSourceExecutor(p.ctx, 500), dir);
    await expect(render).rejects.toThrow('input "issues": source timed out after 500ms');
    await until('the background process of the source to end', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '' && !alive(Number(readFileSync(pidFile, 'utf8'))));
  });

  it('a source that hangs is killed with everything it started when the phase stops', async () => {
    const p = phase();
    const pidFile = join(dir, 'stop.pid');
    const result = inputSourceExecutor(p.ctx)(hanging(pidFile), dir);
    await until('the source to start its background process', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    p.stop('pipeline cancelled');
    expect(await result).toMatchObject({ failed: 'stopped: pipeline cancelled' });
    await until('the background process to end', () => !alive(pid));
  });

  it('a source still running at daemon stop is ended by the runner with the other children', async () => {
    const p = phase();
    const pidFile = join(dir, 'daemon-stop.pid');
    const result = inputSourceExecutor(p.ctx)(hanging(pidFile), dir);
    await until('the source to start its background process', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await runner.stopAll(2000)).toBeGreaterThanOrEqual(1);
    expect((await result).exitCode).not.toBe(0);
    await until('the background process to end', () => !alive(pid));
  });
});
