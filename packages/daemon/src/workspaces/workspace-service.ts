/**
 * A project's git worktrees: the ones ojd manages (under `<state>/workspaces/`)
 * and the ones pipelines use. What `workspaces.*` asks: list, find, create,
 * delete (refused while an active pipeline uses it, unless forced).
 */
import { basename, join, resolve } from 'node:path';
import { OjError, type WorkspaceInfo } from '@oj/protocol';
import { NoCommitError, addWorktree, listWorktrees, removeWorktree } from '../adapters/git-worktree.js';
import { ACTIVE_STATUSES } from '../core/pipeline-state.js';
import type { Storage } from '../storage/storage.js';

export class WorkspaceService {
  private readonly managedRoot: string;

  constructor(
    private readonly storage: Storage,
    stateDir: string,
  ) {
    this.managedRoot = join(stateDir, 'workspaces');
  }

  /** The project's worktrees (not the project's own checkout), with the active pipelines using each. */
  async list(project: string): Promise<WorkspaceInfo[]> {
    const using = this.users(project);
    const trees = await listWorktrees(project).catch(() => []);
    return trees
      .filter((t) => resolve(t.path) !== resolve(project))
      .map((t) => ({
        name: basename(t.path),
        path: t.path,
        branch: t.branch,
        pipelines: using.get(t.path) ?? [],
        managed: t.path.startsWith(this.managedRoot),
      }));
  }

  /** A worktree by its name or path. */
  async find(project: string, name: string): Promise<WorkspaceInfo> {
    const all = await this.list(project);
    const w = all.find((x) => x.name === name || x.path === name || x.path === resolve(name));
    if (!w) throw OjError.notFound('workspace', name, { hint: all.length ? `workspaces: ${all.map((x) => x.name).join(', ')}` : 'this project has no worktrees' });
    return w;
  }

  /** A managed worktree `name` on `branch` (default `oj/<name>`). */
  async create(project: string, name: string, branch?: string): Promise<WorkspaceInfo> {
    const path = join(this.managedRoot, name);
    const on = branch ?? `oj/${name}`;
    try {
      await addWorktree(project, path, on);
    } catch (err) {
      // What git refused (a branch checked out elsewhere, not a repository...) is the repository's state, not a bug in ojd.
      if (err instanceof NoCommitError) throw OjError.illegalState(err.message);
      const message = (err as Error).message;
      const fatal = /^(?:fatal|error): (.*)$/m.exec(message)?.[1] ?? message.split('\n').pop() ?? message;
      throw OjError.illegalState(`workspace ${name} not created on branch ${on}: ${fatal}`, { name, branch: on });
    }
    return this.find(project, path);
  }

  /** Removes a worktree; refused while active pipelines use it, unless `force`. Answers its path. */
  async delete(project: string, name: string, force: boolean): Promise<string> {
    const w = await this.find(project, name);
    if (w.pipelines.length && !force) {
      throw OjError.illegalState(`workspace ${w.name} is used by ${w.pipelines.join(', ')}`, { hint: 'cancel those pipelines first, or pass --force' });
    }
    await removeWorktree(project, w.path);
    return w.path;
  }

  /** Workspace path -> ids of the active pipelines of the project using it. */
  private users(project: string): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const r of this.storage.pipelines.list({ project, statuses: [...ACTIVE_STATUSES] })) {
      const ws = typeof r.vars.workspace === 'string' ? r.vars.workspace : null;
      if (ws) map.set(ws, [...(map.get(ws) ?? []), r.state.handle]);
    }
    return map;
  }
}
