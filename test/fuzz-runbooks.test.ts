/**
 * Fuzz of the runbook loader: the library runbooks and the concept document's
 * runbooks, mutated (seeded: lines deleted, duplicated, swapped, truncated;
 * characters and TOML tokens inserted; values of another type; references
 * and keys misspelled). The loader must never throw: it either yields a
 * complete project, in which every reference resolves and every primitive
 * can be shown, or a list of errors each naming its file with a message.
 * Nothing in between. Replay with OJ_FUZZ_SEED; more with OJ_FUZZ_RUNBOOKS.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProjectFromTexts, showPrimitive, type InMemoryProject, type LoadResult } from '../packages/daemon/src/runbook/index.js';
import { prng, seedFrom } from './helpers/crash-kit.js';
import { REPO } from './helpers/ojd-harness.js';

const seed = seedFrom('OJ_FUZZ_SEED');
const total = Number(process.env.OJ_FUZZ_RUNBOOKS ?? 2000);
const tally = { mutated: 0, loaded: 0, rejected: 0, errors: 0, crashes: 0, incomplete: 0 };

afterAll(() => {
  console.log(
    `runbook fuzz (seed ${seed}; replay with OJ_FUZZ_SEED=${seed}): ${tally.mutated} runbooks mutated: ${tally.rejected} rejected with ` +
      `${tally.errors} validation errors, ${tally.loaded} still valid and complete; ${tally.crashes} crashes, ${tally.incomplete} half-loaded`,
  );
});

function walk(dir: string, pick: (path: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p, pick) : pick(p) ? [p] : [];
  });
}

/** The corpus: projects that load as they are. */
function corpus(): InMemoryProject[] {
  const library: InMemoryProject = { runbooks: {}, files: {} };
  for (const f of walk(join(REPO, 'runbooks'), (p) => p.endsWith('.toml'))) library.runbooks[basename(f, '.toml')] = readFileSync(f, 'utf8');
  for (const f of walk(join(REPO, 'runbooks'), (p) => p.endsWith('.md'))) {
    library.files![relative(join(REPO, 'runbooks'), f).split('/').slice(1).join('/')] = readFileSync(f, 'utf8');
  }
  const conceptRoot = join(REPO, 'test', 'fixtures', 'runbooks', 'concept');
  const concept: InMemoryProject = { runbooks: {}, files: {}, config: readFileSync(join(conceptRoot, '.oj', 'config.toml'), 'utf8') };
  for (const f of walk(join(conceptRoot, '.oj', 'runbooks'), (p) => p.endsWith('.toml'))) concept.runbooks[basename(f, '.toml')] = readFileSync(f, 'utf8');
  for (const f of walk(join(conceptRoot, 'templates'), () => true)) concept.files![relative(conceptRoot, f)] = readFileSync(f, 'utf8');
  return [library, concept];
}

const TOKENS = [
  '"', "'", '"""', "'''", '[', ']', '[[', ']]', '{', '}', '=', ',', '.', '#', '\\', '\n', ' = ', '\u0000', 'é', '🚀', '\t',
  '\n[pipeline.x]\n', '\n[[pipeline.x.phase]]\nname = "a"\n', '\n[worker.w]\nqueue = "nope"\nhandler = "pipeline.nope"\n',
  'next = "nope"\n', 'lock = "missing"\n', 'semaphore = "missing"\n', 'timeout = "5 minutes"\n', 'max_retries = -1\n',
  'concurrency = 0\n', 'concurrency = "3"\n', 'run = "echo {unknown_placeholder}"\n', 'on_fail = ["restart:x"]\n',
  'on_stuck = ["nudge", "restart:0", 5]\n', 'interval = "-5s"\n', 'args = "<a> [b] <c>"\n', 'idle_action = "wait:forever"\n',
  'inputs = [1, 2]\n', 'handler = "pipeline.fix.extra"\n', 'wake_on = ["a:{b"]\n', 'order = "priority desc desc"\n',
];
const VALUES = ['123', 'true', '[1, 2]', '{ a = 1 }', '""', '"{"', '"}"', '"{a}{b}"', '-1', '1e400', '"5x"', '"pipeline."', '[]', '"\\u0000"'];

type Rand = ReturnType<typeof prng>;

