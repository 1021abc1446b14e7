import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'; import os from 'node:os'; import { join } from 'node:path';
import { BenchDaemon, cpuSeconds } from './lib/procs.mjs'; import { makeProject, stepsRunbook } from './lib/project.mjs';
import { BenchClient } from './lib/rpc-client.mjs'; import { msSince, now } from './lib/stats.mjs';
const root = mkdtempSync(join(os.tmpdir(), 'oj-probe-'));
const project = makeProject(join(root, 'p'), { steps: stepsRunbook(200) });
const prof = process.argv.includes('--prof');
const d = new BenchDaemon(join(root, 's'), join(root, 's', 'ojd.sock'), { nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${root}/prof`] : [] });
await d.start();
const c = await BenchClient.connect(d.socket);
for (let i = 0; i < 2; i++) {
  const cpu0 = cpuSeconds(d.pid);
  const t = now();
  const { pipeline } = await c.call('pipelines.create', { project, pipeline: 'steps' });
  const r = await c.call('pipelines.wait', { ids: [pipeline.id], timeoutMs: 300000 });
  const cpu1 = cpuSeconds(d.pid);
  console.log(r.results[0].status, msSince(t).toFixed(0), 'ms; daemon cpu', (cpu1.self - cpu0.self).toFixed(2), 's children', (cpu1.children - cpu0.children).toFixed(2));
}
c.close(); await d.stop();
if (prof) {
const f = readdirSync(join(root, 'prof'))[0];
const p = JSON.parse(readFileSync(join(root, 'prof', f), 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map(); let total = 0;
p.samples.forEach((id, i) => { const n = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + p.timeDeltas[i]); total += p.timeDeltas[i]; });
console.log('total ms', (total / 1000).toFixed(0));
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((v / 1000).toFixed(1).padStart(8), k);
const parent = new Map(); for (const n of p.nodes) for (const ch of n.children ?? []) parent.set(ch, n.id);
const incl = new Map();
p.samples.forEach((id, i) => { const seen = new Set(); let cur = id; while (cur !== undefined) { const n = byId.get(cur); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + p.timeDeltas[i]); } cur = parent.get(cur); } });
console.log('--- inclusive');
for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 70)) console.log((v / 1000).toFixed(1).padStart(8), k);
}
