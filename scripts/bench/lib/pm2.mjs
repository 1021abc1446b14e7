/**
 * pm2's idle daemon, the memory row's reference: what a process manager
 * people would use instead keeps resident when it has nothing to do. pm2 is
 * installed at bench time into a temp directory (`npm install --prefix`),
 * never as a project dependency; `pm2 ping` starts its daemon under a
 * private PM2_HOME; its RSS is read from /proc; `pm2 kill` (then SIGKILL of
 * its pid, if need be) ends it. Anything that fails (no network, no npm)
 * skips the comparison with a printed reason.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchEnv } from './procs.mjs';

/** How long the install may take (a cold npm cache on a slow network). */
const INSTALL_TIMEOUT_MS = 180_000;

function run(cmd, args, { env, timeout }) {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ ok: !err, error: err, stdout, stderr });
    });
  });
}

function firstLine(text) {
  return (text ?? '').split('\n').map((l) => l.trim()).find((l) => l && !/^npm (warn|notice)/i.test(l)) ?? '';
}

/**
 * Installs pm2 and starts its daemon. Resolves with a handle
 * ({ pid, version, stop() }) or { skipped: reason }.
 */
export async function startPm2(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  const env = benchEnv();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = await run(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', 'pm2'], { env, timeout: INSTALL_TIMEOUT_MS });
  const bin = join(dir, 'node_modules', 'pm2', 'bin', 'pm2');
  if (!install.ok || !existsSync(bin)) {
    return { skipped: `npm install pm2 failed: ${firstLine(install.stderr) || firstLine(install.error?.message) || 'unknown error'}` };
  }
  const version = JSON.parse(readFileSync(join(dir, 'node_modules', 'pm2', 'package.json'), 'utf8')).version;
  const home = join(dir, 'home');
  const pm2Env = benchEnv({ PM2_HOME: home });
  const ping = await run(process.execPath, [bin, 'ping'], { env: pm2Env, timeout: 60_000 });
  const pidFile = join(home, 'pm2.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
  if (!ping.ok || !Number.isInteger(pid) || !existsSync(`/proc/${pid}`)) {
    return { skipped: `pm2 ping did not start pm2's daemon: ${firstLine(ping.stderr) || firstLine(ping.error?.message) || 'no pid file'}` };
  }
  return {
    pid,
    version,
    async stop() {
      await run(process.execPath, [bin, 'kill'], { env: pm2Env, timeout: 30_000 });
      if (existsSync(`/proc/${pid}`)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    },
  };
}
