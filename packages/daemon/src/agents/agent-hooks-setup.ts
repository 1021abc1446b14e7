/**
 * What an agent session needs for hooks: oj's hooks in the settings of the
 * directory it starts in (heartbeat = "claude"), and the `[safety]`
 * protected paths in its environment, so that `oj session hook` blocks a
 * write into one before the tool runs, with or without ojd answering.
 */
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { PROTECTED_PATHS_ENV } from '@oj/protocol';
import { PhaseFailure } from '../engine/phase-runner.js';
import type { Project } from '../runbook/index.js';
import { installOjHooks } from './claude-hooks.js';

export function installHooksFor(cwd: string, agentName: string): void {
  try {
    installOjHooks(cwd);
  } catch (err) {
    throw new PhaseFailure(`cannot install the hooks of agent ${agentName} into ${cwd}/.claude/settings.local.json: ${(err as Error).message}`);
  }
}

/** Every runbook file's `[safety] protected` entries (an agent honours them all), made absolute. */
export function protectedEntries(project: Project, root: string, home: string = homedir()): string[] {
  const all = new Set<string>();
  for (const f of project.files) {
    for (const entry of f.safety?.protected ?? []) {
      const expanded = entry === '~' ? home : entry.startsWith('~/') ? home + entry.slice(1) : entry;
      all.add(isAbsolute(expanded) ? expanded : resolve(root, expanded));
    }
  }
  return [...all];
}

export function hookEnvironment(project: Project, root: string): Record<string, string> {
  const entries = protectedEntries(project, root);
  return entries.length ? { [PROTECTED_PATHS_ENV]: JSON.stringify(entries) } : {};
}
