/**
 * Documentation examples marked `<!-- doc-test ... -->` run as written: each
 * line of the ```sh block after the marker, in a scratch git repository, with
 * `oj` on PATH and a private daemon. Every line must succeed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OJ_BIN, REPO, TestEnv } from './helpers/ojd-harness.js';

function pythonExamples(): { file: string; code: string }[] {
  const out: { file: string; code: string }[] = [];
  for (const file of readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(REPO, 'docs', file), 'utf8');
    for (const m of text.matchAll(/<!-- doc-test[^>]*-->\s*```python\n([\s\S]*?)```/g)) out.push({ file, code: m[1]! });
  }
  return out;
}

function examples(): { file: string; lines: string[] }[] {
  const files = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const out: { file: string; lines: string[] }[] = [];
  for (const file of files) {
    const text = readFileSync(join(REPO, file), 'utf8');
    const re = /<!-- doc-test[^>]*-->\s*```sh\n([\s\S]*?)```/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      out.push({ file, lines: m[1]!.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')) });
    }
  }
  return out;
}

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

describe('documentation examples', () => {
  for (const ex of pythonExamples()) {
    it(`${ex.file}: the Python example talks to a real daemon`, async () => {
      await t.startDaemon();
      const out = execFileSync('python3', ['-c', ex.code], { env: t.env, encoding: 'utf8', timeout: 30_000 });
      expect(out).toMatch(/'result'|"result"/);
    });
  }
  const found = examples();
  it('there are examples to run', () => expect(found.length).toBeGreaterThan(0));
  for (const ex of found) {
    it(`${ex.file}: ${ex.lines.length} lines run as written`, async () => {
      const bin = join(t.root, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'oj'), `#!/bin/sh\nexec "${process.execPath}" "${OJ_BIN}" "$@"\n`);
      chmodSync(join(bin, 'oj'), 0o755);
      const dir = join(t.root, 'project');
      mkdirSync(dir);
      execFileSync('git', ['init', '-q'], { cwd: dir });
      const env = { ...t.env, PATH: `${bin}:${process.env.PATH}` };
      for (const line of ex.lines) {
        let out = '';
        try {
          out = execFileSync('bash', ['-c', line], { cwd: dir, env, encoding: 'utf8', timeout: 30_000, stdio: 'pipe' });
        } catch (err) {
          const e = err as { status: number; stdout: string; stderr: string };
          throw new Error(`"${line}" failed (${e.status}):\n${e.stdout}\n${e.stderr}`, { cause: err });
        }
        expect(out, line).toBeDefined();
      }
    }, 120_000);
  }
});

/**
 * Every ```toml block in the docs is a runbook (or a fragment of one) that the
 * loader accepts: it may refer to primitives it does not show, but every field,
 * type, duration and chain in it must be valid. Blocks opened with a comment
 * naming another file (e.g. `# <state dir>/config.toml`) are not runbooks.
 */
describe('documentation runbook snippets', () => {
  const DANGLING = /unknown (guard|semaphore|lock|strategy|agent|queue|pipeline|monitor|action|phase) "|is neither a phase of this pipeline nor an action/;
  const blocks: { file: string; n: number; text: string }[] = [];
  for (const file of readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(REPO, 'docs', file), 'utf8');
    let n = 0;
    for (const m of text.matchAll(/```toml\n([\s\S]*?)```/g)) {
      n++;
      if (/^#.*config\.toml/.test(m[1]!.trim())) continue;
      blocks.push({ file, n, text: m[1]! });
    }
  }
  let runbook: typeof import('../packages/daemon/dist/runbook/index.js');
  beforeAll(async () => {
    runbook = await import('../packages/daemon/dist/runbook/index.js');
  });
  it.each(blocks.map((b) => [`${b.file} #${b.n}`, b] as const))('%s loads (apart from references to primitives it does not show)', (_name, b) => {
    const { buildProjectFromTexts, formatRunbookError } = runbook;
    const r = buildProjectFromTexts({ runbooks: { doc: b.text } });
    const problems = r.ok ? [] : r.errors.map(formatRunbookError).filter((e: string) => !DANGLING.test(e));
    expect(problems).toEqual([]);
  });
});
