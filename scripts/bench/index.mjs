/**
 * `npm run bench`: oj against its floors, measured side by side in the same
 * run (interleaved, medians) so that machine drift cancels out of the ratios.
 * Every daemon is private (temp OJ_STATE_DIR/OJ_SOCKET), never the user's.
 *
 *   node scripts/bench/index.mjs [--quick] [--only cli,rpc,steps,queue,scale,idle,cluster]
 *                                [--json <file>] [--markdown] [--no-competitors]
 *
 * See docs/performance.md for what each ratio means.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { cliBench } from './cli.mjs';
import { clusterBench } from './cluster.mjs';
import { idleBench } from './idle.mjs';
import { queueBench } from './queue.mjs';
import { rpcBench } from './rpc.mjs';
import { scaleBench } from './scale.mjs';
import { stepsBench } from './steps.mjs';

const SECTIONS = { cli: cliBench, rpc: rpcBench, steps: stepsBench, queue: queueBench, scale: scaleBench, idle: idleBench, cluster: clusterBench };

const args = process.argv.slice(2);
const quick = args.includes('--quick');
/** --no-competitors: the queue section leaves out graphile-worker and BullMQ (no install, no servers). */
const competitors = !args.includes('--no-competitors');
const markdown = args.includes('--markdown');
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : null;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : Object.keys(SECTIONS);
for (const s of only) if (!SECTIONS[s]) throw new Error(`unknown section ${s}; one of ${Object.keys(SECTIONS).join(', ')}`);

const rows = [];
const ctx = {
  quick,
  competitors,
  root: mkdtempSync(join(os.tmpdir(), 'oj-bench-')),
  daemons: {},
  row(r) {
    rows.push(r);
  },
};

const machine = {
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  node: process.version,
  uname: safe(() => execFileSync('uname', ['-a'], { encoding: 'utf8' }).trim()),
  loadBefore: os.loadavg(),
};

const t0 = performance.now();
const timings = {};
try {
  for (const name of only) {
    const s0 = performance.now();
    process.stderr.write(`bench: ${name}...\n`);
    await SECTIONS[name](ctx);
    timings[name] = (performance.now() - s0) / 1000;
  }
} finally {
  for (const d of Object.values(ctx.daemons)) await d.stop().catch(() => {});
  rmSync(ctx.root, { recursive: true, force: true });
}
machine.loadAfter = os.loadavg();
const totalSeconds = (performance.now() - t0) / 1000;

const table = render(rows, markdown);
process.stdout.write(table);
process.stdout.write(
  `\n${machine.cores} cores (${machine.cpu}), node ${machine.node}, load average ${fmtLoad(machine.loadBefore)} before, ${fmtLoad(machine.loadAfter)} after\n` +
    `${machine.uname}\n` +
    `${quick ? 'quick run; ' : ''}took ${totalSeconds.toFixed(0)} s (${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')})\n`,
);
const missed = rows.filter((r) => r.met === false);
if (missed.length) process.stdout.write(`goals missed: ${missed.map((r) => r.name).join('; ')}\n`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ machine, quick, totalSeconds, timings, rows }, null, 2) + '\n');

function render(rs, md) {
  const header = ['section', 'benchmark', 'oj', 'floor', 'ratio', 'goal', 'note'];
  const body = rs.map((r) => [
    r.section,
    r.name,
    fmt(r.value, r.unit),
    r.floor === undefined ? '' : `${fmt(r.floor, r.unit)} (${r.floorName})`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
    r.goal ? (r.met === undefined ? r.goal : `${r.goal} ${r.met ? 'met' : 'MISSED'}`) : '',
    r.note ?? '',
  ]);
  if (md) {
    const line = (cells) => `| ${cells.join(' | ')} |\n`;
    return line(header) + line(header.map(() => '---')) + body.map(line).join('');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  return line(header) + line(widths.map((w) => '-'.repeat(w))) + body.map(line).join('');
}

function fmt(v, unit) {
  if (typeof v !== 'number' || Number.isNaN(v)) return '-';
  if (unit === 'ms') return `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`;
  if (unit === 'req/s' || unit === 'items/s') return `${Math.round(v).toLocaleString('en')} ${unit}`;
  if (unit === 'MB') return `${v.toFixed(0)} MB`;
  if (unit === '% core') return `${v.toFixed(2)}%`;
  return `${v} ${unit}`;
}

function fmtLoad(l) {
  return l.map((x) => x.toFixed(1)).join(' ');
}

function safe(fn) {
  try {
    return fn();
  } catch {
    return 'unknown';
  }
}
