/**
 * Before oj starts an agent with `heartbeat = "claude"`, it merges its hooks
 * into `.claude/settings.local.json` of the directory the agent runs in: one
 * command hook per event (CLAUDE_HOOK_EVENTS), each `oj session hook`. What
 * the file held is kept (permissions, the project's and the user's own
 * hooks); oj's own entries (any hook whose command runs `oj session hook`)
 * are replaced, so a restart never duplicates them. Only called for a
 * directory oj starts the agent in.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLAUDE_HOOK_EVENTS } from '@oj/protocol';

export const OJ_HOOK_COMMAND = 'oj session hook';
const OJ_HOOK = /(^|[\s/;&|])oj session hook(\s|$)/;

type HookEntry = { type?: unknown; command?: unknown; [k: string]: unknown };
type HookGroup = { matcher?: unknown; hooks?: unknown; [k: string]: unknown };

/** Events whose hooks take a tool matcher. */
const TOOL_EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PostToolUseFailure']);

function readSettings(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') return {};
  const v = JSON.parse(text) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${path} does not hold a JSON object`);
  return v as Record<string, unknown>;
}

const isOurs = (h: unknown): boolean => typeof h === 'object' && h !== null && typeof (h as HookEntry).command === 'string' && OJ_HOOK.test((h as HookEntry).command as string);

/** `settings` with oj's hooks merged in (pure). */
export function mergeOjHooks(settings: Record<string, unknown>, command: string = OJ_HOOK_COMMAND): Record<string, unknown> {
  const hooks: Record<string, unknown> =
    typeof settings.hooks === 'object' && settings.hooks !== null && !Array.isArray(settings.hooks) ? { ...(settings.hooks as Record<string, unknown>) } : {};
  for (const event of CLAUDE_HOOK_EVENTS) {
    const groups = Array.isArray(hooks[event]) ? (hooks[event] as unknown[]) : [];
    // Others' groups stay; within them oj's own commands go (a group left empty goes too).
    const kept = groups.flatMap((g): unknown[] => {
      if (typeof g !== 'object' || g === null || !Array.isArray((g as HookGroup).hooks)) return [g];
      const group = g as HookGroup;
      const rest = (group.hooks as unknown[]).filter((h) => !isOurs(h));
      if (rest.length === (group.hooks as unknown[]).length) return [g];
      return rest.length ? [{ ...group, hooks: rest }] : [];
    });
    const ours: HookGroup = { ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}), hooks: [{ type: 'command', command }] };
    hooks[event] = [...kept, ours];
  }
  return { ...settings, hooks };
}

/** Merges oj's hooks into `<dir>/.claude/settings.local.json` (written atomically); returns its path. */
export function installOjHooks(dir: string): string {
  const target = join(dir, '.claude', 'settings.local.json');
  const merged = mergeOjHooks(readSettings(target));
  mkdirSync(join(dir, '.claude'), { recursive: true });
  const tmp = `${target}.oj-${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(merged, null, 2) + '\n');
  renameSync(tmp, target);
  return target;
}
