/**
 * kysely's runtime values, loaded from its CommonJS build. Its ES module
 * build is ~260 files that Node 20 resolves and links one by one on every
 * daemon start; the CommonJS build loads in about half the time and leaves
 * the daemon ~7 MB smaller (docs/performance.md). Import kysely's values
 * (`sql`, the compiler classes) from here so only one build is ever loaded;
 * types may still come from 'kysely' with `import type`.
 */
import { createRequire } from 'node:module';

const kysely = createRequire(import.meta.url)('kysely') as typeof import('kysely');

export const sql = kysely.sql;
export const KyselyBuilder = kysely.Kysely;
export const DummyDriver = kysely.DummyDriver;
export const SqliteAdapter = kysely.SqliteAdapter;
export const SqliteIntrospector = kysely.SqliteIntrospector;
export const SqliteQueryCompiler = kysely.SqliteQueryCompiler;
export const PostgresDialect = kysely.PostgresDialect;
