/**
 * `oj lock heartbeat NAME --every 10s &` in a script: heartbeats until the
 * script (the process that ran oj) ends, or a heartbeat fails (the hold was
 * lost). Each heartbeat uses a connection of its own, so a long period never
 * meets the daemon's idle-connection limit. Once its parent is gone, oj is
 * handed to another parent; that is how it notices (checked four times a
 * second), so a script killed with SIGKILL does not leave its lock kept alive.
 */
import { connectOrStart, delay } from '../client/daemon-launcher.js';
import type { RpcConnection } from '../client/rpc-connection.js';

export async function heartbeatUntilParentEnds(everyMs: number, beat: (conn: RpcConnection) => Promise<unknown>): Promise<number> {
  const parent = process.ppid;
  for (;;) {
    const conn = await connectOrStart();
    try {
      await beat(conn);
    } finally {
      conn.close();
    }
    const until = Date.now() + everyMs;
    for (let left = everyMs; left > 0; left = until - Date.now()) {
      if (process.ppid !== parent) return 0;
      await delay(Math.min(250, left));
    }
    if (process.ppid !== parent) return 0;
  }
}
