import { describe, expect, it } from 'vitest';
import { bindArgs, type BindResult } from './arg-bind.js';
import { parseArgSpec, type ArgSpec } from './arg-spec.js';

function spec(text: string, aliases: Record<string, string> = {}, defaults: Record<string, unknown> = {}): ArgSpec {
  const result = parseArgSpec(text, aliases, defaults);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.spec;
}

const deploy = spec('<env> [--tag <version>] [--force] [targets...]', { f: 'force', t: 'tag' }, { tag: 'latest' });

function usageError(result: BindResult): string {
  if (result.ok) throw new Error(`expected a usage error, got ${JSON.stringify(result.values)}`);
  return result.message;
}

describe('bindArgs: the concept document example', () => {
  it('binds oj run deploy prod -t v1.2 --force api worker', () => {
    expect(bindArgs(deploy, ['prod', '-t', 'v1.2', '--force', 'api', 'worker'])).toEqual({
      ok: true,
      values: { env: 'prod', tag: 'v1.2', force: true, targets: ['api', 'worker'] },
    });
  });

  it('uses the default tag when -t is absent', () => {
    expect(bindArgs(deploy, ['prod'])).toEqual({ ok: true, values: { env: 'prod', tag: 'latest', force: false, targets: [] } });
  });

  it('reports a missing <env>', () => {
    expect(usageError(bindArgs(deploy, []))).toBe('missing required argument <env>');
    expect(usageError(bindArgs(deploy, ['--force']))).toBe('missing required argument <env>');
  });

  it('reports an unknown option with a suggestion', () => {
    const result = bindArgs(deploy, ['prod', '--nope']);
    expect(result).toEqual({ ok: false, message: 'unknown option --nope', hint: 'options: --tag, -t, --force, -f' });
    expect(bindArgs(deploy, ['prod', '--forse'])).toMatchObject({ ok: false, hint: 'did you mean "--force"?' });
    expect(usageError(bindArgs(deploy, ['prod', '-x']))).toBe('unknown option -x');
  });
});

describe('bindArgs: option forms', () => {
  it('accepts --opt=value, -o=value and -ovalue', () => {
    for (const argv of [['prod', '--tag=v2'], ['prod', '-t=v2'], ['prod', '-tv2'], ['prod', '--tag', 'v2']]) {
      expect(bindArgs(deploy, argv)).toMatchObject({ ok: true, values: { tag: 'v2' } });
    }
  });

  it('takes a value starting with - only when attached', () => {
    expect(usageError(bindArgs(deploy, ['prod', '--tag', '--force']))).toBe('option --tag needs a value, got the option "--force"');
    expect(bindArgs(deploy, ['prod', '--tag=--force'])).toMatchObject({ ok: true, values: { tag: '--force', force: false } });
    expect(usageError(bindArgs(deploy, ['prod', '--tag']))).toBe('option --tag needs a value');
  });

  it('accepts a negative number as an option value and as a positional', () => {
    const s = spec('<n> [--offset <k>]');
    expect(bindArgs(s, ['-5', '--offset', '-2'])).toEqual({ ok: true, values: { n: '-5', offset: '-2' } });
  });

  it('bundles short flags', () => {
    const s = spec('[-a/--all] [-q/--quiet] [-n/--name <x>]');
    expect(bindArgs(s, ['-aq'])).toEqual({ ok: true, values: { all: true, quiet: true, name: '' } });
    expect(usageError(bindArgs(s, ['-an']))).toContain('takes a value and cannot be bundled');
  });

  it('accepts --flag=true|false and rejects other flag values', () => {
    expect(bindArgs(deploy, ['prod', '--force=false'])).toMatchObject({ ok: true, values: { force: false } });
    expect(usageError(bindArgs(deploy, ['prod', '--force=yes']))).toBe('flag --force takes no value (got "yes")');
  });

  it('rejects an option given twice', () => {
    expect(usageError(bindArgs(deploy, ['prod', '-t', 'a', '--tag', 'b']))).toBe('option --tag given more than once');
  });

  it('requires required options', () => {
    const s = spec('<name> -a/--after <dep>');
    expect(usageError(bindArgs(s, ['x']))).toBe('missing required option --after <dep>');
    expect(bindArgs(s, ['x', '-a', 'y'])).toEqual({ ok: true, values: { name: 'x', after: 'y' } });
  });
});

describe('bindArgs: positionals', () => {
  it('binds name=value for declared names, in any order', () => {
    const s = spec('<name> <prompt> [-a/--after <dep>]');
    expect(bindArgs(s, ['prompt=Add auth', 'name=auth', 'after=base'])).toEqual({
      ok: true,
      values: { name: 'auth', prompt: 'Add auth', after: 'base' },
    });
    expect(bindArgs(s, ['auth', 'prompt=x=y'])).toEqual({ ok: true, values: { name: 'auth', prompt: 'x=y', after: '' } });
  });

  it('treats name=value for undeclared names as a plain value', () => {
    const s = spec('<expr>');
    expect(bindArgs(s, ['a=b'])).toEqual({ ok: true, values: { expr: 'a=b' } });
  });

  it('treats everything after -- literally', () => {
    const s = spec('<name> [rest...] [--force]');
    expect(bindArgs(s, ['--', 'name=x', '--force', '-t'])).toEqual({
      ok: true,
      values: { name: 'name=x', rest: ['--force', '-t'], force: false },
    });
  });

  it('rejects a name given positionally and by name', () => {
    const s = spec('<name>');
    expect(usageError(bindArgs(s, ['name=a', 'name=b']))).toBe('argument "name" given more than once');
  });

  it('collects name=value into a variadic', () => {
    const s = spec('[files...]');
    expect(bindArgs(s, ['files=a', 'b'])).toEqual({ ok: true, values: { files: ['a', 'b'] } });
  });

  it('requires at least one value for <files...>', () => {
    const s = spec('<files...>');
    expect(usageError(bindArgs(s, []))).toBe('missing required argument <files...> (at least one value)');
    expect(bindArgs(s, ['a', 'b'])).toEqual({ ok: true, values: { files: ['a', 'b'] } });
  });

  it('fills optional positionals with defaults or empty values', () => {
    const s = spec('[a] [b] [--c <x>] [--d] [e...]', {}, { b: 'B' });
    expect(bindArgs(s, [])).toEqual({ ok: true, values: { a: '', b: 'B', c: '', d: false, e: [] } });
  });

  it('rejects surplus arguments', () => {
    expect(bindArgs(spec('<a>'), ['x', 'y'])).toEqual({
      ok: false,
      message: 'unexpected argument "y"',
      hint: 'expected at most 1 positional argument(s)',
    });
    expect(bindArgs(spec(''), ['x'])).toMatchObject({ ok: false, hint: 'this command takes no positional arguments' });
  });

  it('does not share default arrays between bindings', () => {
    const s = spec('[files...]', {}, { files: ['a'] });
    const first = bindArgs(s, []);
    if (first.ok) (first.values['files'] as string[]).push('mutated');
    expect(bindArgs(s, [])).toEqual({ ok: true, values: { files: ['a'] } });
  });
});
