/**
 * The state directory is trusted: `<state>/bin` comes first on every child's
 * PATH, the log and the database are written there. So a state dir others
 * could write is refused (with how to fix it), and so is any entry in it that
 * ojd did not make (a link, another user's file) even once the directory has
 * been made private: nothing planted there is ever run or written through.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killHard, startOjd, type Ojd } from './helpers/crash-kit.js';
import { TestEnv, canConnect, makeProject, waitFor } from './helpers/ojd-harness.js';

let t: TestEnv;
let daemons: Ojd[] = [];
beforeEach(() => {
  t = new TestEnv();
  daemons = [];
});
afterEach(async () => {
  await t.cleanup();
  for (const d of daemons) await killHard(d);
});

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
if (!asRoot) console.log('state-dir.e2e: the planting by another user is skipped: it needs root to act as uid 65534 (runuser)');

const RUNBOOK = `[command.st]\nrun = "git status"\n`;

/** The exit code of an ojd expected to refuse to start (fails, rather than hangs, if it runs). */
async function refusedExit(d: Ojd): Promise<number | null> {
  let ended: { code: number | null } | null = null;
  void d.exited.then((e) => (ended = e));
  return (await waitFor('ojd to refuse to start and exit', () => ended, 20_000)).code;
}

describe('state directory', { timeout: 120_000 }, () => {
  it('refuses a state dir others can write, saying how to fix it; no daemon starts and nothing is written inside', async () => {
    mkdirSync(t.stateDir, { mode: 0o777 });
    chmodSync(t.stateDir, 0o777);
    const root = makeProject(t, 'proj', { r: RUNBOOK });

    const r = await t.oj(['run', 'st'], { cwd: root });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`${t.stateDir} can be written by other users (mode 0777)`);
    expect(r.stderr).toContain(`chmod 700 ${t.stateDir}`);
    expect(readdirSync(t.stateDir)).toEqual([]);
    expect(statSync(t.stateDir).mode & 0o7777).toBe(0o777); // not repaired behind the user's back
    expect(await canConnect(t.socket)).toBe(false);

    // ojd started directly (systemd, launchd) refuses the same way, on stderr only.
    const d = await startOjd(t, {}, false);
    daemons.push(d);
    expect(await refusedExit(d)).toBe(1);
    expect(d.stderr()).toContain(`chmod 700 ${t.stateDir}`);
    expect(readdirSync(t.stateDir)).toEqual([]);

    // The fix the message gives works.
    chmodSync(t.stateDir, 0o700);
    const ok = await t.oj(['status'], { cwd: root });
    expect(ok.exitCode, ok.stderr).toBe(0);
  });

  it.runIf(asRoot)('never runs or writes through what another user planted in the state dir while it was open, once it is private', async () => {
    // Another user (nobody) must reach the state dir: the test root is made traversable.
    chmodSync(t.root, 0o755);
    mkdirSync(t.stateDir, { mode: 0o777 });
    chmodSync(t.stateDir, 0o777);
    const evil = join(t.root, 'evil');
    mkdirSync(evil, { mode: 0o755 });
    chownSync(evil, NOBODY, NOBODY);
    const plant = [
      'set -e',
      `mkdir "${evil}/bin"`,
      `printf '#!/bin/sh\\ntouch "${evil}/git-ran"\\n' > "${evil}/bin/git"`,
      `chmod 755 "${evil}/bin/git"`,
      `ln -s "${evil}/bin" "${t.stateDir}/bin"`,
      `mkdir -m 777 "${t.stateDir}/sessions"`,
      `ln -s "${evil}/stolen.log" "${t.stateDir}/ojd.log"`,
    ].join('\n');
    execFileSync('runuser', ['-u', 'nobody', '--', 'sh', '-c', plant], { cwd: '/', stdio: 'pipe' });
    expect(statSync(join(t.stateDir, 'sessions')).uid).toBe(NOBODY);
    // The user tightens the directory (as the refusal of an open one tells), without looking inside.
    chmodSync(t.stateDir, 0o700);
    const root = makeProject(t, 'proj', { r: RUNBOOK });

    // ojd itself (as a service would start it) refuses the planted bin/.
    const d = await startOjd(t, {}, false);
    daemons.push(d);
    expect(await refusedExit(d)).toBe(1);
    expect(d.stderr()).toContain(`refusing to use ${join(t.stateDir, 'bin')}: it is a symbolic link (to ${evil}/bin)`);

    // So does `oj`, entry by entry, each with its path and the reason.
    const refused = async (path: string, reason: string) => {
      const r = await t.oj(['run', 'st'], { cwd: root });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain(`refusing to use ${path}: ${reason}`);
      expect(r.stderr).toContain(`rm -r ${path}`);
      expect(await canConnect(t.socket)).toBe(false);
    };
    await refused(join(t.stateDir, 'bin'), 'it is a symbolic link');
    rmSync(join(t.stateDir, 'bin'));
    await refused(join(t.stateDir, 'sessions'), `it is owned by uid ${NOBODY}, not by you`);
    rmSync(join(t.stateDir, 'sessions'), { recursive: true });
    await refused(join(t.stateDir, 'ojd.log'), 'it is a symbolic link');

    // Nothing ran from, or was written into, the other user's directory.
    expect(existsSync(join(evil, 'git-ran'))).toBe(false);
    expect(existsSync(join(evil, 'stolen.log'))).toBe(false);
    expect(readdirSync(join(evil, 'bin'))).toEqual(['git']);

    // With the last planted entry gone, oj works, with its own bin/.
    rmSync(join(t.stateDir, 'ojd.log'));
    const ok = await t.oj(['status'], { cwd: root });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(existsSync(join(t.stateDir, 'bin', 'oj'))).toBe(true);
    expect(existsSync(join(evil, 'git-ran'))).toBe(false);
    expect(existsSync(join(evil, 'stolen.log'))).toBe(false);
  });
});
