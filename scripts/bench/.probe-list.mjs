import { mkdtempSync } from 'node:fs'; import os from 'node:os'; import { join } from 'node:path';
import { seed } from './lib/seed.mjs';
const root = mkdtempSync(join(os.tmpdir(), 'oj-probe-'));
await seed(join(root, 's'), '/p', { pipelines: 10000, events: 1000 });
const { Storage } = await import('/work/main/packages/daemon/dist/storage/storage.js');
const { toPipelineInfo } = await import('/work/main/packages/daemon/dist/storage/pipeline-store.js');
const st = Storage.open(join(root, 's', 'oj.db'));
for (let i = 0; i < 6; i++) {
  let t = performance.now();
  const recs = st.pipelines.list({ project: '/p', archived: false });
  const a = performance.now() - t; t = performance.now();
  const infos = recs.map(toPipelineInfo);
  const b = performance.now() - t; t = performance.now();
  const text = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { pipelines: infos } });
  const c = performance.now() - t;
  console.log(`list ${a.toFixed(0)} info ${b.toFixed(0)} stringify ${c.toFixed(0)} bytes ${text.length}`);
}
const q = st.db.selectFrom('pipelines').selectAll().where('project', '=', '/p').where('archived', '=', 0).orderBy('created_at', 'desc').orderBy('id', 'desc').compile();
console.log(q.sql);
console.log(st.runner.sqlite.prepare('EXPLAIN QUERY PLAN ' + q.sql).all('/p', 0));
let t = performance.now(); st.runner.sqlite.prepare(q.sql).raw().all('/p', 0); console.log('raw', (performance.now() - t).toFixed(0));
const sql2 = `select id, project, runbook, name, status, phase, waiting_for, error, failure_count, workspace, label, archived, vars, owner, created_at, updated_at, phase_started_at, finished_at, session, (select json_group_array(json_extract(value, '$.name')) from json_each(definition, '$.phases')) as phases from pipelines where project = ? and archived = ? order by created_at desc, id desc`;
const s2 = st.runner.sqlite.prepare(sql2);
for (let i = 0; i < 5; i++) {
  t = performance.now(); const rows = s2.all('/p', 0); const a = performance.now() - t; t = performance.now();
  const infos = rows.map((r) => ({ id: r.id, vars: JSON.parse(r.vars), phases: JSON.parse(r.phases), createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString() }));
  console.log('sql2', a.toFixed(0), 'map', (performance.now() - t).toFixed(0));
}
