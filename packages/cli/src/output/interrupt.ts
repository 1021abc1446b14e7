/**
 * Ctrl-C (SIGINT) ends every command with exit 130 (exit-codes.ts), once
 * what it printed has been written. A command that waits for something that
 * goes on without it says so first (`whenInterrupted('build-x goes on: ...')`);
 * one that must pass the signal on instead (`oj daemon start --foreground`)
 * takes Ctrl-C over.
 */
import { ExitCode } from './exit-codes.js';

let note: string | null = null;
let takenOver = false;
let installed = false;

/** Installed once, by the executable's entry. */
export function exitOnInterrupt(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', () => {
    if (takenOver) return;
    if (note) process.stderr.write(`\noj: ${note}\n`);
    process.exitCode = ExitCode.Interrupted;
    // Exit once stdout has taken what was written before (a pipe may still hold some).
    process.stdout.write('', () => process.exit(ExitCode.Interrupted));
  });
}

/** What Ctrl-C leaves going on, said on stderr as the command ends. */
export function whenInterrupted(text: string): void {
  note = text;
}

/** The command handles SIGINT itself (and sets its own exit code). */
export function takeOverInterrupt(): void {
  takenOver = true;
}
