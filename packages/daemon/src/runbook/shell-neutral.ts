/**
 * The shell text with each placeholder replaced by a neutral identifier
 * (`__oj_ph_0__`, `__oj_ph_1__`...), so a bash parser sees a plain word or
 * variable name where each value will stand and its tree shows the context.
 */
import type { PlaceholderMatch } from './placeholder.js';
import type { ShellPart } from './shell-scanner.js';

/** Matches a neutral token. */
export const TOKEN = /__oj_ph_\d+__/;

export interface NeutralShell {
  text: string;
  /** Per placeholder, in order: its token, where the token starts in `text`, and the placeholder. */
  tokens: Array<{ token: string; at: number; match: PlaceholderMatch }>;
}

export function neutralShell(parts: readonly ShellPart[]): NeutralShell {
  let text = '';
  const tokens: NeutralShell['tokens'] = [];
  for (const part of parts) {
    if (part.type === 'text') {
      text += part.text;
      continue;
    }
    const token = `__oj_ph_${tokens.length}__`;
    tokens.push({ token, at: text.length, match: part.match });
    text += token;
  }
  return { text, tokens };
}
