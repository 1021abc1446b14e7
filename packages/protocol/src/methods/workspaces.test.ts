import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { branchNameProblem, Create } from './workspaces.js';

/** What git itself says of a branch name (`git branch` also refuses @, which means HEAD). */
function gitAccepts(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore' });
    return !name.startsWith('-') && name !== '@';
  } catch {
    return false;
  }
}

describe('branch names for workspaces.create', () => {
  const names = ['main', 'oj/fix-1', 'a.b', 'x_y-z', 'feature/a/b', '', '-x', '--force', '@', 'a b', 'a\tb', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b',
    '../x', 'a..b', 'a@{1}', '/a', 'a/', 'a//b', 'a.', '.a', 'a/.b', 'x.lock', 'a/x.lock/b', 'a\u0000b', 'a\u007fb', 'é', '$(touch x)'];

  it.each(names)('%j: refused exactly when git refuses it (or would read it as an option)', (name) => {
    expect(branchNameProblem(name) === null).toBe(gitAccepts(name));
  });

  it('a refused branch is invalid params with the reason, before anything runs', () => {
    const r = Create.params.safeParse({ project: '/p', name: 'w', branch: '-f' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/cannot start with -/);
    expect(Create.params.safeParse({ project: '/p', name: 'w', branch: 'oj/w' }).success).toBe(true);
  });
});
