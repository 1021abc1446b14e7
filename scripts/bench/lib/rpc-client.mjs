/**
 * A minimal NDJSON JSON-RPC client for the bench: one connection, answers
 * matched by id, any number of requests in flight. Used against ojd and
 * against the floor echo server alike, so both pay the same client cost.
 */
import net from 'node:net';

export class BenchClient {
  #buffer = '';
  #nextId = 1;
  #waiting = new Map();

  constructor(socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      // Only the new chunk is searched for newlines: large answers stay linear.
      let start = 0;
      let nl;
      while ((nl = chunk.indexOf('\n', start)) >= 0) {
        const line = this.#buffer + chunk.slice(start, nl);
        this.#buffer = '';
        start = nl + 1;
        if (line) this.#receive(line);
      }
      this.#buffer += chunk.slice(start);
    });
    const fail = () => {
      for (const w of this.#waiting.values()) w.reject(new Error('connection closed'));
      this.#waiting.clear();
    };
    socket.on('close', fail);
    socket.on('error', fail);
  }

  #receive(line) {
    const msg = JSON.parse(line);
    if (typeof msg.id !== 'number') return;
    const w = this.#waiting.get(msg.id);
    this.#waiting.delete(msg.id);
    if (!w) return;
    if (msg.error) w.reject(new Error(`${msg.error.code}: ${msg.error.message}`));
    else w.resolve(msg.result);
  }

  static connect(path) {
    return new Promise((resolve, reject) => {
      const s = net.connect(path);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new BenchClient(s));
      });
      s.once('error', reject);
    });
  }

  call(method, params) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) }) + '\n');
    });
  }

  close() {
    this.socket.destroy();
  }
}

/** Resolves true once something accepts connections on `path`. */
export function canConnect(path) {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Polls probe() until it returns a truthy value or the deadline passes. */
export async function waitFor(what, probe, timeoutMs = 20_000, intervalMs = 10) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
