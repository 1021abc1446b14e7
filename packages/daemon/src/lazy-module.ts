/**
 * Code loaded on first use. An idle ojd keeps in memory only what idling
 * needs (docs/performance.md): git and desktop notifications (execa), the
 * Handlebars of agent prompts, agent sessions... are loaded the first time
 * something needs them. A module that fails to load fails the call that
 * needed it, with an error naming what could not be loaded and why; the next
 * call tries again.
 */

/** What could not be loaded, and why (the loader's own error is the `cause`). */
export class LazyLoadError extends Error {
  override readonly name = 'LazyLoadError';
  constructor(what: string, cause: unknown) {
    super(`could not load ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Loads with `load` (a dynamic `import()`) on the first call; later calls share the result. */
export function lazyImport<T>(what: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    loading ??= load().catch((err: unknown) => {
      loading = null;
      throw new LazyLoadError(what, err);
    });
    return loading;
  };
}

/** The synchronous kind (a CommonJS package through `require`, a value built on first use). */
export function lazyValue<T>(what: string, load: () => T): () => T {
  let value: { v: T } | null = null;
  return () => {
    if (value === null) {
      try {
        value = { v: load() };
      } catch (err) {
        throw new LazyLoadError(what, err);
      }
    }
    return value.v;
  };
}
