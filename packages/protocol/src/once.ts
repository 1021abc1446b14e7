/**
 * A value built on first use, then kept: how the protocol's zod schemas are
 * declared, so that importing it builds none (an idle ojd only holds the
 * schemas of the methods it has been called with).
 */
export function once<T>(build: () => T): () => T {
  let built = false;
  let value: T | undefined;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
