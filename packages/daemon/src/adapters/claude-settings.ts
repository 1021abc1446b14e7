/**
 * Agents in a workspace call `oj` back, so the workspace's
 * `.claude/settings.local.json` allows `Bash(oj:*)`. The project's own
 * `.claude/settings.json` is merged in (its permissions kept), never
 * overwritten, and an existing settings.local.json keeps its entries.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Settings = { permissions?: { allow?: string[]; [k: string]: unknown }; [k: string]: unknown };

function read(path: string): Settings {
  if (!existsSync(path)) return {};
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Settings) : {};
  } catch {
    return {};
  }
}

export const OJ_PERMISSION = 'Bash(oj:*)';

export function grantOjToAgents(projectRoot: string, workspace: string): string {
  const project = read(join(projectRoot, '.claude', 'settings.json'));
  const target = join(workspace, '.claude', 'settings.local.json');
  const local = read(target);
  const merged: Settings = { ...project, ...local };
  const allow = new Set([...(project.permissions?.allow ?? []), ...(local.permissions?.allow ?? []), OJ_PERMISSION]);
  merged.permissions = { ...(project.permissions ?? {}), ...(local.permissions ?? {}), allow: [...allow] };
  mkdirSync(join(workspace, '.claude'), { recursive: true });
  writeFileSync(target, JSON.stringify(merged, null, 2) + '\n');
  return target;
}
