/** Workspaces: git worktrees pipelines work in. */
import { z } from 'zod';
import { method } from '../rpc.js';

export interface WorkspaceInfo {
  name: string;
  path: string;
  branch: string | null;
  /** Active pipelines using it. */
  pipelines: string[];
  /** Whether ojd manages it (under its state dir) or the project made it. */
  managed: boolean;
}

const project = z.string().min(1);

export const List = method<{ workspaces: WorkspaceInfo[] }>()(
  'workspaces.list',
  z.object({ project }).strict(),
  "The project's git worktrees, with the pipelines using each.",
);

export const Show = method<{ workspace: WorkspaceInfo }>()(
  'workspaces.show',
  z.object({ project, name: z.string().min(1) }).strict(),
  'One workspace, by name or path.',
);

export const Create = method<{ workspace: WorkspaceInfo }>()(
  'workspaces.create',
  z
    .object({
      project,
      name: z
        .string()
        .max(200)
        .regex(/^[A-Za-z0-9_.-]+$/, 'names use letters, digits, _ . -')
        .refine((n) => !/^\.+$/.test(n), 'a workspace name cannot be only dots (. and .. name directories)'),
      branch: z.string().optional(),
    })
    .strict(),
  'Create a worktree under the state dir on a new (or existing) branch.',
);

export const Delete = method<{ deleted: string }>()(
  'workspaces.delete',
  z.object({ project, name: z.string().min(1), force: z.boolean().optional() }).strict(),
  'Remove a worktree (refused while an active pipeline uses it, unless `force`).',
);
