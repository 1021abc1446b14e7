/** Git worktrees for pipeline workspaces. */
import { existsSync } from 'node:fs';
import { loadExeca } from './lazy-execa.js';

async function git(cwd: string, args: string[]): Promise<string> {
  const { execa } = await loadExeca();
  const r = await execa('git', args, { cwd, reject: false });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${String(r.stderr || r.stdout).trim()}`);
  return String(r.stdout).trim();
}

export async function isGitRepository(dir: string): Promise<boolean> {
  const { execa } = await loadExeca();
  const r = await execa('git', ['rev-parse', '--is-inside-work-tree'], { cwd: dir, reject: false });
  return r.exitCode === 0 && String(r.stdout).trim() === 'true';
}

/** The repository has no commit for a new worktree's branch to start from. */
export class NoCommitError extends Error {
  override readonly name = 'NoCommitError';
  constructor(repo: string, branch: string) {
    super(
      `${repo} has no commit yet, and a worktree's branch (${branch}) starts from one: ` +
        'make a first commit (e.g. git commit --allow-empty -m "first commit")',
    );
  }
}

/** True when HEAD names a commit (a fresh `git init` has none until the first commit). */
export async function hasCommit(repo: string): Promise<boolean> {
  const { execa } = await loadExeca();
  const r = await execa('git', ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: repo, reject: false });
  return r.exitCode === 0;
}

/** Creates a worktree at `path` on `branch` (created from HEAD if it does not exist). */
export async function addWorktree(repo: string, path: string, branch: string): Promise<void> {
  if (!(await isGitRepository(repo))) throw new Error(`${repo} is not a git repository, so it cannot have worktrees`);
  if (existsSync(path)) {
    if (await isGitRepository(path)) return; // already there (e.g. re-run after a crash)
    throw new Error(`${path} exists and is not a git worktree`);
  }
  const { execa } = await loadExeca();
  const exists = await execa('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: repo, reject: false });
  if (exists.exitCode === 0) {
    await git(repo, ['worktree', 'add', path, branch]);
    return;
  }
  if (!(await hasCommit(repo))) {
    throw new NoCommitError(repo, branch);
  }
  await git(repo, ['worktree', 'add', '-b', branch, path]);
}

export async function removeWorktree(repo: string, path: string): Promise<void> {
  if (!existsSync(path)) return;
  await git(repo, ['worktree', 'remove', '--force', path]);
}

export interface WorktreeInfo {
  path: string;
  branch: string | null;
  head: string | null;
}

export async function listWorktrees(repo: string): Promise<WorktreeInfo[]> {
  const out = await git(repo, ['worktree', 'list', '--porcelain']);
  const list: WorktreeInfo[] = [];
  let cur: WorktreeInfo | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) {
      cur = { path: line.slice(9), branch: null, head: null };
      list.push(cur);
    } else if (cur && line.startsWith('branch ')) cur.branch = line.slice(7).replace(/^refs\/heads\//, '');
    else if (cur && line.startsWith('HEAD ')) cur.head = line.slice(5);
  }
  return list;
}
