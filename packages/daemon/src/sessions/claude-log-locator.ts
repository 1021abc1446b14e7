/**
 * Finds and reads the Claude Code session log of a workspace.
 *
 * Claude Code keeps one JSONL file per session in
 * `<config dir>/projects/<encoded cwd>/<session id>.jsonl`, where the config
 * dir is $CLAUDE_CONFIG_DIR or ~/.claude, and the encoded cwd is the absolute
 * path (NFC) with every character other than an ASCII letter or digit
 * replaced by "-" (`/home/u/my.repo` -> `-home-u-my-repo`). Older releases
 * replaced only "/" and "."; for ordinary paths the two agree. The encoding
 * is lossy, so it is only used to look a known path up.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { classifyClaudeLog, type ClassifyOptions, type ClaudeLogStatus } from './claude-log.js';

export type Env = Record<string, string | undefined>;

export interface ClaudeLogLookup {
  /** Environment for CLAUDE_CONFIG_DIR / HOME (default process.env). */
  env?: Env;
  /** Only logs modified at or after this time (ms), e.g. the session's start. */
  since?: number;
}

export function claudeConfigDir(env: Env = process.env): string {
  const explicit = env.CLAUDE_CONFIG_DIR;
  if (explicit && explicit.length > 0) return explicit;
  return join(env.HOME && env.HOME.length > 0 ? env.HOME : homedir(), '.claude');
}

export function claudeProjectDirName(cwd: string): string {
  return resolve(cwd).normalize('NFC').replace(/[^A-Za-z0-9]/g, '-');
}

export function claudeProjectDir(cwd: string, env: Env = process.env): string {
  return join(claudeConfigDir(env), 'projects', claudeProjectDirName(cwd));
}

/** The most recently modified session log of the workspace, or undefined when there is none (yet). */
export async function findClaudeLog(cwd: string, lookup: ClaudeLogLookup = {}): Promise<string | undefined> {
  const dir = claudeProjectDir(cwd, lookup.env);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  let best: { path: string; mtimeMs: number } | undefined;
  for (const name of names) {
    // agent-*.jsonl are sub-agent logs (older releases kept them beside the session's).
    if (!name.endsWith('.jsonl') || name.startsWith('agent-')) continue;
    const path = join(dir, name);
    let mtimeMs: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) continue;
      mtimeMs = info.mtimeMs;
    } catch {
      continue;
    }
    if (lookup.since !== undefined && mtimeMs < lookup.since) continue;
    if (!best || mtimeMs > best.mtimeMs) best = { path, mtimeMs };
  }
  return best?.path;
}

/** The last lines of a file, reading at most `maxBytes` from its end (a partial first line is dropped). */
export async function readLastLines(path: string, maxBytes = 512 * 1024): Promise<string[]> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, start);
    const lines = buffer.subarray(0, bytesRead).toString('utf8').split('\n');
    if (start > 0) lines.shift();
    return lines.filter((line) => line.trim().length > 0);
  } finally {
    await file.close();
  }
}

export interface ClaudeLogReading {
  path: string;
  status: ClaudeLogStatus;
}

/** Finds the workspace's log and classifies its tail; undefined when there is no log yet. */
export async function readClaudeStatus(
  cwd: string,
  lookup: ClaudeLogLookup & ClassifyOptions & { maxBytes?: number } = {},
): Promise<ClaudeLogReading | undefined> {
  const path = await findClaudeLog(cwd, lookup);
  if (!path) return undefined;
  const lines = await readLastLines(path, lookup.maxBytes);
  return { path, status: classifyClaudeLog(lines, lookup) };
}
