/**
 * Which request a shared commit was made for. The router runs each request
 * in a scope; a shared store that commits (asynchronously, PostgreSQL's
 * group commit) marks it; before the request's answer leaves the daemon the
 * router makes those commits durable (SharedStore.makeDurable). Commits made
 * outside a request (workers, timers) mark nothing; their own consumers wait
 * for durability where they must (the outbox).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface Scope {
  shared: boolean;
}

const scope = new AsyncLocalStorage<Scope>();

/** Runs fn in a fresh scope; says whether it made a shared commit. */
export async function inRequest<T>(fn: () => Promise<T> | T): Promise<{ result: T; sharedCommit: boolean }> {
  const s: Scope = { shared: false };
  const result = await scope.run(s, fn);
  return { result, sharedCommit: s.shared };
}

/** A shared transaction committed for the current request (if any). */
export function sharedCommitted(): void {
  const s = scope.getStore();
  if (s) s.shared = true;
}
