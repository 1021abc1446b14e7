/**
 * Secrets never reach ojd.log or the event log.
 *
 * The rule: an environment variable whose NAME matches SECRET_NAME (TOKEN,
 * SECRET, KEY, PASSWORD, PASSWD, PASSPHRASE, CREDENTIAL, PRIVATE) is a secret.
 * Its VALUE is remembered (from the daemon's own environment at start, and
 * from every agent session's environment when the session starts) and
 * replaced by `[redacted $NAME]` wherever it appears in a log entry or in an
 * event's data. In log entries, any field whose key matches the same pattern
 * is replaced by `[redacted]` too, whatever its value.
 *
 * Names, subjects and ids are covered too: an event's name and subject are
 * scrubbed when stored, like its data; a pipeline id whose input holds a
 * secret value takes a hash of the input instead (engine/pipeline-ids.ts),
 * and its log directory, workspace and branch follow the id; what clients
 * are shown of a pipeline (vars, error, label, runs, checkpoints) is
 * scrubbed. The pipeline's vars are stored as given: its phases need them.
 *
 * The agent itself still gets the real values (its spec.json is 0600 in a
 * 0700 directory); what it prints into its own transcript is its business.
 */

export const SECRET_NAME = /TOKEN|SECRET|KEY|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE/i;
/** Shorter values (`1`, `true`, `dev`) would redact ordinary words. */
const MIN_SECRET_LENGTH = 6;
const MAX_DEPTH = 20;

const secrets = new Map<string, string>(); // value -> name
let pattern: RegExp | null = null;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Remembers the values of the secret-named variables of an environment. */
export function registerSecretEnv(env: Record<string, string | undefined>): void {
  let added = false;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || !isSecretName(name)) continue;
    if (!secrets.has(value)) {
      secrets.set(value, name);
      added = true;
    }
  }
  if (added) {
    // Longest first, so a secret that contains another is replaced whole.
    const values = [...secrets.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    pattern = new RegExp(values.join('|'), 'g');
  }
}

/** Whether a string holds a known secret value. */
export function containsSecret(text: string): boolean {
  if (pattern === null || text.length < MIN_SECRET_LENGTH) return false;
  pattern.lastIndex = 0;
  const found = pattern.test(text);
  pattern.lastIndex = 0;
  return found;
}

/** A string with every known secret value replaced. */
export function scrubText(text: string): string {
  if (!containsSecret(text)) return text;
  return text.replace(pattern!, (v) => `[redacted $${secrets.get(v) ?? 'secret'}]`);
}

/**
 * A copy of a JSON-like value with secret values scrubbed from every string;
 * with `keys`, also every field whose key names a secret is replaced. The
 * input is not modified; values without anything to hide come back as they are.
 */
export function redactValue<T>(value: T, options: { keys?: boolean } = {}, depth = 0): T {
  if (pattern === null && !options.keys) return value; // no secret known: nothing to scrub
  if (typeof value === 'string') return scrubText(value) as T;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const r = redactValue(v, options, depth + 1);
      if (r !== v) changed = true;
      return r;
    });
    return (changed ? out : value) as T;
  }
  if (value instanceof Error) return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    let r: unknown;
    if (options.keys && isSecretName(k) && v !== null && v !== undefined && v !== '' && typeof v !== 'object') r = '[redacted]';
    else r = redactValue(v, options, depth + 1);
    if (r !== v) changed = true;
    out[k] = r;
  }
  return (changed ? out : value) as T;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The daemon's own environment: everything it starts inherits it.
registerSecretEnv(process.env);
