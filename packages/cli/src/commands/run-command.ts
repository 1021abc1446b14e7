/** Shared plumbing for command handlers: a daemon connection and the exit code. */
import { findProjectRoot } from '@oj/protocol/client';
import { connectOrStart } from '../client/daemon-launcher.js';
import type { RpcConnection } from '../client/rpc-connection.js';
import { reportError } from '../output/print.js';

/** Runs fn with a connection to ojd (started if needed); sets the process exit code. */
export async function withDaemon(fn: (conn: RpcConnection) => Promise<number | void>): Promise<void> {
  let conn: RpcConnection | null = null;
  try {
    conn = await connectOrStart();
    const code = await fn(conn);
    process.exitCode = code ?? 0;
  } catch (err) {
    process.exitCode = reportError(err);
  } finally {
    conn?.close();
  }
}

/** Runs fn without a daemon; sets the exit code. */
export async function locally(fn: () => Promise<number | void> | number | void): Promise<void> {
  try {
    process.exitCode = (await fn()) ?? 0;
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

/** The project of the current directory, if any (as the daemon namespaces state by it). */
export function currentProject(): string | undefined {
  return findProjectRoot(process.cwd()) ?? undefined;
}
