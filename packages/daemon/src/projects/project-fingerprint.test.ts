import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectFingerprint, RACY_WINDOW_MS, type ListingCache } from './project-fingerprint.js';

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
      const fp = projectFingerprint(root, [prompt]).text;
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
    expect(projectFingerprint(root, [], when.getTime() + RACY_WINDOW_MS / 2, first.hashed).text).not.toBe(first.text);
    // ...also once the edit has left the racy window, compared with the fingerprint that hashed it.
    expect(projectFingerprint(root, [], when.getTime() + 10 * RACY_WINDOW_MS, first.hashed).text).not.toBe(first.text);
  });

  it('is stable while nothing changes', () => {
    const root = project();
    writeFileSync(join(root, '.oj', 'runbooks', 'a.toml'), 'x = 1\n');
    expect(projectFingerprint(root, []).text).toBe(projectFingerprint(root, []).text);
  });

  it('does not change when a file merely leaves the racy window (a spurious reload kicked every worker)', () => {
    const root = project();
    const file = join(root, '.oj', 'runbooks', 'a.toml');
    writeFileSync(file, 'x = 1\n');
    const loaded = projectFingerprint(root, []);
    expect(loaded.hashed.has(file)).toBe(true); // just written: racy, so its content counts
    const later = projectFingerprint(root, [], Date.now() + 10 * RACY_WINDOW_MS, loaded.hashed);
    expect(later.text).toBe(loaded.text);
    // Once settled, no hash is needed any more, and the settled form is stable too.
    expect(later.settled.hashed.size).toBe(0);
    expect(projectFingerprint(root, [], Date.now() + 20 * RACY_WINDOW_MS, later.settled.hashed).text).toBe(later.settled.text);
  });

  it('with kept listings, reads a directory again only when it changed or is too recent to trust', () => {
    const root = project();
    const runbooks = join(root, '.oj', 'runbooks');
    writeFileSync(join(runbooks, 'a.toml'), 'x = 1\n');
    const listings: ListingCache = new Map();
    // Just written: racy, so nothing is kept.
    projectFingerprint(root, [], Date.now(), new Set(), listings);
    expect(listings.has(runbooks)).toBe(false);
    // Seen later, once old enough: kept, and the fingerprint is the one a fresh read gives.
    const later = Date.now() + 10 * RACY_WINDOW_MS;
    const kept = projectFingerprint(root, [], later, new Set(), listings);
    expect(listings.get(runbooks)?.names).toEqual(['a.toml']);
    expect(projectFingerprint(root, [], later, new Set(), listings).text).toBe(kept.text);
    expect(kept.text).toBe(projectFingerprint(root, [], later).text);
    // A runbook added (the directory's times move): seen at once.
    writeFileSync(join(runbooks, 'b.toml'), 'x = 2\n');
    const added = projectFingerprint(root, [], later, new Set(), listings);
    expect(added.text).not.toBe(kept.text);
    expect(added.text).toBe(projectFingerprint(root, [], later).text);
  });
});
