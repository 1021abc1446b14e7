/**
 * A method's params schema is built the first time `params` is read, once:
 * importing the protocol builds none (an idle ojd holds only the schemas of
 * the methods it has been called with), and validation answers as before.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSONRPCErrorException } from 'json-rpc-2.0';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { validatedMethod } from './connection/method-table.js';
import { ErrorCode } from './errors.js';
import { allMethods, PipelineMethods, QueueMethods, SessionHostMethods } from './index.js';
import { method, type ParamsOf, type ParsedParamsOf } from './rpc.js';

/** A descriptor whose schema counts how often it is built. */
function counted() {
  const builds = { n: 0 };
  const Add = method<{ sum: number }>()(
    'test.add',
    () => {
      builds.n++;
      return z.object({ a: z.number(), b: z.number().default(0) }).strict();
    },
    'Adds.',
  );
  return { Add, builds };
}

/** What validatedMethod throws for `raw`, or null when it answers. */
async function rejection(run: (raw: unknown, ctx: undefined) => Promise<unknown>, raw: unknown): Promise<unknown> {
  return run(raw, undefined).then(
    () => null,
    (err: unknown) => err,
  );
}

describe('method params, built on first use', () => {
  it('a descriptor builds its schema on the first read of params, then hands out the same one', () => {
    const { Add, builds } = counted();
    expect(builds.n).toBe(0);
    // What the generated client descriptors and the docs read besides params.
    expect([Add.kind, Add.name, Add.summary]).toEqual(['method', 'test.add', 'Adds.']);
    expect(Object.keys(Add)).toEqual(['kind', 'name', 'params', 'summary']);
    expect(builds.n).toBe(0);
    const schema = Add.params;
    expect(builds.n).toBe(1);
    expect(Add.params).toBe(schema);
    expect(builds.n).toBe(1);
    expect(schema.parse({ a: 1 })).toEqual({ a: 1, b: 0 });
  });

  it('keeps the params types: ParamsOf is the input, ParsedParamsOf the output of the schema', () => {
    type Add = ReturnType<typeof counted>['Add'];
    expectTypeOf<ParamsOf<Add>>().toEqualTypeOf<{ a: number; b?: number | undefined }>();
    expectTypeOf<ParsedParamsOf<Add>>().toEqualTypeOf<{ a: number; b: number }>();
    expectTypeOf<ParamsOf<typeof PipelineMethods.Show>>().toEqualTypeOf<{ id: string; project?: string | undefined }>();
    expectTypeOf<ParamsOf<typeof QueueMethods.Complete>>().toEqualTypeOf<{
      project: string;
      queue: string;
      id?: string | undefined;
      ids?: string[] | undefined;
    }>();
    expectTypeOf<SessionHostMethods.SessionSpec['cols']>().toEqualTypeOf<number>();
    expectTypeOf<SessionHostMethods.SessionSpecInput['cols']>().toEqualTypeOf<number | undefined>();
  });

  it('a registered method builds its schema on its first call; bad params are -32602 with the issues, as before', async () => {
    const { Add, builds } = counted();
    const run = validatedMethod(Add, ({ a, b }) => ({ sum: a + b }));
    expect(builds.n).toBe(0);
    const err = await rejection(run, { a: 1, b: 'two' });
    expect(err).toBeInstanceOf(JSONRPCErrorException);
    expect(err).toMatchObject({
      code: ErrorCode.InvalidParams,
      message: 'invalid params for test.add: b: Invalid input: expected number, received string',
      data: { kind: 'invalid_params', method: 'test.add', issues: [{ path: 'b', message: 'Invalid input: expected number, received string' }] },
    });
    expect(builds.n).toBe(1);
    await expect(run({ a: 2, b: 3 }, undefined)).resolves.toEqual({ sum: 5 });
    await expect(run({ a: 2 }, undefined)).resolves.toEqual({ sum: 2 });
    expect(builds.n).toBe(1);
  });

  it('every method of the protocol hands out one schema, the same on every read', () => {
    expect(allMethods.length).toBeGreaterThan(90);
    for (const m of allMethods) {
      const schema = m.params;
      expect(schema, m.name).toBeInstanceOf(z.ZodType);
      expect(m.params, m.name).toBe(schema);
    }
    expect(SessionHostMethods.sessionSpecSchema()).toBe(SessionHostMethods.sessionSpecSchema());
  });

  it('real methods validate with their shared fragments as before', async () => {
    const show = validatedMethod(PipelineMethods.Show, ({ id }) => ({ id }) as never);
    expect(await rejection(show, { id: '' })).toMatchObject({
      code: ErrorCode.InvalidParams,
      message: 'invalid params for pipelines.show: id: Too small: expected string to have >=1 characters',
      data: { kind: 'invalid_params', method: 'pipelines.show' },
    });
    expect(await rejection(show, { id: 'p1', project: '/p', extra: 1 })).toMatchObject({
      code: ErrorCode.InvalidParams,
      data: { issues: [{ path: '', message: 'Unrecognized key: "extra"' }] },
    });
    await expect(show({ id: 'p1', project: '/p' }, undefined)).resolves.toEqual({ id: 'p1' });
    const complete = validatedMethod(QueueMethods.Complete, () => ({}) as never);
    expect(await rejection(complete, { project: '/p', queue: 'q' })).toMatchObject({
      code: ErrorCode.InvalidParams,
      data: { issues: [{ message: 'give either `id` (one item) or `ids` (several), not both and not neither' }] },
    });
    expect(SessionHostMethods.sessionSpecSchema().parse({ id: 's1', command: ['sh'], cwd: '/', env: {} })).toMatchObject({ cols: 120, rows: 40 });
  });
});

