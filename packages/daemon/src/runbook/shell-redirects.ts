/**
 * A shell command that redirects output to a file named like a duration or a
 * number (`> 5m`, `>10`, `2> 30s`) almost always meant a comparison:
 * `oj session idle-time {session} > 5m` writes the idle seconds to a file
 * named `5m` and exits 0, so as a monitor condition it always matches.
 * The loader reports such redirections instead of running them.
 */
import type { ShellRedirect } from './shell-scanner.js';

/** A number, optionally with a duration unit: 10, 2.5, 30s, 5m, 2h, 7d, 500ms. */
const NUMBER_OR_DURATION = /^[0-9]+(\.[0-9]+)?(ms|s|m|h|d|w)?$/;

export interface RedirectProblem {
  message: string;
  hint: string;
}

export function suspiciousRedirects(redirects: readonly ShellRedirect[]): RedirectProblem[] {
  const problems: RedirectProblem[] = [];
  for (const r of redirects) {
    if (r.target === null || !NUMBER_OR_DURATION.test(r.target)) continue;
    const message =
      `"${r.text}" redirects output to a file named "${r.target}"; ` +
      `the shell does not compare with ">", so the command writes that file and its exit status ignores the value`;
    const idleTime = /\boj\s+session\s+idle-time\s+(\S+)/.exec(r.command);
    const hint = idleTime
      ? `write oj session idle-time ${idleTime[1]!} --over ${r.target}: it exits 0 when idle longer than ${r.target}`
      : `to compare a number, write test "$(${r.command || 'command'})" -gt ${r.target.replace(/[a-z]+$/, '')}` +
        (/[a-z]$/.test(r.target) ? ' (test compares plain numbers: convert the duration first)' : '') +
        `; to write a file of that name, quote it: ${r.operator} "${r.target}"`;
    problems.push({ message, hint });
  }
  return problems;
}
