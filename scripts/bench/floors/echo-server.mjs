/**
 * The RPC floor: a bare Node server on a Unix socket that does the least any
 * NDJSON JSON-RPC server must do: split lines, parse each, answer with a
 * serialized result. No validation, no routing, no storage.
 *   node echo-server.mjs <socket>
 */
import { rmSync } from 'node:fs';
import net from 'node:net';

const path = process.argv[2];
rmSync(path, { force: true });
const server = net.createServer((socket) => {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffer += chunk;
    let out = '';
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      const req = JSON.parse(line);
      out += JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { pong: true } }) + '\n';
    }
    if (out) socket.write(out);
  });
  socket.on('error', () => {});
});
server.listen(path);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
