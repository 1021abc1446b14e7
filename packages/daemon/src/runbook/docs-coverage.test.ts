/** docs/runbooks.md must document every field, built-in action and runtime name the loader knows. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KINDS } from './kinds.js';
import { KIND_FIELDS } from './parse-runbook-file.js';
import { BUILTIN_ACTIONS, RECOVERY_CONTEXTS, RECOVERY_CONTEXT_NAMES } from '../core/recovery/index.js';
import { RUNTIME_NAMES } from './runtime-names.js';

const docs = readFileSync(new URL('../../../../docs/runbooks.md', import.meta.url), 'utf8');

/** The text of the section `### <kind>` up to the next `### `/`## ` heading. */
function section(kind: string): string {
  const start = docs.indexOf(`\n### ${kind}\n`);
  if (start === -1) return '';
  const rest = docs.slice(start + 1);
  const end = rest.slice(4).search(/\n##+ /);
  return end === -1 ? rest : rest.slice(0, end + 4);
}

describe('docs/runbooks.md', () => {
  it.each(KINDS)('has a section for %s', (kind) => {
    expect(section(kind)).not.toBe('');
  });

  const rows = Object.entries(KIND_FIELDS).flatMap(([owner, fields]) => fields.map((field) => [owner, field] as const));
  it.each(rows)('documents %s field %s in a table row', (owner, field) => {
    const [kind, nested] = owner.split('.') as [string, string?];
    const text = section(kind);
    // Nested tables written with a prefix (dead.retention, retry.max) or in their own table (phase, attempt, inputs).
    let cell = `| \`${field}\` |`;
    if (nested === 'dead' || nested === 'retry') cell = `| \`${nested}.${field}\` |`;
    if (nested === undefined && (field === 'dead' || field === 'retry')) cell = `| \`${field}.`;
    expect(text).toContain(cell);
  });

  it.each([...BUILTIN_ACTIONS])('documents the built-in action %s', (action) => {
    expect(docs).toContain(`| \`${action}\` |`);
  });

  // The table "Which actions each chain accepts" is the contexts table of core/recovery, row for row.
  it.each(RECOVERY_CONTEXT_NAMES)('lists the built-ins chain %s accepts', (context) => {
    const [kind, field] = context.split('.') as [string, string];
    const owner = kind === 'phase' ? 'pipeline phase' : kind;
    const row = docs.split('\n').find((line) => line.startsWith(`| ${owner} \`${field}\` |`));
    expect(row, `a row for ${owner} ${field}`).toBeDefined();
    const listed = row!.split('|')[3]!.match(/`([a-z]+)`/g)!.map((s) => s.slice(1, -1));
    expect(listed).toEqual([...RECOVERY_CONTEXTS[context].actions]);
  });

  it.each(Object.keys(RUNTIME_NAMES))('documents the runtime value %s', (name) => {
    expect(docs).toContain(`| \`${name}\` |`);
  });

  it('documents the config keys', () => {
    expect(docs).toContain('| `[pipeline] max_phase_visits` |');
    expect(docs).toContain('| `[agent] command` |');
  });
});
