import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectFingerprint, RACY_WINDOW_MS } from './project-fingerprint.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'oj-fp-'));
  dirs.push(root);
  mkdirSync(join(root, '.oj', 'runbooks'), { recursive: true });
  return root;
}

describe('projectFingerprint', () => {
  it('changes when a runbook is added, edited or removed, and when config or a prompt file changes', () => {
    const root = project();
    const prompt = join(root, 'p.md');
    const seen = new Set<string>();
    const step = (what: () => void) => {
      what();
      const fp = projectFingerprint(root, [prompt]);
      expect(seen.has(fp)).toBe(false);
      seen.add(fp);
    };
    step(() => undefined);
    step(() => writeFileSync(join(root, '.oj', 'runbooks', 'a.toml'), 'x = 1\n'));
    step(() => writeFileSync(join(root, '.oj', 'runbooks', 'a.toml'), 'x = 2\n'));
    step(() => writeFileSync(join(root, '.oj', 'config.toml'), ''));
    step(() => writeFileSync(prompt, 'hi'));
    step(() => rmSync(join(root, '.oj', 'runbooks', 'a.toml')));
  });

  it('tells same-size edits with the same mtime apart', () => {
    const root = project();
    const file = join(root, '.oj', 'runbooks', 'a.toml');
    const when = new Date();
    writeFileSync(file, 'run = "a"\n');
    utimesSync(file, when, when);
    const first = projectFingerprint(root, []);
    writeFileSync(file, 'run = "b"\n');
    utimesSync(file, when, when);
    expect(projectFingerprint(root, [], when.getTime() + RACY_WINDOW_MS / 2)).not.toBe(first);
  });

  it('is stable while nothing changes', () => {
    const root = project();
    writeFileSync(join(root, '.oj', 'runbooks', 'a.toml'), 'x = 1\n');
    expect(projectFingerprint(root, [])).toBe(projectFingerprint(root, []));
  });
});
