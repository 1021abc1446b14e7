/**
 * References between primitives and how they resolve.
 *
 * Forms: `name`, `kind.name` (`pipeline.fix`), `file.name` (`bugfix.agents`),
 * `file.kind.name` (`bugfix.pipeline.fix`). In a two-part reference the first
 * part is read as a kind when it is one, else as a file name.
 *
 * Resolution of an unqualified name (or `kind.name`): the referring file
 * first, then the other files of the project; found in two or more other
 * files (and not in the own file) is an ambiguity error listing them.
 */
import { didYouMean } from './did-you-mean.js';
import { isKind, KINDS, qualifiedId, type Kind } from './kinds.js';
import type { PrimitiveIndex } from './primitive-index.js';

export interface ReferenceParts {
  file: string | null;
  kind: Kind | null;
  name: string;
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export type ReferenceSyntax = { ok: true; parts: ReferenceParts } | { ok: false; message: string; hint?: string };

export function parseReference(text: string): ReferenceSyntax {
  const segments = text.split('.');
  if (segments.length > 3 || !segments.every((s) => SEGMENT.test(s))) {
    return {
      ok: false,
      message: `"${text}" is not a valid reference`,
      hint: 'references look like "name", "kind.name", "file.name" or "file.kind.name"',
    };
  }
  const [a, b, c] = segments as [string, string?, string?];
  if (b === undefined) return { ok: true, parts: { file: null, kind: null, name: a } };
  if (c === undefined) {
    return isKind(a) ? { ok: true, parts: { file: null, kind: a, name: b } } : { ok: true, parts: { file: a, kind: null, name: b } };
  }
  if (!isKind(b)) {
    return { ok: false, message: `"${text}": "${b}" is not a kind`, hint: didYouMean(b, KINDS) };
  }
  return { ok: true, parts: { file: a, kind: b, name: c } };
}

export type ResolutionFailure = 'not_found' | 'ambiguous' | 'invalid';

export type Resolution = { ok: true; id: string } | { ok: false; reason: ResolutionFailure; message: string; hint?: string };

/**
 * Resolve `text` to a primitive of kind `expected`, seen from runbook file
 * `fromFile` (null: no own file, search the whole project).
 */
export function resolveReference(index: PrimitiveIndex, text: string, expected: Kind, fromFile: string | null): Resolution {
  const syntax = parseReference(text);
  if (!syntax.ok) return { ...syntax, reason: 'invalid' };
  const { file, kind, name } = syntax.parts;
  if (kind !== null && kind !== expected) {
    return { ok: false, reason: 'invalid', message: `"${text}" names a ${kind}, but a ${expected} is needed here` };
  }
  if (file !== null) {
    if (!index.hasFile(file)) {
      return {
        ok: false,
        reason: 'not_found',
        message: `"${text}": no runbook file "${file}"`,
        hint: didYouMean(file, index.fileNames()) ?? `runbooks: ${index.fileNames().join(', ')}`,
      };
    }
    if (index.filesDefining(expected, name).includes(file)) return { ok: true, id: qualifiedId(file, expected, name) };
    const names = index.namesIn(expected, file);
    return {
      ok: false,
      reason: 'not_found',
      message: `"${text}": runbook ${file} has no ${expected} "${name}"`,
      hint:
        didYouMean(name, names) ??
        (names.length === 0 ? `${file}.toml defines no ${expected}` : `its ${expected}s: ${names.join(', ')}`),
    };
  }
  const files = index.filesDefining(expected, name);
  if (fromFile !== null && files.includes(fromFile)) return { ok: true, id: qualifiedId(fromFile, expected, name) };
  const [only, ...others] = files;
  if (only !== undefined && others.length === 0) return { ok: true, id: qualifiedId(only, expected, name) };
  if (only !== undefined) {
    return {
      ok: false,
      reason: 'ambiguous',
      message: `${expected} "${name}" is ambiguous: defined in ${files.map((f) => `${f}.toml`).join(' and ')}`,
      hint: `write ${files.map((f) => `"${f}.${name}"`).join(' or ')}`,
    };
  }
  const all = index.allNames(expected);
  return {
    ok: false,
    reason: 'not_found',
    message: `unknown ${expected} "${name}"`,
    hint: didYouMean(name, all) ?? (all.length === 0 ? `the project defines no ${expected}` : `${expected}s: ${all.join(', ')}`),
  };
}
