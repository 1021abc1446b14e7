/** Finding a thing by a unique prefix of its id, with a did-you-mean for typos. */
import { ErrorCode, OjError } from '@oj/protocol';
import { didYouMean } from '../runbook/did-you-mean.js';

/**
 * `live`: the ids with the prefix that are still live (a running session);
 * when several ids match, one live match wins over ended ones, and several
 * live ones are the ambiguity a person has to settle.
 */
export function resolveByPrefix(
  what: string,
  given: string,
  exact: (id: string) => boolean,
  withPrefix: (prefix: string) => string[],
  all: () => string[],
  live?: (prefix: string) => string[],
): string {
  if (exact(given)) return given;
  let matches = withPrefix(given);
  if (matches.length === 1) return matches[0]!;
  let which = 'ids';
  if (matches.length > 1 && live) {
    const running = live(given);
    if (running.length === 1) return running[0]!;
    if (running.length > 1) [matches, which] = [running, 'live ids'];
  }
  if (matches.length > 1) {
    throw new OjError(ErrorCode.Ambiguous, `${what} "${given}" is ambiguous: it starts ${matches.length} ${which}`, {
      kind: 'ambiguous',
      what,
      id: given,
      candidates: matches,
      hint: `one of: ${matches.slice(0, 8).join(', ')}`,
    });
  }
  const suggestion = didYouMean(given, all());
  throw OjError.notFound(what, given, suggestion ? { hint: suggestion } : {});
}
