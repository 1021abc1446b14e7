import { describe, expect, it } from 'vitest';
import { buildProjectFromTexts } from './load-project.js';
import { LookupError, type Project } from './project.js';
import { parseReference } from './reference.js';

function project(runbooks: Record<string, string>): Project {
  const result = buildProjectFromTexts({ runbooks });
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.project;
}

function problems(runbooks: Record<string, string>): string[] {
  const result = buildProjectFromTexts({ runbooks });
  return result.ok ? [] : result.errors.map((e) => `${e.file} ${e.field ?? ''}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
}

const guard = (name: string) => `[guard.${name}]\ncondition = "true"\n`;
const pipelineUsing = (pre: string) => `[pipeline.p]\n[[pipeline.p.phase]]\nname = "a"\npre = ["${pre}"]\n`;

describe('parseReference', () => {
  it.each([
    ['fix', { file: null, kind: null, name: 'fix' }],
    ['pipeline.fix', { file: null, kind: 'pipeline', name: 'fix' }],
    ['bugfix.agents', { file: 'bugfix', kind: null, name: 'agents' }],
    ['bugfix.pipeline.fix', { file: 'bugfix', kind: 'pipeline', name: 'fix' }],
  ])('%s', (text, parts) => {
    expect(parseReference(text)).toEqual({ ok: true, parts });
  });

  it.each(['a.b.c.d', 'a..b', '', 'a b', 'bugfix.pipelin.fix'])('rejects %j', (text) => {
    expect(parseReference(text).ok).toBe(false);
  });
});

describe('reference resolution', () => {
  it('prefers the own file', () => {
    const p = project({ a: guard('g') + pipelineUsing('g'), b: guard('g') });
    expect(p.pipeline('p')!.phase[0]!.pre).toEqual([{ ref: 'g', id: 'a.guard.g' }]);
  });

  it('falls back to the one other file that defines it', () => {
    const p = project({ a: pipelineUsing('g'), b: guard('g') });
    expect(p.pipeline('p')!.phase[0]!.pre[0]!.id).toBe('b.guard.g');
  });

  it('reports ambiguity between two other files, with the candidates', () => {
    expect(problems({ a: pipelineUsing('g'), b: guard('g'), c: guard('g') })).toEqual([
      '.oj/runbooks/a.toml pre[0]: guard "g" is ambiguous: defined in b.toml and c.toml (write "b.g" or "c.g")',
    ]);
  });

  it('resolves explicit file.name, kind.name and file.kind.name', () => {
    const p = project({ a: guard('g') + pipelineUsing('c.g'), c: guard('g') });
    expect(p.pipeline('p')!.phase[0]!.pre[0]!.id).toBe('c.guard.g');
    expect(project({ a: pipelineUsing('guard.g'), b: guard('g') }).pipeline('p')!.phase[0]!.pre[0]!.id).toBe('b.guard.g');
    expect(project({ a: guard('g') + pipelineUsing('b.guard.g'), b: guard('g') }).pipeline('p')!.phase[0]!.pre[0]!.id).toBe('b.guard.g');
  });

  it('rejects a reference to the wrong kind', () => {
    expect(problems({ a: pipelineUsing('pipeline.p') })).toEqual([
      '.oj/runbooks/a.toml pre[0]: "pipeline.p" names a pipeline, but a guard is needed here',
    ]);
  });

  it('reports unknown files and names with suggestions', () => {
    expect(problems({ a: pipelineUsing('bb.g'), b: guard('g') })).toEqual([
      '.oj/runbooks/a.toml pre[0]: "bb.g": no runbook file "bb" (did you mean "b"?)',
    ]);
    expect(problems({ a: pipelineUsing('b.gg'), b: guard('g') })).toEqual([
      '.oj/runbooks/a.toml pre[0]: "b.gg": runbook b has no guard "gg" (did you mean "g"?)',
    ]);
    expect(problems({ a: pipelineUsing('gaurd_one'), b: guard('guard_one') })).toEqual([
      '.oj/runbooks/a.toml pre[0]: unknown guard "gaurd_one" (did you mean "guard_one"?)',
    ]);
  });

  it('reads a two-part name as kind.name when the first part is a kind', () => {
    // A file named like a kind is reached with file.kind.name.
    const p = project({ pipeline: guard('g'), a: `${pipelineUsing('pipeline.guard.g')}` });
    expect(p.pipeline('p')!.phase[0]!.pre[0]!.id).toBe('pipeline.guard.g');
  });
});

describe('Project lookups', () => {
  const p = project({
    a: '[command.go]\nrun = "true"\n' + guard('g') + guard('only_a'),
    b: guard('g') + '[queue.q]\n',
  });

  it('finds unique names anywhere', () => {
    expect(p.command('go')?.id).toBe('a.command.go');
    expect(p.queue('q')?.id).toBe('b.queue.q');
    expect(p.guard('only_a')?.id).toBe('a.guard.only_a');
    expect(p.command('nope')).toBeUndefined();
  });

  it('uses fromFile to break ties, and throws on real ambiguity', () => {
    expect(p.guard('g', 'b')?.id).toBe('b.guard.g');
    expect(() => p.guard('g')).toThrow(LookupError);
    expect(p.lookup('guard', 'g')).toMatchObject({ ok: false, reason: 'ambiguous' });
    expect(p.lookup('guard', 'pipeline.g')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(p.lookup('guard', 'zz')).toMatchObject({ ok: false, reason: 'not_found' });
    expect(p.guard('a.g')?.id).toBe('a.guard.g');
  });

  it('gets by qualified id and lists by kind', () => {
    expect(p.get('b.guard.g')?.kind).toBe('guard');
    expect(p.all('guard').map((g) => g.id)).toEqual(['a.guard.g', 'a.guard.only_a', 'b.guard.g']);
  });

  it('dereferences resolved refs', () => {
    const q = project({ a: '[worker.w]\nqueue = "q"\nhandler = "pipeline.p"\n[queue.q]\n' + pipelineUsing('g') + guard('g') });
    const worker = q.worker('w')!;
    expect(q.deref('pipeline', worker.handler).name).toBe('p');
    expect(() => q.deref('queue', worker.handler)).toThrow(/internal/);
  });

  it('is JSON-serialisable', () => {
    expect(JSON.parse(JSON.stringify(p))).toEqual(p.toJSON());
  });
});

describe('project-unique names', () => {
  it.each(['command', 'worker', 'cron', 'queue', 'lock', 'semaphore'])('rejects %s defined in two files', (kind) => {
    const body: Record<string, string> = {
      command: 'run = "true"',
      worker: 'queue = "q"\nhandler = "p"',
      cron: 'interval = "1m"\nrun = "true"',
      queue: '',
      lock: '',
      semaphore: 'max = 1',
    };
    const support = kind === 'worker' ? '[queue.q]\n[pipeline.p]\n[[pipeline.p.phase]]\nname = "x"\n' : '';
    const text = `[${kind}.dup]\n${body[kind] ?? ''}\n`;
    const found = problems({ a: text + support, b: text });
    expect(found.some((m) => m.includes(`${kind} "dup" is also defined in .oj/runbooks/a.toml`))).toBe(true);
  });
});
