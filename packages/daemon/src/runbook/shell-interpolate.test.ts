import { describe, expect, it } from 'vitest';
import { argsLayer, createContext } from './interpolation-context.js';
import { checkShellTemplate, interpolateShell } from './shell-interpolate.js';
import { quoteForContext, quoteWord } from './shell-quote.js';
import { scanShell, type ShellContext } from './shell-scanner.js';

const ctx = createContext(argsLayer({ v: "it's", name: 'auth', empty: '', list: ['a b', 'c'] }));

function contexts(template: string): ShellContext[] {
  const scan = scanShell(template);
  if (!scan.ok) throw new Error(scan.message);
  return scan.parts.flatMap((p) => (p.type === 'placeholder' ? [p.context] : []));
}

function refusal(template: string): string {
  const check = checkShellTemplate(template);
  return check.ok ? '' : check.message;
}

describe('quoting', () => {
  it('single-quotes words, escaping single quotes', () => {
    expect(quoteWord("it's")).toBe(`'it'\\''s'`);
    expect(quoteWord('')).toBe(`''`);
    expect(quoteForContext("a'b", 'double')).toBe(`"'a'\\''b'"`);
    expect(quoteForContext("a'b", 'single')).toBe(`a'\\''b`);
    expect(quoteForContext("a'b", 'ansi')).toBe(`''a'\\''b'$'`);
  });
});

describe('scanShell contexts', () => {
  it.each([
    ['echo {v}', ['bare']],
    ['echo "x {v} y"', ['double']],
    ["echo 'x {v} y'", ['single']],
    ["echo $'x {v}'", ['ansi']],
    ['echo "$(cat {v})"', ['bare']],
    ['echo "$(echo "{v}")"', ['double']],
    ['echo $(echo $(echo {v}))', ['bare']],
    ['echo "a" {v} \'b\' "{v}"', ['bare', 'double']],
    ['echo \\"{v}', ['bare']],
    ['echo "\\"{v}"', ['double']],
    ["echo \"it's {v}\"", ['double']],
    ['echo $"{v}"', ['double']],
    ['x=$( (echo {v}) ); echo "{v}"', ['bare', 'double']],
    ['cat <<< {v}', ['bare']],
  ])('%s', (template, expected) => {
    expect(contexts(template)).toEqual(expected);
  });

  it('does not treat escaped braces or ${...} as placeholders', () => {
    expect(contexts('echo \\{v} ${HOME} "${HOME}"')).toEqual([]);
    expect(contexts("echo '\\{v}'")).toEqual([]);
  });

  it('leaves placeholders in comments untouched', () => {
    expect(interpolateShell('echo {name} # uses {unknown}\necho {v}', ctx)).toBe(`echo 'auth' # uses {unknown}\necho 'it'\\''s'`);
    expect(contexts('echo a#{v}')).toEqual(['bare']);
  });

  it('copies here-documents without placeholders through', () => {
    const template = 'cat <<EOF\nhello $USER\nEOF\necho {v}';
    expect(contexts(template)).toEqual(['bare']);
    expect(contexts("cat <<-'END'\n\tit's\n\tEND\necho \"{v}\"")).toEqual(['double']);
  });

  it.each([
    ['echo `echo {v}`', 'inside backticks'],
    ['echo "`echo {v}`"', 'inside backticks'],
    ['echo ${X:-a{v}b}', 'inside ${...}'],
    ['echo "${X:-{v} }"', 'inside ${...}'],
    ['echo $(( {v} + 1 ))', 'inside $((...))'],
    ['cat <<EOF\n{v}\nEOF', 'inside a here-document body'],
    ["cat <<'EOF'\nx {v}\nEOF", 'inside a here-document body'],
    ['cat <<{v}\nx\n', 'here-document delimiter'],
    ['echo $(case x in a) echo;; esac); echo {v}', 'after a "case"'],
    ['(( {v} > 1 ))', 'inside ((...))'],
    ['echo $[ {v} + 1 ]', 'inside $[...]'],
    ['[[ {v} -eq 1 ]] && echo yes', 'inside an arithmetic [[ ... ]] test'],
    ['[[ "{v}" -gt 1 ]]', 'inside an arithmetic [[ ... ]] test'],
    ['let n={v}+1', 'inside "let"'],
    ['eval echo {v}', 'inside "eval"'],
    ['arr[{v}]=1', 'in an array subscript'],
    ['arr["{v}"]=1', 'in an array subscript'],
    ["x=1; arr['{v}']=1", 'in an array subscript'],
    ["echo 'open", 'unterminated single quote'],
    ['echo "open', 'unterminated double quote'],
    ['echo $(open', 'unterminated "$("'],
    ['echo `open', 'unterminated backtick'],
    ['echo ${open', 'unterminated ${'],
    ['cat <<', 'without a delimiter'],
  ])('refuses %j', (template, message) => {
    expect(refusal(template)).toContain(message);
  });

  it('keeps string tests in [[ ]] and code after eval/let lines', () => {
    expect(contexts('[[ -n {v} && {v} == "x" ]] && echo "{v}"')).toEqual(['bare', 'bare', 'double']);
    expect(contexts('[[ 1 -eq 1 ]]; echo {v}')).toEqual(['bare']);
    expect(contexts('eval "$X"\necho {v}')).toEqual(['bare']);
    expect(contexts('evaluate {v}; letter {v}')).toEqual(['bare', 'bare']);
    expect(contexts('echo "bug[{v}]" x[ {v}')).toEqual(['double', 'bare']);
  });

  it('accepts case statements outside command substitutions', () => {
    expect(contexts('case {v} in a) echo "{v}";; esac')).toEqual(['bare', 'double']);
  });

  it('accepts realistic shell', () => {
    for (const template of [
      "git worktree list --porcelain | awk '/^worktree /{print $2}'",
      'test -z \'{v}\' || oj pipeline show {v} --phase | grep -q merged',
      'for f in *.ts; do echo "$f"; done',
      'echo $((1 + 2)) ${#HOME} $# $? $$',
      "docker ps --format '{{.Names}}'",
      'find . -name x -exec rm {} \\;',
      'echo {a,b}',
    ]) {
      expect(checkShellTemplate(template), template).toMatchObject({ ok: true });
    }
  });
});

describe('interpolateShell', () => {
  it('quotes per context', () => {
    expect(interpolateShell('echo {v} "{v}" \'{v}\'', ctx)).toBe(`echo 'it'\\''s' ""'it'\\''s'"" 'it'\\''s'`);
  });

  it('keeps empty values as empty arguments', () => {
    expect(interpolateShell('cmd {empty}', ctx)).toBe(`cmd ''`);
  });

  it('expands word lists bare, joins them in quotes', () => {
    expect(interpolateShell('cmd {list} "{list}"', ctx)).toBe(`cmd 'a b' 'c' ""'a b c'""`);
  });

  it('refuses NUL bytes', () => {
    expect(() => interpolateShell('echo {x}', createContext({ name: 't', values: { x: 'a\0b' } }))).toThrow('NUL byte');
  });

  it('throws for unknown placeholders and structural problems', () => {
    expect(() => interpolateShell('echo {nmae}', ctx)).toThrow('unknown placeholder {nmae} (did you mean "name"?)');
    expect(() => interpolateShell('echo `{v}`', ctx)).toThrow('inside backticks');
  });
});
