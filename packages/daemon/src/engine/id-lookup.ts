/** Finding a thing by a unique prefix of its id, with a did-you-mean for typos. */
import { ErrorCode, OjError } from '@oj/protocol';
import { didYouMean } from '../runbook/did-you-mean.js';

export function resolveByPrefix(
  what: string,
  given: string,
  exact: (id: string) => boolean,
  withPrefix: (prefix: string) => string[],
  all: () => string[],
): string {
  if (exact(given)) return given;
  const matches = withPrefix(given);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new OjError(ErrorCode.Ambiguous, `${what} "${given}" is ambiguous: it starts ${matches.length} ids`, {
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
