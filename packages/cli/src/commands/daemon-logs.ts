/** Reading ojd.log: the last N entries, and following new ones as they are written. */
import { closeSync, openSync, readSync, statSync, watch } from 'node:fs';
import { statePaths } from '@oj/protocol/client';
import { println } from '../output/print.js';
import { style } from '../output/style.js';

function readFrom(path: string, from: number): { text: string; end: number } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { text: '', end: 0 };
  }
  if (size < from) from = 0; // rotated
  const buf = Buffer.alloc(size - from);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return { text: buf.toString('utf8'), end: size };
}

export function formatLogLine(line: string): string {
  try {
    const { timestamp, level, message, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
    const lvl = String(level ?? 'info');
    const coloured = lvl === 'error' ? style.red(lvl) : lvl === 'warn' ? style.yellow(lvl) : lvl;
    return `${String(timestamp ?? '')} ${coloured} ${String(message ?? '')}${extra}`;
  } catch {
    return line;
  }
}

/** Prints the last `lines` entries; returns the byte offset it read up to. */
export function printLog(stateDir: string, lines: number, raw: boolean): number {
  const { log } = statePaths(stateDir);
  const { text, end } = readFrom(log, 0);
  const all = text.split('\n').filter((l) => l.length > 0);
  for (const l of all.slice(Math.max(0, all.length - lines))) println(raw ? l : formatLogLine(l));
  return end;
}

/** Prints entries appended after `from` until interrupted (Ctrl-C: exit 130, output/interrupt.ts). */
export function followLog(stateDir: string, from: number, raw: boolean): Promise<void> {
  const { log } = statePaths(stateDir);
  let offset = from;
  let partial = '';
  const drain = () => {
    const { text, end } = readFrom(log, offset);
    offset = end;
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) if (l) println(raw ? l : formatLogLine(l));
  };
  return new Promise(() => {
    watch(stateDir, (_event, name) => {
      if (name === null || String(name).startsWith('ojd.log')) drain();
    });
  });
}
