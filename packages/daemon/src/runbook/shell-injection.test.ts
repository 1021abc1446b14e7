/**
 * Runs real `bash -c` on interpolated strings with hostile values and checks
 * that each value arrives as literal text and that nothing ran.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { argsLayer, createContext } from './interpolation-context.js';
import { checkShellTemplate, interpolateShell } from './shell-interpolate.js';

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

describe('contexts where bash evaluates quoted text as code', () => {
  // Quoting cannot protect these: bash itself evaluates the literal string. The
  // scanner therefore refuses placeholders there; this shows why.
  it.each([
    ["[[ 'a[$(touch MARK)]' -eq 1 ]]", '[[ {v} -eq 1 ]]'],
    ["(( 'a[$(touch MARK)]' ))", '(( {v} ))'],
    ["echo $[ 'a[$(touch MARK)]' ]", 'echo $[ {v} ]'],
    ['declare -a a; a["\'$(touch MARK)\'"]=1', 'declare -a a; a["{v}"]=1'],
  ])('bash runs %s, so %s is refused', (raw, template) => {
    // A syntax error follows, but the command substitution has already run.
    spawnSync('bash', ['-c', raw.replace('MARK', marker)], { cwd: dir, stdio: 'ignore' });
    expect(existsSync(marker)).toBe(true);
    const context = createContext({ name: 'test', values: { v: `a[$(touch ${marker})]` } });
    expect(() => interpolateShell(template, context)).toThrow(/evaluates text as code/);
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

describe('random hostile values', () => {
  // A deterministic generator so failures reproduce.
  let seed = 42;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const alphabet = `'"\\$\`;|&<>(){}[]*?!#~ \n\tax0-=%^@`;
  const values = Array.from({ length: 150 }, () => {
    const length = Math.floor(next() * 24);
    return Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  });

  it('every value arrives literally in every context', () => {
    const template = [
      `${PRINT} {v}`,
      `${PRINT} "d:{v}:d"`,
      `${PRINT} 's:{v}:s'`,
      `${PRINT} $'a:{v}:a'`,
      `${PRINT} "$(printf '%s' x{v}x)"`,
    ].join('\n');
    for (const value of values) {
      const script = interpolateShell(template, createContext({ name: 'test', values: { v: value } }));
      expect(args(bash(script)), JSON.stringify(value)).toEqual([value, `d:${value}:d`, `s:${value}:s`, `a:${value}:a`, `x${value}x`]);
    }
    expect(existsSync(marker)).toBe(false);
  });
});

describe('random hostile values in contexts where bash evaluates text as code', () => {
  // Templates built from random pieces: contexts bash evaluates (subscripts,
  // -v, arithmetic, names) and plain ones, with the placeholder bare or
  // quoted, joined and nested at random. Each value is refused at the check
  // or, once interpolated, runs nothing under real bash.
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  // `P` stands for the placeholder, written bare, "quoted" or glued.
  const evaluated = [
    'a[1 + P]=5',
    'x=( [P]=2 )',
    '[[ -v P ]]',
    'test -v P',
    '[ -v P ]',
    'declare -A m; unset "m[{v}]"',
    'unset P',
    '[[ " ]]" == x || P -eq 1 ]]',
    '[ P -gt 1 ]',
    'test 1 -le P',
    'declare -i n; n=P',
    'read -r P <<< x',
    'printf -v P %s x',
    'export P=1',
    'f() { local P; }; f',
    'declare -a d=P',
    'getopts a P',
    'a[P]=1',
    'echo $(( P ))',
    '(( P ))',
    'let P',
  ];
  const plain = ['echo P', 'a[1]=P', 'x=( P )', '[[ P == x ]]', 'test P = x', '[ -n P ]', 'printf %s P', 'V=P; echo "$V"', 'case P in *) echo;; esac'];
  const placeholder = ['{v}', '"{v}"', 'x{v}', '"x{v}y"'];
  const wrap = [(s: string) => s, (s: string) => `if true; then ${s}; fi`, (s: string) => `( ${s} )`, (s: string) => `{ ${s}; }`, (s: string) => `g() { ${s}; }; g`];
  const piece = () => {
    const text = pick(next() < 0.6 ? evaluated : plain);
    return pick(wrap)(text.replaceAll('P', () => pick(placeholder)));
  };
  const valuePieces = [`a[$(touch ${marker})]`, `$(touch ${marker})`, `x[\`touch ${marker}\`]`, '-v', 'x', '1', '[', ']', '=', '(', ')', "'", '"', ' '];
  const value = () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(valuePieces)).join('');

  it('every value is refused or stays inert', () => {
    let refused = 0;
    let ran = 0;
    for (let n = 0; n < 120; n++) {
      const template = Array.from({ length: 1 + Math.floor(next() * 3) }, piece).join(pick(['; ', '\n', ' || true; ']));
      const v = value();
      const check = checkShellTemplate(template);
      if (!check.ok) {
        refused++;
        continue;
      }
      const script = interpolateShell(template, createContext({ name: 'test', values: { v } }));
      spawnSync('bash', ['-c', script], { cwd: dir, stdio: 'ignore', env: { ...process.env, HOME: dir } });
      ran++;
      expect(existsSync(marker), `${JSON.stringify(template)} with ${JSON.stringify(v)}`).toBe(false);
    }
    // Both outcomes happen, so the generator exercises the refusal and the quoting.
    expect(refused).toBeGreaterThan(10);
    expect(ran).toBeGreaterThan(10);
  });

  it('each evaluated context, alone with the placeholder bare, is refused', () => {
    for (const text of evaluated) {
      expect(checkShellTemplate(text.replaceAll('P', '{v}')).ok, text).toBe(false);
    }
  });
});
