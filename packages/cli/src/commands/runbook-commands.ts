/**
 * oj runbook check|list|show and oj init. These work without a daemon: they
 * run the same loader the daemon uses (imported only when needed).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { findProjectRoot } from '@oj/protocol/client';
import type { CronSchedulePreview } from '@oj/daemon/runbook';
import type { Argv } from 'yargs';
import { NotFoundError, UsageError, printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable } from '../output/table.js';
import { formatDuration } from '../output/time.js';
import { formatZoned } from '../output/zoned-time.js';
import { locally } from './run-command.js';
import { STARTER_RUNBOOK } from './starter-runbook.js';

const loader = () => import('@oj/daemon/runbook');

function projectOrFail(): string {
  const root = findProjectRoot(process.cwd());
  if (!root) throw new UsageError(`no .oj/ directory here or above ${process.cwd()} (oj init creates one)`);
  return root;
}

async function loadOrFail(root: string) {
  const { loadProjectSync, formatRunbookErrors } = await loader();
  const r = loadProjectSync(root);
  if (!r.ok) {
    process.stderr.write(formatRunbookErrors(r.errors) + '\n');
    return null;
  }
  return r.project;
}

/** `cron nightly: 0 3 * * * in America/New_York, jitter 5m (+3m 24s); next run Sat 2026-12-05 03:03:24 -05:00`. */
function scheduleLine(s: CronSchedulePreview): string {
  if (s.schedule === null) return `cron ${s.cron}: every ${s.interval ?? '?'}; first run ${s.interval ?? ''} after oj cron enable`;
  const jitter = s.jitter ? `, jitter ${s.jitter.text} (+${formatDuration(s.jitter.offsetMs)})` : '';
  return `cron ${s.cron}: ${s.schedule} in ${s.timezone ?? 'local time'}${jitter}; next run ${formatZoned(s.next, s.timezone)}`;
}

export function runbookCommands(y: Argv): Argv {
  return y
    .command(
      'check [path]',
      'Validate runbooks (a project, a .oj/runbooks dir or one .toml file); exit 1 with every problem',
      (a) =>
        a
          .positional('path', { type: 'string', describe: 'default: this project' })
          .option('json', { type: 'boolean' })
          .option('verbose', { type: 'boolean', alias: 'v', describe: "also print each cron's schedule and next run" }),
      (argv) =>
        locally(async () => {
          const { checkPath, formatRunbookError } = await loader();
          const target = argv.path ?? findProjectRoot(process.cwd()) ?? process.cwd();
          const r = checkPath(target);
          if (argv.json) {
            printJson(r);
            return r.ok ? 0 : 1;
          }
          if (r.ok) {
            println(`${style.green('ok')}: ${r.files.length} runbook file(s), ${r.primitives} primitives (${r.root})`);
            if (argv.verbose) for (const s of r.schedules) println(`  ${scheduleLine(s)}`);
            return 0;
          }
          for (const e of r.errors) process.stderr.write(formatRunbookError(e) + '\n');
          process.stderr.write(`${r.errors.length} problem(s)\n`);
          return 1;
        }),
    )
    .command(
      ['list', 'ls'],
      'Every primitive of this project, by file and kind',
      (a) => a.option('json', { type: 'boolean' }),
      (argv) =>
        locally(async () => {
          const project = await loadOrFail(projectOrFail());
          if (!project) return 1;
          const list = project.list();
          if (argv.json) return printJson(list);
          process.stdout.write(formatTable(['file', 'kind', 'name', 'summary'], list.map((p) => [p.file, p.kind, p.name, p.summary])));
        }),
    )
    .command(
      'show <name>',
      'A primitive as resolved, with defaults filled in (kind.name, file.name or file.kind.name)',
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('json', { type: 'boolean' }),
      (argv) =>
        locally(async () => {
          const { showPrimitive, KINDS } = await loader();
          const project = await loadOrFail(projectOrFail());
          if (!project) return 1;
          const parts = argv.name.split('.');
          const kinds = parts.length >= 2 && (KINDS as readonly string[]).includes(parts[parts.length - 2]!) ? [parts[parts.length - 2]!] : KINDS;
          const found = [];
          for (const kind of kinds) {
            try {
              const p = project.find(kind as (typeof KINDS)[number], argv.name);
              if (p) found.push(p);
            } catch {
              // ambiguous within a kind: listed below
            }
          }
          if (found.length === 0) throw new NotFoundError(`nothing named "${argv.name}"`, 'oj runbook list shows every primitive');
          if (found.length > 1) throw new UsageError(`"${argv.name}" names several primitives: ${found.map((p) => p.id).join(', ')}; write kind.name`);
          const shown = showPrimitive(found[0]!);
          if (argv.json) return printJson(shown);
          println(JSON.stringify(shown, null, 2));
        }),
    )
    .demandCommand(1, 'say which runbook command to run: check, list or show');
}

/** The library of ready-made runbooks shipped in the repository's runbooks/ directory. */
export function libraryDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@oj/cli/package.json')), '..', '..', 'runbooks');
}

export function initCommand(y: Argv): Argv {
  return y.command(
    'init',
    'Create .oj/runbooks with a commented starter runbook (--with copies ready-made ones)',
    (a) =>
      a
        .option('with', { type: 'string', array: true, describe: `library runbooks to copy (build, bugfix, mergeq, watchdog, janitor, triager)` })
        .option('force', { type: 'boolean', describe: 'overwrite existing files' }),
    (argv) =>
      locally(() => {
        const root = resolve(process.cwd());
        const dir = join(root, '.oj', 'runbooks');
        mkdirSync(dir, { recursive: true });
        const written: string[] = [];
        const starter = join(dir, 'starter.toml');
        if (!argv.with?.length) {
          if (existsSync(starter) && !argv.force) println(`${starter} exists; leaving it (--force overwrites)`);
          else {
            writeFileSync(starter, STARTER_RUNBOOK);
            written.push(starter);
          }
        }
        const lib = libraryDir();
        for (const name of argv.with ?? []) {
          const src = join(lib, `${name}.toml`);
          if (!existsSync(src)) {
            const have = existsSync(lib) ? readdirSync(lib).filter((f) => f.endsWith('.toml')).map((f) => f.slice(0, -5)) : [];
            throw new NotFoundError(`no library runbook "${name}"`, `the library has: ${have.join(', ') || 'none'}`);
          }
          const dest = join(dir, `${name}.toml`);
          if (existsSync(dest) && !argv.force) {
            println(`${dest} exists; leaving it (--force overwrites)`);
            continue;
          }
          cpSync(src, dest);
          written.push(dest);
          const extras = join(lib, name);
          if (existsSync(extras)) cpSync(extras, root, { recursive: true, force: Boolean(argv.force) });
        }
        for (const w of written) println(`wrote ${w}`);
        println('next: oj runbook check, then oj run');
      }),
  );
}
