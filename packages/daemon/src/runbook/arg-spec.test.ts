import { describe, expect, it } from 'vitest';
import { parseArgSpec, type ArgSpec, type ArgSpecError } from './arg-spec.js';

function spec(text: string, aliases: Record<string, string> = {}, defaults: Record<string, unknown> = {}): ArgSpec {
  const result = parseArgSpec(text, aliases, defaults);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.spec;
}

function errors(text: string, aliases: Record<string, string> = {}, defaults: Record<string, unknown> = {}): ArgSpecError[] {
  const result = parseArgSpec(text, aliases, defaults);
  return result.ok ? [] : result.errors;
}

describe('parseArgSpec', () => {
  it('parses every form of the grammar', () => {
    const parsed = spec('<env> [--tag <version>] [--force] -a/--after <dep> --mode <m> [-q/--quiet] --dry-run [targets...]');
    expect(parsed.positionals).toEqual([
      { kind: 'positional', name: 'env', required: true, variadic: false },
      { kind: 'positional', name: 'targets', required: false, variadic: true },
    ]);
    expect(parsed.options).toEqual([
      { kind: 'option', name: 'tag', short: null, takesValue: true, valueName: 'version', required: false },
      { kind: 'option', name: 'force', short: null, takesValue: false, valueName: null, required: false },
      { kind: 'option', name: 'after', short: 'a', takesValue: true, valueName: 'dep', required: true },
      { kind: 'option', name: 'mode', short: null, takesValue: true, valueName: 'm', required: true },
      { kind: 'option', name: 'quiet', short: 'q', takesValue: false, valueName: null, required: false },
      { kind: 'option', name: 'dry-run', short: null, takesValue: false, valueName: null, required: false },
    ]);
  });

  it('parses optional positionals and required variadics', () => {
    expect(spec('<src> [dest]').positionals.map((p) => [p.name, p.required, p.variadic])).toEqual([
      ['src', true, false],
      ['dest', false, false],
    ]);
    expect(spec('<files...>').positionals).toEqual([{ kind: 'positional', name: 'files', required: true, variadic: true }]);
  });

  it('accepts an empty spec', () => {
    expect(spec('')).toEqual({ text: '', positionals: [], options: [], defaults: {} });
  });

  it('folds aliases into options and keeps defaults', () => {
    const parsed = spec('<env> [--tag <version>] [--force] [targets...]', { f: 'force', t: 'tag' }, { tag: 'latest' });
    expect(parsed.options.map((o) => [o.name, o.short])).toEqual([
      ['tag', 't'],
      ['force', 'f'],
    ]);
    expect(parsed.defaults).toEqual({ tag: 'latest' });
    expect(parsed.text).toBe('<env> [--tag <version>] [--force] [targets...]');
  });

  it('converts numeric defaults to text and takes arrays for variadics', () => {
    expect(spec('[--level <n>] [files...]', {}, { level: 3, files: ['a', 'b'] }).defaults).toEqual({ level: '3', files: ['a', 'b'] });
    expect(spec('[--yes]', {}, { yes: true }).defaults).toEqual({ yes: true });
  });

  it.each([
    ['<env', 'not an argument'],
    ['[env', 'unclosed "["'],
    ['env]', 'unexpected "]"'],
    ['[[a]]', 'cannot be nested'],
    ['<a...> <b>', 'must be the last positional'],
    ['[a] <b>', 'comes after an optional one'],
    ['<a> <a>', 'declared twice'],
    ['<a> --a', 'declared twice'],
    ['-f', 'needs a long name'],
    ['--help', 'reserved'],
    ['-h/--host <h>', 'reserved'],
    ['-a/--all -a/--any', 'used twice'],
    ['--tag <a...>', 'must look like <value>'],
    ['[a b]', 'one word'],
    ['<9lives>', 'not an argument'],
    ['[]', 'empty group'],
  ])('rejects %j', (text, message) => {
    const found = errors(text);
    expect(found.map((e) => e.message).join('\n')).toContain(message);
    expect(found.every((e) => e.field === 'args')).toBe(true);
  });

  it('reports alias mistakes against the aliases field', () => {
    expect(errors('[--force]', { x: 'forse' })).toEqual([
      { field: 'aliases', message: 'alias "x" names "forse", which is not an option in args', hint: 'did you mean "force"?' },
    ]);
    expect(errors('[--force]', { fx: 'force' })[0]?.message).toContain('one letter or digit');
    expect(errors('[-f/--force]', { g: 'force' })[0]?.message).toContain('already has the short alias -f');
    expect(errors('[-f/--force] [--fast]', { f: 'fast' })[0]?.message).toContain('already -f for --force');
  });

  it('reports default mistakes against the defaults field', () => {
    expect(errors('<env>', {}, { env: 'prod' })).toEqual([
      { field: 'defaults', message: '"env" is required, so a default is never used', hint: 'make it optional: [env] instead of <env>' },
    ]);
    expect(errors('[--tag <v>]', {}, { tga: 'x' })[0]).toMatchObject({ field: 'defaults', hint: 'did you mean "tag"?' });
    expect(errors('[--force]', {}, { force: 'yes' })[0]?.message).toContain('must be true or false');
    expect(errors('[--tag <v>]', {}, { tag: { a: 1 } })[0]?.message).toContain('string or a number');
  });

  it('collects several problems at once', () => {
    expect(errors('[a] <b> -x', { q: 'nope' }, { zz: 1 })).toHaveLength(4);
  });
});
