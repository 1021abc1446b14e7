/**
 * Documentation examples marked `<!-- doc-test ... -->` run as written. Per
 * document, its marked blocks run in order as one shell session in an empty
 * directory, with `oj` on PATH and a private daemon: each line of a ```sh
 * block must succeed; a block marked `<!-- doc-test: file PATH -->` is
 * written to PATH (relative to where the session is) as a reader would save
 * it. Where a guide uses the `claude` agent, the scripted fake agent stands
 * in for it as `claude` on PATH; the runbook stays as the reader pastes it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

type Step = { kind: 'line'; line: string } | { kind: 'file'; path: string; text: string };

/** The doc-test steps of each document (README.md and docs/*.md), in document order. */
function examples(): { file: string; steps: Step[] }[] {
  const files = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const out: { file: string; steps: Step[] }[] = [];
  for (const file of files) {
    const text = readFileSync(join(REPO, file), 'utf8');
    const steps: Step[] = [];
    for (const m of text.matchAll(/<!-- doc-test(?::\s*file\s+(\S+))?[^>]*-->\s*```(\w+)\n([\s\S]*?)```/g)) {
      const [, path, lang, body] = m;
      if (path) steps.push({ kind: 'file', path, text: body! });
      else if (lang === 'sh') {
        for (const l of body!.split('\n')) if (l.trim() && !l.trim().startsWith('#')) steps.push({ kind: 'line', line: l });
      }
    }
    if (steps.length) out.push({ file, steps });
  }
  return out;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** One bash script: each line announced on stderr, then run; the first failure ends it with that line's status. */
function script(steps: Step[]): string {
  const out = ['set -e'];
  for (const s of steps) {
    if (s.kind === 'file') {
      out.push(`echo ${quote(`+ (save ${s.path})`)} >&2`, `mkdir -p "$(dirname ${quote(s.path)})"`, `cat > ${quote(s.path)} <<'OJ_DOC_TEST_EOF'`, s.text + 'OJ_DOC_TEST_EOF');
    } else out.push(`echo ${quote(`+ ${s.line}`)} >&2`, s.line);
  }
  return out.join('\n') + '\n';
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
    const lines = ex.steps.filter((s) => s.kind === 'line').length;
    it(`${ex.file}: ${lines} lines run as written, from an empty directory`, async () => {
      const bin = join(t.root, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'oj'), `#!/bin/sh\nexec "${process.execPath}" "${OJ_BIN}" "$@"\n`);
      // The stand-in for the real agent: the fake agent prints its prompt's first line, works, exits 0.
      writeFileSync(join(bin, 'claude'), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, 'scripts', 'fake-agent.mjs')}" "$@"\n`);
      chmodSync(join(bin, 'oj'), 0o755);
      chmodSync(join(bin, 'claude'), 0o755);
      const dir = join(t.root, 'empty');
      mkdirSync(dir);
      // A reader's git knows who they are; this machine's may not.
      const who = { GIT_AUTHOR_NAME: 'Doc Test', GIT_AUTHOR_EMAIL: 'doc@test.invalid', GIT_COMMITTER_NAME: 'Doc Test', GIT_COMMITTER_EMAIL: 'doc@test.invalid' };
      const env = { ...t.env, ...who, PATH: `${bin}:${process.env.PATH}` };
      try {
        execFileSync('bash', ['-c', script(ex.steps)], { cwd: dir, env, encoding: 'utf8', timeout: 150_000, stdio: 'pipe' });
      } catch (err) {
        const e = err as { status: number; stdout: string; stderr: string };
        const ran = (e.stderr ?? '').split('\n').filter((l) => l.startsWith('+ '));
        throw new Error(`"${ran.at(-1)?.slice(2) ?? '?'}" failed (${e.status}):\n${e.stdout}\n${e.stderr}`, { cause: err });
      }
    }, 180_000);
  }
});

/**
 * Every ```toml block in the docs loads as written with the real loader, on
 * its own, as if pasted into an empty project: no unknown field, type,
 * duration or chain, and no reference to a primitive it does not define.
 * A block opened with `# <state dir>/config.toml` is the daemon's own
 * settings and goes through the daemon's config loader instead; one opened
 * with `# .oj/config.toml` is a project's settings, read by the project
 * config parser.
 */
describe('documentation runbook snippets', () => {
  const blocks: { file: string; n: number; text: string }[] = [];
  for (const file of readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(REPO, 'docs', file), 'utf8');
    let n = 0;
    for (const m of text.matchAll(/```toml\n([\s\S]*?)```/g)) blocks.push({ file, n: ++n, text: m[1]! });
  }
  const isDaemonConfig = (text: string) => /^#.*<state dir>\/config\.toml/.test(text.trim());
  const isProjectConfig = (text: string) => /^# \.oj\/config\.toml/.test(text.trim());
  let runbook: typeof import('@oj/daemon/runbook');
  let maintenance: typeof import('@oj/daemon/maintenance');
  beforeAll(async () => {
    runbook = await import('@oj/daemon/runbook');
    maintenance = await import('@oj/daemon/maintenance');
  });
  it('there are snippets of both kinds', () => {
    expect(blocks.filter((b) => isDaemonConfig(b.text)).length).toBeGreaterThan(0);
    expect(blocks.filter((b) => !isDaemonConfig(b.text)).length).toBeGreaterThan(10);
  });
  it.each(blocks.map((b) => [`${b.file} #${b.n}`, b] as const))('%s loads as written', (_name, b) => {
    if (isDaemonConfig(b.text)) {
      const dir = mkdtempSync(join(tmpdir(), 'oj-doc-config-'));
      try {
        writeFileSync(maintenance.daemonConfigPath(dir), b.text);
        expect(() => maintenance.loadDaemonConfig(dir, {})).not.toThrow();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return;
    }
    if (isProjectConfig(b.text)) {
      const parsed = runbook.parseProjectConfig(b.text, '.oj/config.toml');
      expect(parsed.errors.map(runbook.formatRunbookError)).toEqual([]);
      return;
    }
    const { buildProjectFromTexts, formatRunbookError } = runbook;
    const r = buildProjectFromTexts({ runbooks: { doc: b.text } });
    expect(r.ok ? [] : r.errors.map(formatRunbookError)).toEqual([]);
  });
});
