/**
 * A worker's `wake_on` patterns as event-name globs. `{worker}` and
 * `{queue}` are the worker's own name and its queue's name; any other
 * placeholder (`{id}`, `{after}`) stands for "any value" and becomes `*`,
 * so `pipeline:{name}:complete` wakes the worker when any pipeline
 * completes.
 */
export function wakePatterns(patterns: readonly string[], values: { worker: string; queue: string }): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    const glob = p.replace(/\{([^{}]*)\}/g, (_, name: string) => {
      const v = (values as Record<string, string>)[name.trim()];
      return v !== undefined && v !== '' ? v : '*';
    });
    out.add(glob.replace(/\*+/g, '*'));
  }
  return [...out];
}
