/**
 * `[safety]`: a file-level table for runbooks whose monitors clean up
 * (the janitor). `protected` lists paths the file's monitors never act
 * on; `dry_run` says whether a match is rehearsed (reported) before it is
 * acted on.
 */
import type { Safety } from './model.js';
import type { ParseContext } from './parse-context.js';
import { describeValue, isTable } from './toml-value.js';

export const SAFETY_FIELDS = ['protected', 'dry_run'] as const;
const DRY_RUN = ['first', 'always', 'off'] as const;

export function parseSafety(ctx: ParseContext, value: unknown, display: string): Safety | undefined {
  const location = { file: display, kind: 'safety' };
  if (!isTable(value)) {
    ctx.sink.add(location, `expected a table [safety], got ${describeValue(value)}`, 'e.g. [safety] protected = [".git", "src"]');
    return undefined;
  }
  const reader = ctx.open(value, location, SAFETY_FIELDS, 'the safety table');
  const list = reader.stringList('protected', { single: true }) ?? [];
  list.forEach((p, i) => {
    if (p.trim() === '') reader.error(`protected[${i}]`, 'an empty path would protect nothing');
  });
  let dryRun: Safety['dry_run'] = 'first';
  const raw = reader.raw('dry_run');
  if (raw === true) dryRun = 'always';
  else if (raw === false) dryRun = 'off';
  else if (typeof raw === 'string' && (DRY_RUN as readonly string[]).includes(raw)) dryRun = raw as Safety['dry_run'];
  else if (raw !== undefined) {
    reader.error('dry_run', `expected "first", "always" or "off", got ${describeValue(raw)}`, 'true means "always", false "off"');
  }
  return { protected: list.filter((p) => p.trim() !== ''), dry_run: dryRun };
}
