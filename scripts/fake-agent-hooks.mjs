/**
 * The Claude Code side of fake-agent: hooks. Like Claude Code, it reads the
 * hooks from `.claude/settings.json` and `.claude/settings.local.json` in its
 * working directory and runs each matching command hook with the event's JSON
 * payload on stdin (the common fields session_id, transcript_path, cwd,
 * permission_mode, hook_event_name, then the event's own) and its own
 * environment. A PreToolUse hook that exits 2 blocks the tool; its stderr is
 * what the model would be shown. See scripts/fake-agent.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the matcher of each event is tested against. */
const MATCHED_FIELD = {
  PreToolUse: 'tool_name',
  PostToolUse: 'tool_name',
  PostToolUseFailure: 'tool_name',
  Notification: 'notification_type',
  SessionStart: 'source',
  SessionEnd: 'reason',
  StopFailure: 'error',
};

function readHooks(cwd) {
  const all = {};
  for (const name of ['settings.json', 'settings.local.json']) {
    const path = join(cwd, '.claude', name);
    if (!existsSync(path)) continue;
    let settings;
    try {
      settings = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      continue;
    }
    const hooks = settings && typeof settings.hooks === 'object' ? settings.hooks : {};
    for (const [event, groups] of Object.entries(hooks ?? {})) {
      if (Array.isArray(groups)) (all[event] ??= []).push(...groups);
    }
  }
  return all;
}

function matches(matcher, value) {
  if (matcher === undefined || matcher === '' || matcher === '*') return true;
  if (typeof value !== 'string') return false;
  try {
    return new RegExp(`^(?:${matcher})$`).test(value);
  } catch {
    return matcher === value;
  }
}

function runCommand(command, payload) {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: process.cwd(), env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => resolve({ code: 127, stderr: e.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(payload));
  });
}

export class Hooks {
  constructor(sessionId) {
    this.sessionId = sessionId;
    this.cwd = process.cwd();
    this.transcript = process.env.FAKE_AGENT_CLAUDE_LOG || join(tmpdir(), `fake-agent-${sessionId}.jsonl`);
  }

  /** Runs the event's matching command hooks (in parallel, as Claude Code does); the results. */
  async fire(event, fields = {}) {
    const hooks = readHooks(this.cwd)[event] ?? [];
    const payload = {
      session_id: this.sessionId,
      transcript_path: this.transcript,
      cwd: this.cwd,
      permission_mode: 'default',
      hook_event_name: event,
      ...fields,
    };
    const field = MATCHED_FIELD[event];
    const commands = hooks
      .filter((g) => g && typeof g === 'object' && matches(g.matcher, field ? payload[field] : undefined))
      .flatMap((g) => (Array.isArray(g.hooks) ? g.hooks : []))
      .filter((h) => h && h.type === 'command' && typeof h.command === 'string')
      .map((h) => h.command);
    return Promise.all(commands.map((c) => runCommand(c, payload)));
  }

  /** PreToolUse: null when allowed, else the blocking hook's stderr. */
  async preToolUse(tool, input, toolUseId) {
    const results = await this.fire('PreToolUse', { tool_name: tool, tool_input: input, tool_use_id: toolUseId });
    const blocked = results.find((r) => r.code === 2);
    return blocked ? blocked.stderr.trim() || 'blocked by a hook' : null;
  }
}
