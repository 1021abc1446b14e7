/**
 * `npm run lint` holds the layers (issue 17): the project's dependency-cruiser
 * config finds each broken rule in a fixture tree, and the file-size check
 * finds every file over the limit.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const fixture = join(root, 'test', 'fixtures', 'layers');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

const depcruise = (outputType: 'json' | 'err') =>
  spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'), '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', outputType, 'packages'],
    { cwd: fixture, encoding: 'utf8' },
  );

function violations(): Violation[] {
  const r = depcruise('json');
  if (!r.stdout) throw new Error(`depcruise printed nothing (status ${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('layer rules (.dependency-cruiser.cjs)', () => {
  it('reports each broken rule of the fixture, and nothing in the allowed imports', () => {
    const found = violations();
    const D = 'packages/daemon/src/';
    const edges = found
      .filter((v) => v.rule.name !== 'no-folder-cycle')
      .map((v) => `${v.rule.name}: ${v.from.replace(D, '')} -> ${v.to.replace(D, '')}`)
      .sort();
    expect(edges).toEqual([
      'core-no-node: core/reads-file.ts -> fs',
      'core-only-core-and-protocol: core/reaches-storage.ts -> storage/store.ts',
      'handlers-not-main: handlers/handler.ts -> main/context.ts',
      'storage-below-services: storage/store.ts -> engine/engine.ts',
    ]);
    const cycles = new Set(found.filter((v) => v.rule.name === 'no-folder-cycle').map((v) => [v.from, v.to].map((p) => p.replace(D, '')).sort().join(' <-> ')));
    expect([...cycles].sort()).toEqual(['engine <-> storage', 'handlers <-> main']);
  });

  it('fails the lint run (the exit status CI sees)', () => {
    const r = depcruise('err');
    expect(r.stdout).toContain('error core-no-node: packages/daemon/src/core/reads-file.ts');
    expect(r.status).not.toBe(0);
  });
});

describe('file sizes (scripts/lint/file-size.mjs)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const check = (files: Record<string, number>) => {
    dir = mkdtempSync(join(tmpdir(), 'oj-file-size-'));
    for (const [path, lines] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), '// line\n'.repeat(lines));
    }
    return spawnSync(process.execPath, [join(root, 'scripts', 'lint', 'file-size.mjs'), dir], { encoding: 'utf8' });
  };

  it('passes on the repository itself', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'lint', 'file-size.mjs')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails on a file over 500 lines, in sources and tests alike, and names each', () => {
    const r = check({
      'packages/daemon/src/core/big.ts': 501,
      'packages/daemon/src/core/fine.ts': 500,
      'packages/cli/src/long.test.ts': 700,
      'packages/cli/web/app.js': 501,
      'packages/daemon/dist/bundle.js': 5000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('file-size: 3 problem(s)');
    expect(r.stderr).toContain('packages/cli/web/app.js: 501 lines, over 500');
    expect(r.stderr).toContain('packages/daemon/src/core/big.ts: 501 lines, over 500');
    expect(r.stderr).toContain('packages/cli/src/long.test.ts: 700 lines, over 500');
    expect(r.stderr).not.toContain('fine.ts');
    expect(r.stderr).not.toContain('dist');
  });

  it('passes a tree where every file is within 500 lines', () => {
    const r = check({ 'packages/daemon/src/a.ts': 500, 'packages/protocol/src/b.ts': 1 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('package dependencies (scripts/lint/package-deps.mjs)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const run = (tree?: string) =>
    spawnSync(process.execPath, [join(root, 'scripts', 'lint', 'package-deps.mjs'), ...(tree ? [tree] : [])], { encoding: 'utf8' });

  const write = (files: Record<string, string | object>) => {
    dir = mkdtempSync(join(tmpdir(), 'oj-package-deps-'));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content));
    }
    return dir;
  };

  it('passes on the repository itself', () => {
    const r = run();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails on a dependency nothing uses, a package loaded but not declared, and one declared only by its @types', () => {
    const tree = write({
      'package.json': { name: 'root', workspaces: ['packages/a'], devDependencies: { vitest: '1', '@types/left-pad': '1' } },
      'packages/a/package.json': { name: '@x/a', dependencies: { kysely: '1', 'parse-duration': '1' } },
      'packages/a/src/uses.ts': "import type { Kysely } from 'kysely';\nimport { z } from 'zod';\nimport { readFileSync } from 'fs';\n// import(\u0027winston\u0027) in a comment loads nothing\n",
      'packages/a/src/uses.test.ts': "import { it } from 'vitest';\n",
      'test/t.test.ts': "import pad from 'left-pad';\nimport { it } from 'vitest';\nimport { a } from '@x/a';\n",
    });
    const r = run(tree);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n').sort();
    expect(lines).toEqual([
      'package-deps: packages/a/package.json declares parse-duration, which nothing in packages/a/src or packages/a/bin uses',
      'package-deps: packages/a/src/uses.ts imports zod, which packages/a/package.json does not declare',
      'package-deps: test/t.test.ts imports left-pad, which the root package.json does not declare (only @types/left-pad)',
    ]);
  });
});
