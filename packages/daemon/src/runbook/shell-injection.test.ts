/**
 * Runs real `bash -c` on interpolated strings with hostile values and checks
 * that each value arrives as literal text and that nothing ran.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { argsLayer, createContext } from './interpolation-context.js';
import { interpolateShell } from './shell-interpolate.js';

const dir = mkdtempSync(join(tmpdir(), 'oj-inject-'));
const marker = join(dir, 'pwned');

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => rmSync(marker, { force: true }));

function bash(script: string): string {
  return execFileSync('bash', ['-c', script], { encoding: 'utf8', cwd: dir, env: { ...process.env, HOME: dir } });
}

const hostile: Record<string, string> = {
  subst: `$(touch ${marker})`,
  backticks: `\`touch ${marker}\``,
  quoteBreakout: `'; touch ${marker}; echo '`,
  rmHome: `'; rm -rf ~ #`,
  doubleQuote: `"; touch ${marker}; echo "`,
  newline: `a\ntouch ${marker}\nb`,
  variable: '$HOME ${HOME} $((1+1))',
  glob: '* ?.ts [a-z]*',
  bang: '!! !$ !-1',
  backslashes: '\\ \\\\ \\" \\\' \\n',
  spaces: '  two  spaces  ',
  empty: '',
  ansi: `$'\\x41'`,
  mixed: `it's "quoted" \`x\` $(y) ; | & > < ( ) { } # ~`,
  trailingBackslash: 'end\\',
  braces: '{name} {{x}} ${y}',
};

// printf %s prints each argument with a trailing NUL so empty args stay visible.
const PRINT = `printf '%s\\0'`;

function args(out: string): string[] {
  return out.split('\0').slice(0, -1);
}

describe.each(Object.entries(hostile))('hostile value %s', (_label, value) => {
  const context = createContext({ name: 'test', values: { v: value } });

  it('bare: arrives as exactly one literal argument', () => {
    const out = bash(interpolateShell(`${PRINT} {v}`, context));
    expect(args(out)).toEqual([value]);
    expect(existsSync(marker)).toBe(false);
  });

  it('inside double quotes: arrives literally, surrounded by the quoted text', () => {
    const out = bash(interpolateShell(`${PRINT} "pre $HOME-{v}-post"`, context));
    expect(args(out)).toEqual([`pre ${dir}-${value}-post`]);
    expect(existsSync(marker)).toBe(false);
  });

  it('inside single quotes: arrives literally, surrounded by the quoted text', () => {
    const out = bash(interpolateShell(`${PRINT} 'pre $HOME-{v}-post'`, context));
    expect(args(out)).toEqual([`pre $HOME-${value}-post`]);
    expect(existsSync(marker)).toBe(false);
  });

  it("inside $'...': arrives literally", () => {
    const out = bash(interpolateShell(`${PRINT} $'a\\tb{v}c'`, context));
    expect(args(out)).toEqual([`a\tb${value}c`]);
    expect(existsSync(marker)).toBe(false);
  });

  it('inside $(...) in double quotes: arrives literally', () => {
    const out = bash(interpolateShell(`${PRINT} "$(printf '%s' {v})"`, context));
    // $(...) strips trailing newlines, as it would for any value.
    expect(args(out)).toEqual([value.replace(/\n+$/, '')]);
    expect(existsSync(marker)).toBe(false);
  });

  it('as an assignment and then used from a variable', () => {
    const out = bash(interpolateShell(`V={v}; ${PRINT} "$V"`, context));
    expect(args(out)).toEqual([value]);
    expect(existsSync(marker)).toBe(false);
  });

  it('glued to other words: one argument', () => {
    const out = bash(interpolateShell(`${PRINT} --name={v}x`, context));
    expect(args(out)).toEqual([`--name=${value}x`]);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('word lists and other values under bash', () => {
  it('a variadic argument bare becomes separate literal words', () => {
    const context = createContext(argsLayer({ targets: ['api', "it's $(touch x)", '', '*'] }));
    const out = bash(interpolateShell(`${PRINT} {targets}`, context));
    expect(args(out)).toEqual(['api', "it's $(touch x)", '', '*']);
  });

  it('an empty variadic argument bare adds no argument', () => {
    const context = createContext(argsLayer({ targets: [] }));
    expect(args(bash(interpolateShell(`${PRINT} a {targets} b`, context)))).toEqual(['a', 'b']);
  });

  it('a variadic argument inside quotes is one space-joined argument', () => {
    const context = createContext(argsLayer({ targets: ['a b', 'c'] }));
    expect(args(bash(interpolateShell(`${PRINT} "{targets}"`, context)))).toEqual(['a b c']);
  });

  it('objects arrive as JSON text', () => {
    const context = createContext({ name: 'item', values: { bug: { id: 7, title: "it's $(x)" } } });
    expect(args(bash(interpolateShell(`${PRINT} {bug} {bug.id}`, context)))).toEqual([
      JSON.stringify({ id: 7, title: "it's $(x)" }),
      '7',
    ]);
  });

  it('the concept guard condition works with an empty and a hostile value', () => {
    const template = `test -z '{after}' || echo "waiting for {after}"`;
    expect(bash(interpolateShell(template, createContext({ name: 'a', values: { after: '' } })))).toBe('');
    const hostileAfter = `x'; touch ${marker}; echo '`;
    const out = bash(interpolateShell(template, createContext({ name: 'a', values: { after: hostileAfter } })));
    expect(out).toBe(`waiting for ${hostileAfter}\n`);
    expect(existsSync(marker)).toBe(false);
  });
});
