/**
 * The files of one session directory, shared by the host (which writes most
 * of them) and the supervisor (which writes spec.json and reads the rest).
 *
 *   spec.json       what to run (written by ojd before the host starts)
 *   host.pid        the host's pid
 *   host.sock       the host's NDJSON JSON-RPC socket (0600), gone once the host exits
 *   host.err        the host's stderr and its fatal errors
 *   transcript.log  everything the pty printed
 *   exit.json       how the command ended, written atomically before anyone is told
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionHostMethods } from '@oj/protocol';

export type ExitRecord = SessionHostMethods.ExitRecord;

/** Unix socket paths longer than this fail to bind on macOS (104 with the NUL); Linux allows 107. */
export const MAX_SOCKET_PATH_BYTES = 103;

export interface SessionPaths {
  dir: string;
  spec: string;
  pid: string;
  socket: string;
  err: string;
  transcript: string;
  exit: string;
}

export function sessionPaths(dir: string): SessionPaths {
  return {
    dir,
    spec: join(dir, 'spec.json'),
    pid: join(dir, 'host.pid'),
    socket: join(dir, 'host.sock'),
    err: join(dir, 'host.err'),
    transcript: join(dir, 'transcript.log'),
    exit: join(dir, 'exit.json'),
  };
}

/** Writes a file so a reader sees either nothing or all of it: tmp file, fsync, rename. */
export function writeFileAtomicSync(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeExitRecord(paths: SessionPaths, record: ExitRecord): void {
  writeFileAtomicSync(paths.exit, JSON.stringify(record) + '\n');
}

/** The exit record, or undefined when the command has not exited (or the host never saw it). */
export async function readExitRecord(paths: SessionPaths): Promise<ExitRecord | undefined> {
  let text: string;
  try {
    text = await readFile(paths.exit, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const value: unknown = JSON.parse(text);
  if (!isExitRecord(value)) throw new Error(`malformed ${paths.exit}: ${text.slice(0, 200)}`);
  return value;
}

/** The tail of host.err (trimmed), or undefined when it is absent or empty. */
export function readHostError(paths: SessionPaths, maxChars = 4000): string | undefined {
  let text: string;
  try {
    text = readFileSync(paths.err, 'utf8');
  } catch {
    return undefined;
  }
  const trimmed = text.trim();
  if (trimmed.length === 0) return undefined;
  return trimmed.length > maxChars ? '…' + trimmed.slice(-maxChars) : trimmed;
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function isExitRecord(value: unknown): value is ExitRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    (typeof v.exitCode === 'number' || v.exitCode === null) &&
    (typeof v.signal === 'string' || v.signal === null) &&
    typeof v.at === 'string'
  );
}
