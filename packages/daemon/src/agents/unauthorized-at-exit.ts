/**
 * The agent said it is not logged in: its last state (a StopFailure hook), or,
 * when that hook lost the race with the exit, the last entry of the transcript
 * its SessionStart hook named. Null when it did not say so.
 */
import { classifyClaudeLog, readLastLines } from '../sessions/index.js';
import type { SessionStore } from '../storage/session-store.js';
import { unauthorizedFailure } from './state-liveness.js';

export async function unauthorizedAtExit(sessions: SessionStore, id: string, now: number): Promise<string | null> {
  const row = sessions.get(id);
  const said = unauthorizedFailure(row, now);
  if (said || !row?.transcript_path) return said;
  const status = await readLastLines(row.transcript_path, 64 * 1024).then((lines) => classifyClaudeLog(lines), () => undefined);
  return status?.state === 'api_error' && status.error?.reason === 'unauthorized' ? `${status.error.code ?? 'unauthorized'}: ${status.error.message}` : null;
}
