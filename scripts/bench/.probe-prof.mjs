// usage: node .probe-prof.mjs <pipelines> <method> <n>
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'; import os from 'node:os'; import { join } from 'node:path';
import { BenchDaemon } from './lib/procs.mjs'; import { seed } from './lib/seed.mjs'; import { makeProject } from './lib/project.mjs';
import { BenchClient } from './lib/rpc-client.mjs'; import { median, msSince, now } from './lib/stats.mjs';
const root = mkdtempSync(join(os.tmpdir(), 'oj-probe-'));
const project = makeProject(join(root, 'p'), { bench: '[pipeline.work]\ninputs = ["n"]\n\n[[pipeline.work.phase]]\nname = "work"\nrun = "true"\n' });
await seed(join(root, 's'), project, { pipelines: Number(process.argv[2]), events: 3000 });
const d = new BenchDaemon(join(root, 's'), join(root, 's', 'ojd.sock'), { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${root}/prof`] });
await d.start();
const c = await BenchClient.connect(d.socket);
const s = [];
for (let i = 0; i < Number(process.argv[4]); i++) { const t = now(); await c.call(process.argv[3], { project }); s.push(msSince(t)); }
console.log('median', median(s).toFixed(2));
c.close(); await d.stop();
const f = readdirSync(join(root, 'prof'))[0];
const prof = JSON.parse(readFileSync(join(root, 'prof', f), 'utf8'));
// self time by function
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas; let total = 0;
prof.samples.forEach((id, i) => { const n = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + dt[i]); total += dt[i]; });
console.log('total ms', (total / 1000).toFixed(0));
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / 1000).toFixed(1).padStart(8), k);
