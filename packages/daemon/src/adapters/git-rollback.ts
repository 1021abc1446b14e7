/**
 * The built-in `rollback` for a pipeline: its git work tree goes back to a
 * known commit (`git reset --hard`). The work tree is the pipeline's
 * `{workspace}`, whoever made it: oj, or the pipeline's own setup phase
 * (`git worktree add {workspace} -b {branch}`, the concept document's shape).
 * The commit is the strategy checkpoint the pipeline last took, else the
 * commit its branch was created at (the branch's first reflog entry).
 *
 * Synchronous on purpose: the phase that runs again after a rollback must
 * find the work tree already reset. The project's own checkout is never reset.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

export type RollbackResult =
  | { ok: true; workspace: string; from: string; to: string; target: 'checkpoint' | 'branch start' }
  | { ok: false; reason: string };

const TIMEOUT_MS = 60_000;

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', timeout: TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return null;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function rollbackWorkTree(opts: { workspace: string | null; projectRoot: string; checkpoint: string | null }): RollbackResult {
  const ws = opts.workspace;
  if (!ws || !isDir(ws)) return { ok: false, reason: ws ? `it has no git work tree (its workspace ${ws} does not exist)` : 'it has no workspace' };
  const top = git(ws, ['rev-parse', '--show-toplevel']);
  if (top === null) return { ok: false, reason: `it has no git work tree (${ws} is not in one)` };
  const projectTop = git(opts.projectRoot, ['rev-parse', '--show-toplevel']);
  if (projectTop !== null && resolve(projectTop) === resolve(top)) {
    return { ok: false, reason: `its workspace is the project's own checkout (${top}), which oj never resets` };
  }
  let to = opts.checkpoint;
  let target: 'checkpoint' | 'branch start' = 'checkpoint';
  if (!to) {
    const branch = git(top, ['symbolic-ref', '--short', '-q', 'HEAD']);
    if (!branch) return { ok: false, reason: `no checkpoint, and ${top} is on no branch to go back to the start of` };
    const log = git(top, ['reflog', 'show', '--format=%H', `refs/heads/${branch}`]);
    const first = log?.split('\n').filter(Boolean).pop();
    if (!first) return { ok: false, reason: `no checkpoint, and branch ${branch} has no reflog to find its start in` };
    to = first;
    target = 'branch start';
  }
  const from = git(top, ['rev-parse', 'HEAD']) ?? '';
  try {
    execFileSync('git', ['reset', '--hard', to], { cwd: top, timeout: TIMEOUT_MS, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, reason: `git reset --hard ${to} failed: ${stderr || (err as Error).message}` };
  }
  return { ok: true, workspace: top, from, to, target };
}
