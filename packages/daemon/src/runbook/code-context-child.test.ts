/**
 * The child-process bash parser ojd and `oj runbook check` use (the suite
 * itself parses in-process: test/setup/inline-code-context.ts). Runs the
 * built child script, so it needs `npm run build` first, as the e2e tests do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { codeContextOf, decidingCodeContexts, useCodeContextFinder, type CodeContextFinder } from './code-context-decisions.js';
import { findCodeContextsInline } from './code-context-inline.js';
import { buildProjectFromTexts } from './load-project.js';
import { checkShellTemplate } from './shell-interpolate.js';
import { neutralShell } from './shell-neutral.js';
import { scanShell } from './shell-scanner.js';

const BUILT = fileURLToPath(new URL('../../dist/runbook/code-context-child.js', import.meta.url));

function shellOf(template: string) {
  const scan = scanShell(template);
  if (!scan.ok) throw new Error(scan.message);
  return neutralShell(scan.parts);
}

/** The built child finder (dist), loaded the way ojd loads it. */
async function childFinder(): Promise<CodeContextFinder> {
  expect(existsSync(BUILT), `${BUILT} is missing: run npm run build`).toBe(true);
  const mod = (await import(BUILT)) as { findCodeContextsInChild: CodeContextFinder };
  return mod.findCodeContextsInChild;
}

afterAll(() => useCodeContextFinder(findCodeContextsInline));

describe('the bash parser in a child process', () => {
  it('gives the same answers as the in-process parser, one per shell, in order', async () => {
    const find = await childFinder();
    const shells = ['echo {a}', 'arr[{i}]=1', 'let x={v}', '[[ {a} -eq 1 ]]', 'printf -v {name} %s hi'].map(shellOf);
    const answers = find(shells);
    expect(answers).toEqual(findCodeContextsInline(shells));
    expect(answers[0]).toBeNull();
    expect(answers.slice(2).every((a) => a !== null && /where bash evaluates text as code/.test(a.message))).toBe(true);
  });

  it('refuses input that is not neutral shells, with the reason', () => {
    const script = fileURLToPath(new URL('../../dist/runbook/code-context-process.js', import.meta.url));
    const run = spawnSync(process.execPath, [script], { input: '{"text": 1}', encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/expected a JSON array of neutral shells/);
  });
});

describe('deciding code contexts', () => {
  it('decides every template of a project load in one call, and then remembers them', () => {
    const batches: number[] = [];
    useCodeContextFinder((shells) => {
      batches.push(shells.length);
      return findCodeContextsInline(shells);
    });
    const runbook = `
[command.one]
args = "<a> <b>"
run = "echo {args.a} && arr[{args.b}]=1"

[command.two]
args = "<c>"
run = "printf '%s' {args.c}"
`;
    const result = buildProjectFromTexts({ runbooks: { r: runbook } });
    expect(batches).toEqual([2]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.message).join('\n')).toMatch(/\{args\.b\} .*where bash evaluates text as code/);
    buildProjectFromTexts({ runbooks: { r: runbook } });
    expect(batches).toEqual([2]);
  });

  it('fails closed: a finder that fails leaves nothing passed, now or later', () => {
    useCodeContextFinder(() => {
      throw new Error('the parser is gone');
    });
    expect(() => buildProjectFromTexts({ runbooks: { r: '[command.x]\nargs = "<a>"\nrun = "echo {args.a}"\n' } })).toThrow(/the parser is gone/);
    expect(() => checkShellTemplate('echo {late}')).toThrow(/the parser is gone/);
    useCodeContextFinder(findCodeContextsInline);
    expect(checkShellTemplate('echo {late}').ok).toBe(true);
  });

  it('decides a template met outside a load on its own; one without placeholders needs no parse', () => {
    const batches: number[] = [];
    useCodeContextFinder((shells) => {
      batches.push(shells.length);
      return findCodeContextsInline(shells);
    });
    expect(codeContextOf('echo hi', shellOf('echo hi'))).toBeNull();
    expect(batches).toEqual([]);
    expect(codeContextOf('let x={v}', shellOf('let x={v}'))).not.toBeNull();
    expect(batches).toEqual([1]);
    expect(decidingCodeContexts(() => codeContextOf('let x={v}', shellOf('let x={v}')))).not.toBeNull();
    expect(batches).toEqual([1]);
  });
});