function mutate(text: string, r: Rand): string {
  const lines = text.split('\n');
  const line = () => r.int(0, Math.max(0, lines.length - 1));
  switch (r.int(0, 9)) {
    case 0:
      lines.splice(line(), 1);
      return lines.join('\n');
    case 1: {
      const i = line();
      lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    }
    case 2: {
      const i = line();
      const j = line();
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      return lines.join('\n');
    }
    case 3:
      return text.slice(0, r.int(0, text.length));
    case 4: {
      const at = r.int(0, text.length);
      return text.slice(0, at) + r.pick(TOKENS) + text.slice(at);
    }
    case 5: {
      const at = r.int(0, Math.max(0, text.length - 1));
      return text.slice(0, at) + r.pick(TOKENS).slice(0, 1) + text.slice(at + 1);
    }
    case 6: {
      // A value of another type.
      const i = line();
      const l = lines[i] ?? '';
      const eq = l.indexOf('=');
      if (eq < 0) return text;
      lines[i] = l.slice(0, eq + 1) + ' ' + r.pick(VALUES);
      return lines.join('\n');
    }
    case 7: {
      // A misspelled key or reference: drop or double a character of a word.
      const words = [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]{2,}/g)];
      if (words.length === 0) return text;
      const w = r.pick(words);
      const k = r.int(0, w[0].length - 1);
      const changed = r.chance(0.5) ? w[0].slice(0, k) + w[0].slice(k + 1) : w[0].slice(0, k) + w[0][k] + w[0].slice(k);
      return text.slice(0, w.index) + changed + text.slice(w.index! + w[0].length);
    }
    case 8: {
      const i = line();
      lines.splice(i, 0, r.pick(TOKENS).trim() || 'x = 1');
      return lines.join('\n');
    }
    default: {
      // A reference to something else that exists (or not): swap two quoted strings.
      const quoted = [...text.matchAll(/"[^"\n]{1,40}"/g)];
      if (quoted.length < 2) return text;
      const a = r.pick(quoted);
      return text.slice(0, a.index) + r.pick(quoted)[0] + text.slice(a.index! + a[0].length);
    }
  }
}

/** Everything a loaded project promises: every reference resolves, every primitive can be shown. */
function completeness(result: Extract<LoadResult, { ok: true }>): string[] {
  const problems: string[] = [];
  const project = result.project;
  const model = JSON.parse(JSON.stringify(project.toJSON())) as unknown;
  const visit = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.ref === 'string' && typeof o.id === 'string' && Object.keys(o).length === 2 && !project.get(o.id)) {
        problems.push(`${path}: reference ${o.ref} -> ${o.id} does not resolve`);
      }
      if (typeof o.action === 'string' && o.builtin === false && typeof o.id === 'string' && !project.get(o.id)) {
        problems.push(`${path}: action ${o.action} -> ${o.id} does not resolve`);
      }
      for (const [k, x] of Object.entries(o)) visit(x, `${path}.${k}`);
    }
  };
  visit(model, 'project');
  for (const p of project.list()) {
    const prim = project.get(p.id);
    if (!prim) {
      problems.push(`${p.id} is listed but not found`);
      continue;
    }
    if (prim.kind === 'pipeline') {
      const names = new Set(prim.phase.map((ph) => ph.name));
      if (prim.phase.length === 0) problems.push(`${p.id} has no phases`);
      for (const ph of prim.phase) {
        if (ph.next !== null && !names.has(ph.next)) problems.push(`${p.id} phase ${ph.name}: next ${ph.next} does not exist`);
        if (ph.on_fail?.type === 'phase' && !names.has(ph.on_fail.phase)) problems.push(`${p.id} phase ${ph.name}: on_fail ${ph.on_fail.phase} does not exist`);
      }
    }
    try {
      showPrimitive(prim);
    } catch (err) {
      problems.push(`showing ${p.id} threw: ${(err as Error).message}`);
    }
  }
  return problems;
}

describe('runbook loader under mutated TOML', () => {
  it(`${total} mutated runbooks: validation errors or a complete project, never a crash or a half-loaded runbook`, () => {
    const r = prng(seed);
    const projects = corpus();
    for (const p of projects) {
      const baseline = buildProjectFromTexts(p);
      expect(baseline.ok ? [] : baseline.errors.map((e) => e.message)).toEqual([]);
    }
    const failures: string[] = [];
    for (let i = 0; i < total && failures.length < 5; i++) {
      const base = r.pick(projects);
      const file = r.pick(Object.keys(base.runbooks));
      let text = base.runbooks[file]!;
      for (let k = r.int(1, 3); k > 0; k--) text = mutate(text, r);
      const input: InMemoryProject = { ...base, runbooks: { ...base.runbooks, [file]: text } };
      tally.mutated++;
      let result: LoadResult;
      try {
        result = buildProjectFromTexts(input);
      } catch (err) {
        tally.crashes++;
        failures.push(`mutation #${i} of ${file}.toml threw ${(err as Error).stack}\n--- text ---\n${text}`);
        continue;
      }
      if (result.ok) {
        tally.loaded++;
        const problems = completeness(result);
        if (problems.length) tally.incomplete++;
        if (problems.length) failures.push(`mutation #${i} of ${file}.toml loaded incomplete: ${problems.join('; ')}\n--- text ---\n${text}`);
      } else {
        tally.rejected++;
        tally.errors += result.errors.length;
        const bad = result.errors.filter((e) => typeof e.message !== 'string' || e.message.trim() === '' || typeof e.file !== 'string' || e.file === '');
        if (result.errors.length === 0 || bad.length) failures.push(`mutation #${i} of ${file}.toml: errors without a file or message: ${JSON.stringify(bad)}`);
      }
    }
    expect(failures, `seed ${seed}`).toEqual([]);
  }, 120_000);
});
