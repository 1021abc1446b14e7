/**
 * A query that kysely builds and compiles once, and SQLite runs many times.
 * Building a query with kysely and compiling it costs several times what
 * SQLite spends running it (and allocates a few KB each time); for the few
 * statements every cron tick and every event runs, that was most of what an
 * idle daemon did (docs/performance.md). `build` is called once, with
 * placeholders standing for the arguments (typed as their values: it may only
 * pass them to kysely as values, never look at them); each run binds the
 * arguments by name where the compiled SQL has them.
 *
 * `keys` lists every argument (a record with every key of the arguments, so
 * the compiler checks it is complete): then the placeholders are a plain
 * object that `build` may spread or hand to `.values()` whole.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable } from 'kysely';

type Param = string | number | bigint | Buffer | null;

class Placeholder {
  constructor(readonly name: string) {}
}

export interface PreparedQuery<A, R> {
  all(args: A): R[];
  first(args: A): R | undefined;
  run(args: A): { changes: number; lastInsertRowid: number };
}

/** Every key of A, each once: `{ project: true, name: true }`. */
export type AllKeys<A> = { [K in keyof A]-?: true };

export function prepareQuery<A extends object, R>(
  statement: (sql: string) => BetterSqlite3.Statement,
  build: (args: A) => Compilable<R>,
  keys?: AllKeys<A>,
): PreparedQuery<A, R> {
  // Built on first use, as a query built in place would be (a store made before its table exists still works).
  let ready: { stmt: BetterSqlite3.Statement; slots: (string | { value: Param })[] } | null = null;
  const bind = (args: A): [BetterSqlite3.Statement, Param[]] => {
    ready ??= compile(statement, build, keys);
    const values = args as Record<string, unknown>;
    return [ready.stmt, ready.slots.map((s) => (typeof s === 'string' ? toParam(values[s]) : s.value))];
  };
  return {
    all: (args) => {
      const [stmt, params] = bind(args);
      return stmt.all(...params) as R[];
    },
    first: (args) => {
      const [stmt, params] = bind(args);
      return stmt.get(...params) as R | undefined;
    },
    run: (args) => {
      const [stmt, params] = bind(args);
      const r = stmt.run(...params);
      return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
    },
  };
}

function compile<A extends object, R>(statement: (sql: string) => BetterSqlite3.Statement, build: (args: A) => Compilable<R>, keys: AllKeys<A> | undefined) {
  const placeholders = keys
    ? (Object.fromEntries(Object.keys(keys).map((k) => [k, new Placeholder(k)])) as A)
    : (new Proxy({}, { get: (_target, key) => (typeof key === 'string' ? new Placeholder(key) : undefined) }) as A);
  const compiled = build(placeholders).compile();
  const slots = compiled.parameters.map((p) => (p instanceof Placeholder ? p.name : { value: toParam(p) }));
  return { stmt: statement(compiled.sql), slots };
}

function toParam(value: unknown): Param {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === undefined) return null;
  return value as Param;
}
