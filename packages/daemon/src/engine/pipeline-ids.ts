/**
 * Readable pipeline ids: `build-auth`, then `build-auth-2`, `build-auth-3`...
 * when taken, counted per project: the first `build auth` of every project
 * is `build-auth` (the numbering and keys are core/pipeline-id-numbers.ts). Storage keys pipelines across projects by a key: the id
 * itself when no pipeline anywhere ever had it, else `<id>.<project tag>`
 * (`build-auth.web-3f9a1c2b`), which no id can be (ids have no dot). An input holding a known secret value (log/redact.ts) never
 * shows in the id, nor so in the log directory, workspace and branch named
 * after it: a hash of the input takes its place (`sec-3f9a1c2b`), the same
 * for the same input.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { containsSecret } from '../log/redact.js';

const MAX_BASE = 48;
const HASH_LENGTH = 8;

export function baseId(
  pipelineName: string,
  inputs: Record<string, unknown>,
  inputNames: string[],
  isSecret: (text: string) => boolean = containsSecret,
): string {
  const first = inputNames.map((n) => inputs[n]).find((v) => typeof v === 'string' || typeof v === 'number');
  const itemId = inputNames
    .map((n) => inputs[n])
    .map((v) => (v && typeof v === 'object' && 'id' in v ? (v as { id: unknown }).id : undefined))
    .find((v) => typeof v === 'string' || typeof v === 'number');
  const suffix = first ?? itemId;
  if (suffix === undefined) return slug(pipelineName, MAX_BASE) || 'pipeline';
  const raw = `${pipelineName}-${String(suffix)}`;
  const readable = slug(raw, MAX_BASE);
  if (!isSecret(raw) && !isSecret(readable)) return readable || 'pipeline';
  const name = slug(pipelineName, MAX_BASE - HASH_LENGTH - 1);
  return `${name ? `${name}-` : ''}${inputHash(String(suffix))}`;
}

/** A short stable stand-in for an input that may not be shown. */
export function inputHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, HASH_LENGTH);
}

function slug(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
}

/** A short, readable, stable tag of a project root: `web-3f9a1c2b` for /home/me/web. */
export function projectTag(root: string): string {
  const name = slug(basename(root), 24);
  const hash = createHash('sha256').update(root).digest('hex').slice(0, HASH_LENGTH);
  return name ? `${name}-${hash}` : hash;
}
