/** CLI duration options (`--timeout 30s`, `--older-than 7d`), with the runbook language's grammar. */
import { parseDuration } from '@oj/daemon/duration';
import { UsageError } from './print.js';

export function durationOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const r = parseDuration(text);
  if (!r.ok) throw new UsageError(`--${name} ${text}: ${r.message} (${r.hint})`);
  return r.duration.ms;
}