/** The protocol's modules (tests left out), relative to src/. */
function sources(dir = import.meta.dirname, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return sources(dir, path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The identifier a call chain starts from: `z` for `z.string().min(1)`, `method` for `method<R>()(...)`. */
function rootOf(node: ts.Expression): string | null {
  let e: ts.Expression = node;
  for (;;) {
    if (ts.isCallExpression(e) || ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
    else if (ts.isParenthesizedExpression(e)) e = e.expression;
    else return ts.isIdentifier(e) ? e.text : null;
  }
}

/** Calls a module makes when it is imported (outside every function body), by what they start from. */
function importTimeCalls(source: string): { root: string | null; line: number; text: string }[] {
  const sf = ts.createSourceFile('module.ts', source, ts.ScriptTarget.Latest, true);
  const found: { root: string | null; line: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) || ts.isClassDeclaration(node)) return;
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      found.push({ root: rootOf(node.expression), line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text: node.getText(sf).slice(0, 60) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** method<R>()(name, () => schema, summary), notification<P>()(...) and once(() => fragment) build nothing until used. */
const BUILDS_NOTHING = new Set(['method', 'notification', 'once']);

describe('importing the protocol builds no zod schema', () => {
  it('no module calls zod, or a fragment made from it, outside a function', () => {
    const zodModules = sources().filter((p) => /^import \{[^}]*\bz\b[^}]*\} from 'zod';$/m.test(readFileSync(join(import.meta.dirname, p), 'utf8')));
    expect(zodModules.length).toBeGreaterThan(10);
    const built: string[] = [];
    for (const path of zodModules) {
      for (const call of importTimeCalls(readFileSync(join(import.meta.dirname, path), 'utf8'))) {
        if (!BUILDS_NOTHING.has(call.root ?? '')) built.push(`${path}:${call.line} ${call.text}`);
      }
    }
    expect(built).toEqual([]);
  });

  it('the check sees a schema or a fragment built at import, and nothing inside a function', () => {
    const source = [
      'const a = z.string().min(1);',
      "export const M = method<X>()('n', () => z.object({ a: a() }).strict(), 's');",
      'const c = once(() => z.string());',
      'const d = c().optional();',
      'function f() { return z.number(); }',
    ].join('\n');
    const calls = importTimeCalls(source).filter((call) => !BUILDS_NOTHING.has(call.root ?? ''));
    expect(calls.map((call) => `${call.line} ${call.root}`)).toEqual(['1 z', '1 z', '4 c', '4 c']);
  });
});
