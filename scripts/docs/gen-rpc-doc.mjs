#!/usr/bin/env node
// Generates docs/rpc.md from the protocol package, so the reference cannot
// drift from the code. `node scripts/docs/gen-rpc-doc.mjs --check` exits 1
// when the committed file is out of date (the test suite runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import * as P from '../../packages/protocol/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = join(root, 'docs', 'rpc.md');

function schemaText(schema) {
  try {
    const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
    delete json.$schema;
    return JSON.stringify(json, null, 2);
  } catch (err) {
    return `(not representable: ${err.message})`;
  }
}

const intro = readFileSync(join(root, 'scripts', 'docs', 'rpc-intro.md'), 'utf8');
let out = intro.trimEnd() + '\n\n';
out += '## Error codes\n\n| code | kind | meaning |\n|---|---|---|\n';
const meanings = {
  ParseError: 'the line is not JSON',
  InvalidRequest: 'JSON, but not a JSON-RPC 2.0 request (or an empty batch)',
  MethodNotFound: 'no such method (`data.method` names it)',
  InvalidParams: 'params do not match the method\'s shape (`data.issues` lists each problem with its path)',
  InternalError: 'a bug in ojd; the log has the stack',
  NotFound: 'the named thing does not exist (`data.what`, `data.id`, maybe `data.candidates`)',
  AlreadyExists: 'a thing with that name or id exists',
  Ambiguous: 'a prefix or name matches several things (`data.candidates`)',
  IllegalState: 'the thing is in a state that does not allow this (`data.state`)',
  VersionMismatch: 'client and daemon versions differ (`data.hint` says how to restart)',
  RunbookInvalid: 'the project\'s runbooks do not load (`data.errors`)',
  ProjectNotFound: 'no `.oj/` directory at or above the given path',
  LineTooLong: `a request line longer than ${P.MAX_LINE_BYTES} bytes; it is skipped, the connection stays open`,
  Timeout: 'a wait ran out of time',
  Unavailable: 'the daemon (or something it needs) is not available',
  BadArguments: 'runbook command arguments do not match its `args` (`data.usage`)',
  DiskFull: 'the disk holding the state directory is full (ENOSPC): the write was refused and nothing changed; reads go on, and writes succeed again by themselves once there is room (`data.path`, `data.errno`)',
};
for (const [name, code] of Object.entries(P.ErrorCode)) {
  out += `| ${code} | \`${P.ErrorKind[code]}\` | ${meanings[name] ?? ''} |\n`;
}
out += '\n## Methods\n\n';
const byDomain = new Map();
for (const m of P.allMethods) {
  const domain = m.name.split('.')[0];
  if (!byDomain.has(domain)) byDomain.set(domain, []);
  byDomain.get(domain).push(m);
}
for (const [domain, methods] of byDomain) {
  out += `### ${domain}\n\n`;
  for (const m of methods) {
    out += `#### \`${m.name}\`\n\n${m.summary}\n\nParams:\n\n\`\`\`json\n${schemaText(m.params)}\n\`\`\`\n\n`;
  }
}
out += '## Notifications (server to client)\n\n';
for (const n of P.allNotifications) out += `- \`${n.name}\`: ${n.summary}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current !== out) {
    console.error('docs/rpc.md is out of date: run `npm run docs`');
    process.exit(1);
  }
} else {
  writeFileSync(target, out);
  console.log(`wrote ${target}`);
}
