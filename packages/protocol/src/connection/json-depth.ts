/**
 * How deeply a JSON text nests, found by a scan that does not parse it. The
 * connection refuses a request nested deeper than MAX_JSON_DEPTH before parsing
 * it: nothing oj accepts needs that much, and walking such a value later
 * (validating, storing, logging) would exhaust the stack.
 */
export const MAX_JSON_DEPTH = 64;

/** True when `text` opens more than `max` arrays/objects inside one another (strings are skipped). */
export function nestsDeeperThan(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}
