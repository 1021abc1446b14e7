/** workspaces.*: the project's git worktrees, the ones ojd manages and the ones pipelines use (workspaces/workspace-service.ts). */
import { WorkspaceMethods } from '@oj/protocol';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { WorkspaceService } from '../workspaces/workspace-service.js';

export function registerWorkspaceHandlers(router: RpcRouter, workspaces: WorkspaceService): void {
  router.handle(WorkspaceMethods.List, async (p) => ({ workspaces: await workspaces.list(p.project) }));
  router.handle(WorkspaceMethods.Show, async (p) => ({ workspace: await workspaces.find(p.project, p.name) }));
  router.handle(WorkspaceMethods.Create, async (p) => ({ workspace: await workspaces.create(p.project, p.name, p.branch) }));
  router.handle(WorkspaceMethods.Delete, async (p) => ({ deleted: await workspaces.delete(p.project, p.name, p.force ?? false) }));
}
