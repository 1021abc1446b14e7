import { describe, expect, it } from 'vitest';
import { parseArgSpec } from './arg-spec.js';
import { formatUsage } from './arg-usage.js';

describe('formatUsage', () => {
  it('prints synopsis, arguments and options with defaults', () => {
    const result = parseArgSpec('<env> [--tag <version>] [--force] [targets...]', { f: 'force', t: 'tag' }, { tag: 'latest' });
    if (!result.ok) throw new Error('bad spec');
    expect(formatUsage('deploy', result.spec, 'Deploy services.')).toBe(
      [
        'Usage: oj run deploy <env> [--tag <version>] [--force] [targets...]',
        '',
        'Deploy services.',
        '',
        'Arguments:',
        '  <env>         required',
        '  [targets...]  optional, zero or more',
        '',
        'Options:',
        '  -t, --tag <version>  optional (default: "latest")',
        '  -f, --force          flag',
        '',
        'Arguments can also be given as name=value; "--" ends options.',
      ].join('\n'),
    );
  });

  it('prints a bare usage line for a command without arguments', () => {
    const result = parseArgSpec('');
    if (!result.ok) throw new Error('bad spec');
    expect(formatUsage('sync', result.spec)).toBe('Usage: oj run sync');
  });

  it('marks required options and variadics', () => {
    const result = parseArgSpec('<files...> -a/--after <dep>');
    if (!result.ok) throw new Error('bad spec');
    const usage = formatUsage('x', result.spec);
    expect(usage).toContain('Usage: oj run x <files...> --after <dep>');
    expect(usage).toContain('<files...>  required, one or more');
    expect(usage).toContain('-a, --after <dep>  required');
  });
});
