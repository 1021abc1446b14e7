/** Workspaces: git worktrees pipelines work in. */
import { z } from 'zod';
import { method } from '../rpc.js';
import { once } from '../once.js';

export interface WorkspaceInfo {
  name: string;
  path: string;
  branch: string | null;
  /** Active pipelines using it. */
  pipelines: string[];
  /** Whether ojd manages it (under its state dir) or the project made it. */
  managed: boolean;
}

const project = once(() => z.string().min(1));

/**
 * Why git would refuse `name` as a branch (git check-ref-format's rules for
 * refs/heads/<name>), or read it as an option; null when it is fine.
 */
export function branchNameProblem(name: string): string | null {
  if (name === '') return 'a branch name cannot be empty';
  if (name.startsWith('-')) return 'a branch name cannot start with - (git would read it as an option)';
  if (name === '@') return 'a branch cannot be named @';
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'a branch name cannot hold spaces, control characters or any of ~ ^ : ? * [ \\';
  if (name.includes('..')) return 'a branch name cannot hold ..';
  if (name.includes('@{')) return 'a branch name cannot hold @{';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'a branch name cannot start or end with /, or hold //';
  if (name.endsWith('.')) return 'a branch name cannot end with .';
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) return 'no part of a branch name (between /) can start with . or end with .lock';
  return null;
}

const branch = once(() =>
  z
    .string()
    .max(250)
    .superRefine((name, ctx) => {
      const problem = branchNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
);

export const List = method<{ workspaces: WorkspaceInfo[] }>()(
  'workspaces.list',
  () => z.object({ project: project() }).strict(),
  "The project's git worktrees, with the pipelines using each.",
);

export const Show = method<{ workspace: WorkspaceInfo }>()(
  'workspaces.show',
  () => z.object({ project: project(), name: z.string().min(1) }).strict(),
  'One workspace, by name or path.',
);

export const Create = method<{ workspace: WorkspaceInfo }>()(
  'workspaces.create',
  () =>
    z
      .object({
        project: project(),
        name: z
          .string()
          .max(200)
          .regex(/^[A-Za-z0-9_.-]+$/, 'names use letters, digits, _ . -')
          .refine((n) => !/^\.+$/.test(n), 'a workspace name cannot be only dots (. and .. name directories)'),
        branch: branch().optional(),
      })
      .strict(),
  'Create a worktree under the state dir on a new (or existing) branch.',
);

export const Delete = method<{ deleted: string }>()(
  'workspaces.delete',
  () => z.object({ project: project(), name: z.string().min(1), force: z.boolean().optional() }).strict(),
  'Remove a worktree (refused while an active pipeline uses it, unless `force`).',
);
