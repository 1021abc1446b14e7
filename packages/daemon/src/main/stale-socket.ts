/**
 * Before listening: a socket file nobody answers on is left over from a
 * killed daemon and is removed; one that answers belongs to a live daemon.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';

export class SocketInUseError extends Error {
  override readonly name = 'SocketInUseError';
  constructor(readonly path: string) {
    super(`another daemon is listening on ${path}`);
  }
}

export async function clearStaleSocket(path: string): Promise<'absent' | 'removed'> {
  try {
    const st = lstatSync(path);
    if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  const answers = await new Promise<boolean>((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (answers) throw new SocketInUseError(path);
  unlinkSync(path);
  return 'removed';
}
