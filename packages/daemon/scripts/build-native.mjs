#!/usr/bin/env node
/**
 * Builds oj's native spawner (native/oj-spawn.c -> build/oj-spawn) with the
 * system's C compiler ($CC, else cc), the toolchain node-gyp already needs
 * for better-sqlite3 and node-pty. Runs at install (this package's `install`
 * script) and in `npm run build` (`--if-stale`: only when the binary is
 * missing or older than its source).
 *
 * On Linux it is linked statically first (`-static`, glibc's libc.a from
 * libc6-dev): the helper then maps no shared libc, and its resident memory
 * is ~0.7 MB instead of ~1.5 MB (it counts in ojd's idle memory,
 * docs/performance.md). Where no static libc is installed the plain dynamic
 * link is used.
 *
 * A build that fails is not an install that fails: ojd then starts children
 * through its Node spawner process and `oj daemon status` says why. With
 * `--strict` a failure exits non-zero (for whoever wants to know).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(pkg, 'native', 'oj-spawn.c');
const target = join(pkg, 'build', 'oj-spawn');
const args = new Set(process.argv.slice(2));

function stale() {
  if (!existsSync(target)) return true;
  return statSync(target).mtimeMs < statSync(source).mtimeMs;
}

if (process.platform === 'win32') {
  console.log('oj-spawn: not built on Windows (ojd uses its Node spawner there)');
  process.exit(0);
}
if (args.has('--if-stale') && !stale()) process.exit(0);

mkdirSync(dirname(target), { recursive: true });
const cc = process.env.CC || 'cc';
const temp = `${target}.${process.pid}.tmp`;
const compile = (extra, stdio) => spawnSync(cc, ['-O2', '-Wall', '-Wextra', ...extra, '-o', temp, source], { stdio });
// The static attempt is quiet: a missing libc.a is not worth a warning when the dynamic link works.
const staticBuild = process.platform === 'linux' ? compile(['-static'], ['ignore', 'ignore', 'ignore']) : null;
const r = staticBuild?.status === 0 ? staticBuild : compile([], ['ignore', 'inherit', 'inherit']);
if (r.status === 0) {
  renameSync(temp, target); // never a half-written binary in its place
  console.log(`oj-spawn: built ${relative(process.cwd(), target) || target}${r === staticBuild ? ' (static)' : ''}`);
  process.exit(0);
}
rmSync(temp, { force: true });
const why = r.error ? `${cc}: ${r.error.message}` : `${cc} exited with ${r.status ?? r.signal}`;
console.warn(`oj-spawn: could not build the native spawner (${why}); ojd will start children through its Node spawner process instead`);
process.exit(args.has('--strict') ? 1 : 0);
