/**
 * Ctrl-C (SIGINT) ends every command with exit 130 (exit-codes.ts), once
 * what it printed has been written. A command that waits for something that
 * goes on without it says so first (`whenInterrupted('build-x goes on: ...')`);
 * one that must pass the signal on instead (`oj daemon start --foreground`)
 * takes Ctrl-C over.
 */
import { ExitCode } from './exit-codes.js';

interface InterruptState {
  installed: boolean;
  note: string | null;
  takenOver: boolean;
}

/**
 * One state per process, not per module instance: the entry is bundled
 * (dist/entry.bundle.cjs, with its own copy of this module) while the commands
 * load this file itself.
 */
const KEY = Symbol.for('oj.cli.interrupt');
function state(): InterruptState {
  const holder = globalThis as typeof globalThis & { [KEY]?: InterruptState };
  return (holder[KEY] ??= { installed: false, note: null, takenOver: false });
}

/** Installed once, by the executable's entry. */
export function exitOnInterrupt(): void {
  const s = state();
  if (s.installed) return;
  s.installed = true;
  process.on('SIGINT', () => {
    if (s.takenOver) return;
    if (s.note) process.stderr.write(`\noj: ${s.note}\n`);
    process.exitCode = ExitCode.Interrupted;
    // Exit once stdout has taken what was written before (a pipe may still hold some).
    process.stdout.write('', () => process.exit(ExitCode.Interrupted));
  });
}

/** What Ctrl-C leaves going on, said on stderr as the command ends. */
export function whenInterrupted(text: string): void {
  state().note = text;
}

/** The command handles SIGINT itself (and sets its own exit code). */
export function takeOverInterrupt(): void {
  state().takenOver = true;
}
