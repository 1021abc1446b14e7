/**
 * Between a project's local root (what this daemon keys everything by) and
 * its cluster identity (what shared rows say): each root's identity is
 * worked out once (cluster/project-identity.ts) and remembered both ways.
 */
import type { ProjectRegistry } from '../projects/project-registry.js';
import { projectIdentity } from './project-identity.js';

export interface ProjectNames {
  identity(root: string): string;
  /** The local root of an identity, if this daemon serves it. */
  root(identity: string): string | undefined;
  /** The roots this daemon serves (the projects it has loaded). */
  served(): string[];
}

export class RegistryProjectNames implements ProjectNames {
  private readonly byRoot = new Map<string, string>();
  private readonly byIdentity = new Map<string, string>();

  constructor(private readonly projects: Pick<ProjectRegistry, 'peek' | 'roots'>) {}

  identity(root: string): string {
    let id = this.byRoot.get(root);
    if (id === undefined) {
      id = projectIdentity(root, this.projects.peek(root)?.config.project.name ?? null);
      this.byRoot.set(root, id);
      this.byIdentity.set(id, root);
    }
    return id;
  }

  served(): string[] {
    return this.projects.roots();
  }

  root(identity: string): string | undefined {
    const known = this.byIdentity.get(identity);
    if (known !== undefined) return known;
    for (const r of this.projects.roots()) if (this.identity(r) === identity) return r;
    return undefined;
  }
}

/** Identity and root the same (tests, a store that needs no mapping), serving `roots`. */
export function sameNames(...roots: string[]): ProjectNames {
  return { identity: (root) => root, root: (identity) => identity, served: () => roots };
}

export const SAME_NAMES: ProjectNames = sameNames();
