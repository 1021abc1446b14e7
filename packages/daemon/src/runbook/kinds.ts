/**
 * The primitive kinds a runbook may define, in the order the reference
 * documents them. A kind is also the first part of a kind-qualified reference
 * (`pipeline.fix`).
 */
export const KINDS = [
  'command',
  'worker',
  'cron',
  'queue',
  'pipeline',
  'agent',
  'guard',
  'strategy',
  'lock',
  'semaphore',
  'monitor',
  'action',
] as const;

export type Kind = (typeof KINDS)[number];

/**
 * Kinds the CLI addresses by bare name (`oj run build`, `oj worker start
 * bugfix`, `oj queue add bugs`, `oj lock list`): a name may be defined only
 * once per project, so the CLI never has to ask "which file?".
 */
export const PROJECT_UNIQUE_KINDS: readonly Kind[] = ['command', 'worker', 'cron', 'queue', 'lock', 'semaphore'];

/** Top-level tables that are not primitive kinds. */
export const FILE_LEVEL_TABLES = ['events', 'safety'] as const;

export function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}

/** `file.kind.name`: the fully qualified id of a primitive. */
export function qualifiedId(file: string, kind: Kind, name: string): string {
  return `${file}.${kind}.${name}`;
}

/** Names of primitives and runbook files: a letter or `_`, then letters, digits, `_` or `-`. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}
