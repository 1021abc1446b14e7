#!/usr/bin/env node
/**
 * Runs the test suite (or some files of it) N times and reports every test
 * that failed at least once, so a flaky test is found before CI finds it.
 *
 *   npm run test:repeat -- [--runs N] [--load] [vitest file filters...]
 *
 * --load keeps every core busy with an unrelated CPU hog (a busy loop per
 * core, in child processes) for the whole run, as a loaded CI machine would.
 * Expects a built tree (npm run build). Exits 1 when any test failed once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

function parseArgs(argv) {
  const opts = { runs: 3, load: false, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) usage(`--runs takes a whole number of at least 1, got ${argv[i]}`);
      opts.runs = n;
    } else if (a === '--load') opts.load = true;
    else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else opts.filters.push(a);
  }
  return opts;
}

function usage(error) {
  const text = 'usage: npm run test:repeat -- [--runs N] [--load] [file filters...]';
  if (error) {
    console.error(`test:repeat: ${error}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

/** One busy-looping process per core, until stopped. */
function startLoad() {
  const hogs = [];
  for (let i = 0; i < availableParallelism(); i++) {
    hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  }
  return () => hogs.forEach((h) => h.kill('SIGKILL'));
}

function runOnce(filters, outFile) {
  const started = Date.now();
  const r = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${outFile}`, ...filters], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let report = null;
  try {
    report = JSON.parse(readFileSync(outFile, 'utf8'));
  } catch {
    // no report: vitest itself failed to run; counted below from its exit status
  }
  return { status: r.status, seconds: Math.round((Date.now() - started) / 1000), report };
}

const opts = parseArgs(process.argv.slice(2));
const dir = mkdtempSync(join(tmpdir(), 'oj-test-repeat-'));
const stopLoad = opts.load ? startLoad() : () => {};
process.on('exit', stopLoad);
process.on('SIGINT', () => process.exit(130));

const failures = new Map(); // "file > test" -> runs it failed in
const summary = [];
try {
  for (let run = 1; run <= opts.runs; run++) {
    console.log(`\n=== test:repeat run ${run}/${opts.runs}${opts.load ? ' (all cores loaded)' : ''} ===`);
    const r = runOnce(opts.filters, join(dir, `run-${run}.json`));
    let failed = 0;
    for (const file of r.report?.testResults ?? []) {
      for (const test of file.assertionResults ?? []) {
        if (test.status !== 'failed') continue;
        failed++;
        const key = `${file.name.replace(process.cwd() + '/', '')} > ${test.fullName}`;
        failures.set(key, [...(failures.get(key) ?? []), run]);
      }
    }
    if (!r.report || (r.status !== 0 && failed === 0)) {
      failed++;
      failures.set('(the run itself)', [...(failures.get('(the run itself)') ?? []), run]);
    }
    summary.push(`run ${run}: ${failed ? `${failed} failed` : 'passed'} in ${r.seconds} s`);
  }
} finally {
  stopLoad();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n=== test:repeat: ${opts.runs} run(s)${opts.load ? ' with all cores loaded' : ''} ===`);
for (const line of summary) console.log(line);
if (failures.size === 0) {
  console.log('no test failed in any run');
} else {
  console.log('failed at least once:');
  for (const [test, runs] of failures) console.log(`  ${test}  (run${runs.length > 1 ? 's' : ''} ${runs.join(', ')})`);
  process.exitCode = 1;
}
