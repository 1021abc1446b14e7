/**
 * Documentation examples marked `<!-- doc-test ... -->` run as written: each
 * line of the ```sh block after the marker, in a scratch git repository, with
 * `oj` on PATH and a private daemon. Every line must succeed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OJ_BIN, REPO, TestEnv } from './helpers/ojd-harness.js';

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
          throw new Error(`"${line}" failed (${e.status}):\n${e.stdout}\n${e.stderr}`);
        }
        expect(out, line).toBeDefined();
      }
    }, 120_000);
  }
});
