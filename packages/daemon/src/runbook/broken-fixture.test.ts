/**
 * test/fixtures/runbooks/broken holds a project full of deliberate mistakes.
 * Loading it must fail (no project) and report every mistake at once, each
 * with its file, line, primitive, field and a hint.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPath } from './check-path.js';
import { loadProjectSync } from './load-project.js';
import { formatRunbookError, type RunbookError } from './runbook-error.js';

const root = fileURLToPath(new URL('../../../../test/fixtures/runbooks/broken', import.meta.url));
const BROKEN = '.oj/runbooks/broken.toml';

function errors(): RunbookError[] {
  const result = loadProjectSync(root);
  if (result.ok) throw new Error('the broken project loaded');
  return result.errors;
}

type Expected = Partial<Omit<RunbookError, 'message' | 'hint'>> & { message: RegExp | string; hint?: RegExp | string };

const expected: Expected[] = [
  { file: '.oj/config.toml', line: 2, field: 'pipeline.max_phase_visit', message: 'unknown field "max_phase_visit"', hint: 'did you mean "max_phase_visits"?' },
  { file: BROKEN, line: 4, message: 'unknown kind "pipline"', hint: 'did you mean "pipeline"?' },
  { file: BROKEN, line: 7, kind: 'command', name: 'deploy', message: /also defined in \.oj\/runbooks\/alpha\.toml/, hint: /unique in a project/ },
  { file: BROKEN, line: 8, kind: 'command', name: 'deploy', field: 'arg', message: 'unknown field "arg"', hint: 'did you mean "args"?' },
  { file: BROKEN, line: 9, kind: 'command', name: 'deploy', field: 'run', message: 'unknown placeholder {nmae}', hint: /project_root/ },
  { file: BROKEN, line: 12, kind: 'command', name: 'release', field: 'args', message: /required argument <extra> comes after an optional one/, hint: /required positional arguments first/ },
  { file: BROKEN, line: 13, kind: 'command', name: 'release', field: 'aliases', message: /alias "x" names "nope"/, hint: /declared in args/ },
  { file: BROKEN, line: 14, kind: 'command', name: 'release', field: 'run', message: /placeholder \{env\} inside backticks/, hint: /\$\(\.\.\.\)/ },
  { file: BROKEN, line: 17, kind: 'worker', name: 'fixer', field: 'queue', message: 'unknown queue "bug"', hint: 'queues: items' },
  { file: BROKEN, line: 18, kind: 'worker', name: 'fixer', field: 'handler', message: 'unknown pipeline "fixx"', hint: 'pipelines: ship' },
  { file: BROKEN, line: 19, kind: 'worker', name: 'fixer', field: 'concurrency', message: 'expected an integer, got the string "two"' },
  { file: BROKEN, line: 20, kind: 'worker', name: 'fixer', field: 'idle_action', message: '"sleep" is not an idle action', hint: /wait:30s/ },
  { file: BROKEN, line: 23, kind: 'cron', name: 'sweeper', field: 'interval', message: /"-1s" is negative/, hint: /30s, 5m/ },
  { file: BROKEN, line: 24, kind: 'cron', name: 'sweeper', field: 'monitors[0]', message: 'unknown monitor "agent_idel"', hint: /no monitor/ },
  { file: BROKEN, line: 27, kind: 'queue', name: 'items', field: 'visibility_timeout', message: /got the integer 30/, hint: /"30s"/ },
  { file: BROKEN, line: 28, kind: 'queue', name: 'items', field: 'on_exhaust', message: /"restart:x": the count after ":"/, hint: /restart:2/ },
  { file: BROKEN, line: 35, kind: 'pipeline', name: 'ship', at: 'phase[0] "build"', field: 'run', message: 'unknown placeholder {target}', hint: /bug, project_root, pipeline/ },
  { file: BROKEN, line: 36, kind: 'pipeline', name: 'ship', at: 'phase[0] "build"', field: 'next', message: 'unknown phase "mrege"', hint: 'did you mean "merge"?' },
  { file: BROKEN, line: 37, kind: 'pipeline', name: 'ship', at: 'phase[0] "build"', field: 'timeout', message: /"5 minutes" is not a duration/, hint: /1h30m/ },
  { file: BROKEN, line: 41, kind: 'pipeline', name: 'ship', at: 'phase[1] "merge"', field: 'run', message: 'a phase cannot start a pipeline', hint: /oj run/ },
  { file: BROKEN, line: 42, kind: 'pipeline', name: 'ship', at: 'phase[1] "merge"', field: 'on_fail', message: /"biuld" is neither a phase/, hint: 'did you mean "build"?' },
  { file: BROKEN, line: 46, kind: 'pipeline', name: 'ship', at: 'phase[2] "verify"', field: 'agent', message: /agent "helper" is ambiguous: defined in alpha\.toml and beta\.toml/, hint: 'write "alpha.helper" or "beta.helper"' },
  { file: BROKEN, line: 47, kind: 'pipeline', name: 'ship', at: 'phase[2] "verify"', field: 'semaphore', message: 'unknown semaphore "agentz"', hint: /no semaphore/ },
  { file: BROKEN, line: 48, kind: 'pipeline', name: 'ship', at: 'phase[2] "verify"', field: 'pre[0]', message: 'unknown guard "test_pass"', hint: 'did you mean "test_passes"?' },
  { file: BROKEN, line: 52, kind: 'pipeline', name: 'ship', at: 'phase[3] "land"', field: 'strategy', message: 'unknown strategy "mrge"', hint: /no strategy/ },
  { file: BROKEN, line: 53, kind: 'pipeline', name: 'ship', at: 'phase[3] "land"', field: 'lock', message: /runbook beta has no lock "main"/, hint: 'beta.toml defines no lock' },
  { file: BROKEN, line: 56, kind: 'pipeline', name: 'ship', at: 'phase[4] "verify"', field: 'name', message: 'phase "verify" is defined twice in this pipeline' },
  { file: BROKEN, line: 58, kind: 'pipeline', name: 'ship', at: 'phase[4] "verify"', field: 'agent', message: /set only one of run, agent/, hint: /run = \{ agent/ },
  { file: BROKEN, line: 62, kind: 'agent', name: 'coder', field: 'prompt_file', message: 'file "templates/missing.md" not found', hint: /relative to the project root/ },
  { file: BROKEN, line: 63, kind: 'agent', name: 'coder', field: 'heartbeat', message: '"pulse" is not a heartbeat', hint: /output, claude, none/ },
  { file: BROKEN, line: 64, kind: 'agent', name: 'coder', field: 'idle_timeout', message: /"abc" is not a duration/ },
  { file: BROKEN, line: 65, kind: 'agent', name: 'coder', field: 'on_timeout', message: 'unknown action "escalat"', hint: 'did you mean "escalate"?' },
  { file: BROKEN, line: 69, kind: 'guard', name: 'test_passes', field: 'retry.intervl', message: 'unknown field "intervl"', hint: 'did you mean "interval"?' },
  { file: BROKEN, line: 72, kind: 'events', field: 'complete', message: '"complete" is not an event hook', hint: 'did you mean "on_complete"?' },
  { file: '.oj/runbooks/syntax.toml', line: 4, message: /^TOML syntax error: .*\(column 13\)$/ },
];

function matches(actual: string | undefined, wanted: RegExp | string | undefined): boolean {
  if (wanted === undefined) return true;
  if (actual === undefined) return false;
  return typeof wanted === 'string' ? actual === wanted : wanted.test(actual);
}

describe('the broken fixture project', () => {
  it('does not load', () => {
    expect(loadProjectSync(root).ok).toBe(false);
  });

  it.each(expected.map((e) => [`${e.file}:${e.line} ${String(e.message)}`, e] as const))('reports %s', (_label, want) => {
    const found = errors().filter(
      (e) =>
        e.file === want.file &&
        e.line === want.line &&
        e.kind === want.kind &&
        e.name === want.name &&
        e.at === want.at &&
        e.field === want.field &&
        matches(e.message, want.message) &&
        matches(e.hint, want.hint),
    );
    expect(found, errors().map(formatRunbookError).join('\n')).toHaveLength(1);
  });

  it('reports nothing else', () => {
    expect(errors().map(formatRunbookError)).toHaveLength(expected.length);
  });

  it('orders problems by file, then line', () => {
    const lines = errors()
      .filter((e) => e.file === BROKEN)
      .map((e) => e.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('formats a problem as one line naming file, line, primitive, element and field', () => {
    const next = errors().find((e) => e.field === 'next')!;
    expect(formatRunbookError(next)).toBe(
      '.oj/runbooks/broken.toml:36: pipeline.ship phase[0] "build" field next: unknown phase "mrege" (did you mean "merge"?)',
    );
  });

  it('checkPath on one file reports only that file\'s problems', () => {
    const result = checkPath(`${root}/.oj/runbooks/syntax.toml`);
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.file)).toEqual(['.oj/runbooks/syntax.toml']);
    const beta = checkPath(`${root}/.oj/runbooks/beta.toml`);
    expect(beta).toMatchObject({ ok: true, errors: [], files: ['.oj/runbooks/beta.toml'] });
  });
});
