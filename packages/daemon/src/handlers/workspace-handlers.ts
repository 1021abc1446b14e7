/** workspaces.*: the project's git worktrees, the ones ojd manages and the ones pipelines use. */
import { basename, join, resolve } from 'node:path';
import { OjError, WorkspaceMethods, type WorkspaceInfo } from '@oj/protocol';
import { NoCommitError, addWorktree, listWorktrees, removeWorktree } from '../adapters/git-worktree.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import { ACTIVE_STATUSES } from '../core/pipeline-state.js';
import type { Storage } from '../storage/storage.js';

export function registerWorkspaceHandlers(router: RpcRouter, storage: Storage, stateDir: string): void {
  const managedRoot = join(stateDir, 'workspaces');
  const users = (project: string) => {
    const map = new Map<string, string[]>();
    for (const r of storage.pipelines.list({ project, statuses: ACTIVE_STATUSES })) {
      const ws = typeof r.vars.workspace === 'string' ? r.vars.workspace : null;
      if (ws) map.set(ws, [...(map.get(ws) ?? []), r.state.handle]);
    }
    return map;
  };
  const list = async (project: string): Promise<WorkspaceInfo[]> => {
    const using = users(project);
    const trees = await listWorktrees(project).catch(() => []);
    return trees
      .filter((t) => resolve(t.path) !== resolve(project))
      .map((t) => ({
        name: basename(t.path),
        path: t.path,
        branch: t.branch,
        pipelines: using.get(t.path) ?? [],
        managed: t.path.startsWith(managedRoot),
      }));
  };
  const find = async (project: string, name: string): Promise<WorkspaceInfo> => {
    const all = await list(project);
    const w = all.find((x) => x.name === name || x.path === name || x.path === resolve(name));
    if (!w) throw OjError.notFound('workspace', name, { hint: all.length ? `workspaces: ${all.map((x) => x.name).join(', ')}` : 'this project has no worktrees' });
    return w;
  };

  router.handle(WorkspaceMethods.List, async (p) => ({ workspaces: await list(p.project) }));
  router.handle(WorkspaceMethods.Show, async (p) => ({ workspace: await find(p.project, p.name) }));
  router.handle(WorkspaceMethods.Create, async (p) => {
    const path = join(managedRoot, p.name);
    try {
      await addWorktree(p.project, path, p.branch ?? `oj/${p.name}`);
    } catch (err) {
      if (err instanceof NoCommitError) throw OjError.illegalState(err.message);
      throw err;
    }
    return { workspace: await find(p.project, path) };
  });
  router.handle(WorkspaceMethods.Delete, async (p) => {
    const w = await find(p.project, p.name);
    if (w.pipelines.length && !p.force) {
      throw OjError.illegalState(`workspace ${w.name} is used by ${w.pipelines.join(', ')}`, { hint: 'cancel those pipelines first, or pass --force' });
    }
    await removeWorktree(p.project, w.path);
    return { deleted: w.path };
  });
}
