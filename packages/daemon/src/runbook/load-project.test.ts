/** Loading from disk: discovery, config, file listing, check paths. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPath } from './check-path.js';
import { findProjectRoot, listRunbookFiles, runbookName } from './discovery.js';
import { loadProject, loadProjectSync } from './load-project.js';
import { DEFAULT_CONFIG, parseProjectConfig } from './project-config.js';

let dir: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-runbook-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('findProjectRoot', () => {
  it('finds the nearest ancestor holding .oj/', () => {
    mkdirSync(join(dir, 'outer/.oj'), { recursive: true });
    mkdirSync(join(dir, 'outer/inner/.oj'), { recursive: true });
    mkdirSync(join(dir, 'outer/inner/src/deep'), { recursive: true });
    expect(findProjectRoot(join(dir, 'outer/inner/src/deep'))).toBe(join(dir, 'outer/inner'));
    expect(findProjectRoot(join(dir, 'outer'))).toBe(join(dir, 'outer'));
  });

  it('ignores a .oj that is a file, and returns null at the filesystem root', () => {
    write('p/.oj', 'not a dir');
    mkdirSync(join(dir, 'p/src'), { recursive: true });
    const found = findProjectRoot(join(dir, 'p/src'));
    expect(found === null || !found.startsWith(dir)).toBe(true);
  });
});

describe('listRunbookFiles', () => {
  it('lists *.toml files, sorted, skipping directories, hidden files and other extensions', () => {
    write('rb/b.toml', '');
    write('rb/a.toml', '');
    write('rb/.hidden.toml', '');
    write('rb/notes.md', '');
    mkdirSync(join(dir, 'rb/sub.toml'));
    write('elsewhere/c.toml', '');
    symlinkSync(join(dir, 'elsewhere/c.toml'), join(dir, 'rb/c.toml'));
    expect(listRunbookFiles(join(dir, 'rb')).map((p) => p.slice(dir.length))).toEqual(['/rb/a.toml', '/rb/b.toml', '/rb/c.toml']);
    expect(listRunbookFiles(join(dir, 'missing'))).toEqual([]);
    expect(runbookName('/x/.oj/runbooks/bugfix.toml')).toBe('bugfix');
  });
});

describe('loadProject', () => {
  it('loads runbooks and config from disk', async () => {
    write('.oj/config.toml', '[pipeline]\nmax_phase_visits = 3\n');
    write('.oj/runbooks/main.toml', '[pipeline.p]\n[[pipeline.p.phase]]\nname = "a"\n[agent.x]\nprompt_file = "prompts/x.md"\n');
    write('prompts/x.md', 'Hello {{name}}');
    const result = await loadProject(dir);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.project.pipeline('p')!.max_phase_visits).toBe(3);
      expect(result.project.agent('x')!.prompt_path).toBe(join(dir, 'prompts/x.md'));
      expect(result.project.files.map((f) => f.display)).toEqual(['.oj/runbooks/main.toml']);
    }
  });

  it('fails without a .oj directory', () => {
    expect(loadProjectSync(dir)).toEqual({
      ok: false,
      errors: [{ file: dir, message: 'not an oj project: no .oj directory', hint: 'create .oj/runbooks/ and put runbook .toml files in it' }],
    });
  });

  it('loads a project with .oj but no runbooks as empty', () => {
    mkdirSync(join(dir, '.oj'));
    const result = loadProjectSync(dir);
    expect(result.ok && result.project.list()).toEqual([]);
  });

  it('never returns a half-loaded project', () => {
    write('.oj/runbooks/good.toml', '[lock.l]\n');
    write('.oj/runbooks/bad.toml', '[lock.m]\nheartbeat = "x"\n');
    const result = loadProjectSync(dir);
    expect(result).toMatchObject({ ok: false, errors: [{ file: '.oj/runbooks/bad.toml', line: 2, field: 'heartbeat' }] });
    expect('project' in result).toBe(false);
  });
});

describe('project config', () => {
  it('defaults when absent, rejects unknown keys and bad values', () => {
    expect(parseProjectConfig(null, 'c')).toEqual({ config: DEFAULT_CONFIG, errors: [] });
    const parsed = parseProjectConfig('[pipeline]\nmax_phase_visits = 0\n[daemon]\nx = 1\n[agent]\ncommand = ""', 'c');
    expect(parsed.errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'daemon: unknown field "daemon"',
      'pipeline.max_phase_visits: must be at least 1, got 0',
      'agent.command: must not be empty',
    ]);
    expect(parseProjectConfig('[pipeline', 'c').errors[0]).toMatchObject({ file: 'c', line: 1 });
  });
});

describe('checkPath', () => {
  beforeEach(() => {
    write('.oj/runbooks/a.toml', '[guard.g]\ncondition = "true"\n');
    write('.oj/runbooks/b.toml', '[pipeline.p]\n[[pipeline.p.phase]]\nname = "x"\npre = ["g"]\n');
  });

  it('checks a project directory, its .oj and its runbooks directory', () => {
    for (const path of [dir, join(dir, '.oj'), join(dir, '.oj/runbooks')]) {
      expect(checkPath(path)).toEqual({ ok: true, root: dir, files: ['.oj/runbooks/a.toml', '.oj/runbooks/b.toml'], primitives: 2, schedules: [], errors: [] });
    }
  });

  it('checks one file together with its project, reporting only its problems', () => {
    write('.oj/runbooks/c.toml', '[lock.l]\ntimeout = "soon"\n');
    expect(checkPath(join(dir, '.oj/runbooks/b.toml'))).toMatchObject({ ok: true, errors: [] });
    expect(checkPath(join(dir, '.oj/runbooks/c.toml'))).toMatchObject({ ok: false, errors: [{ file: '.oj/runbooks/c.toml', field: 'timeout' }] });
  });

  it('checks a draft file outside .oj/runbooks against the project, replacing the runbook of the same name', () => {
    write('drafts/b.toml', '[pipeline.p]\n[[pipeline.p.phase]]\nname = "x"\npre = ["gg"]\n');
    expect(checkPath(join(dir, 'drafts/b.toml'))).toMatchObject({
      ok: false,
      root: dir,
      errors: [{ file: 'drafts/b.toml', message: 'unknown guard "gg"', hint: 'did you mean "g"?' }],
    });
  });

  it('checks a plain directory of runbooks', () => {
    const plain = mkdtempSync(join(tmpdir(), 'oj-plain-'));
    try {
      writeFileSync(join(plain, 'x.toml'), '[lock.l]\n');
      expect(checkPath(plain)).toMatchObject({ ok: true, root: plain, files: ['x.toml'] });
      writeFileSync(join(plain, 'y.toml'), '[lock.l]\n');
      expect(checkPath(plain).errors[0]?.message).toContain('lock "l" is also defined in x.toml');
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it('reports missing paths, non-runbook files and empty directories', () => {
    expect(checkPath(join(dir, 'nope')).errors[0]?.message).toBe('no such file or directory');
    write('notes.md', '');
    expect(checkPath(join(dir, 'notes.md')).errors[0]?.message).toBe('not a runbook file');
    mkdirSync(join(dir, 'empty'));
    expect(checkPath(join(dir, 'empty')).errors[0]?.message).toBe('no runbook files (*.toml) here');
  });
});
