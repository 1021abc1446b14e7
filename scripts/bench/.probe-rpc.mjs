import { mkdtempSync } from 'node:fs'; import os from 'node:os'; import { join } from 'node:path';
import { BenchDaemon } from './lib/procs.mjs'; import { seed } from './lib/seed.mjs'; import { makeProject } from './lib/project.mjs';
import { BenchClient } from './lib/rpc-client.mjs'; import { median, msSince, now } from './lib/stats.mjs';
const root = mkdtempSync(join(os.tmpdir(), 'oj-probe-'));
const project = makeProject(join(root, 'p'), { bench: '[pipeline.work]\ninputs = ["n"]\n\n[[pipeline.work.phase]]\nname = "work"\nrun = "true"\n' });
await seed(join(root, 's'), project, { pipelines: Number(process.argv[2] ?? 1000), events: 3000 });
const d = new BenchDaemon(join(root, 's'), join(root, 's', 'ojd.sock'));
console.log('start ms', (await d.start()).toFixed(0));
const c = await BenchClient.connect(d.socket);
for (const [m, p] of [['daemon.ping', undefined], ['daemon.hello', { clientVersion: '0.1.0', protocolVersion: 1 }], ['status.overview', { project }], ['pipelines.list', { project }]]) {
  const s = [];
  for (let i = 0; i < 15; i++) { const t = now(); try { await c.call(m, p); } catch (e) { console.log(m, e.message); break; } s.push(msSince(t)); }
  console.log(m, 'first', s[0]?.toFixed(1), 'median', median(s).toFixed(2));
}
c.close(); await d.stop();
